import Adapters
import Llama
import TensorKernels

/// The trainable A and B of every adapted (layer, projection) in one flat vector, so that the
/// optimiser, clipping and checkpoints see a single buffer, with their gradients beside it.
/// Order: layers ascending, projections in `Projection.allCases` order, A (rank × inputs) then
/// B (outputs × rank), row-major; B's q/k rows in the engine's GGUF RoPE order.
final class LoRAParameters: TrainableParameters {
    struct Entry {
        let layer: Int
        let projection: Projection
        let inputs: Int
        let outputs: Int
        /// Where A starts in the flat vector; B follows it.
        let offset: Int
        let rank: Int

        var a: Range<Int> { offset..<offset + rank * inputs }
        var b: Range<Int> { a.upperBound..<a.upperBound + outputs * rank }
        var range: Range<Int> { offset..<b.upperBound }
    }

    let lora: LoRAConfiguration
    let config: LlamaConfig
    let entries: [Entry]
    let count: Int
    let values: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    private let index: [[Projection: Int]]

    init(config: LlamaConfig, lora: LoRAConfiguration) {
        self.config = config
        self.lora = lora
        var entries = [Entry](), index = [[Projection: Int]](), offset = 0
        for l in 0..<config.layerCount {
            var layer = [Projection: Int]()
            for p in Projection.allCases where lora.targets.contains(p) {
                let (outputs, inputs) = p.shape(config)
                layer[p] = entries.count
                entries.append(Entry(layer: l, projection: p, inputs: inputs, outputs: outputs, offset: offset, rank: lora.rank))
                offset = entries.last!.range.upperBound
            }
            index.append(layer)
        }
        self.entries = entries
        self.index = index
        count = offset
        values = .allocate(capacity: count)
        values.initialize(repeating: 0, count: count)
        gradients = .allocate(capacity: count)
        gradients.initialize(repeating: 0, count: count)
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
    }

    var groups: [(layer: Int?, range: Range<Int>)] { entries.map { ($0.layer, $0.range) } }

    func pair(layer: Int, _ p: Projection) -> LoRAPair? {
        guard let i = index[layer][p] else { return nil }
        let e = entries[i]
        return LoRAPair(a: values + e.a.lowerBound, b: values + e.b.lowerBound, gradA: gradients + e.a.lowerBound,
                        gradB: gradients + e.b.lowerBound, rank: lora.rank, inputs: e.inputs, outputs: e.outputs, scale: lora.scale)
    }

    /// PEFT's initialisation: A from torch's `kaiming_uniform_(a: √5)` — bound gain·√(3/fan_in)
    /// with gain √(2/(1 + a²)), which is 1/√inputs — and B zero.
    func initialise(_ rng: inout SplitMix64) {
        for e in entries {
            let bound = 1 / Float(e.inputs).squareRoot()
            for i in e.a { values[i] = (2 * rng.nextFloat() - 1) * bound }
            for i in e.b { values[i] = 0 }
        }
    }

    /// Whether the B rows of `p` are stored permuted for RoPE.
    private func permuted(_ p: Projection) -> Bool { p == .q || p == .k }

    /// Starts from an adapter's matrices (file layout).
    func load(_ adapter: AdapterWeights) throws(TrainingError) {
        guard adapter.rank == lora.rank, adapter.alpha == lora.alpha, adapter.useRSLoRA == lora.useRSLoRA else {
            throw .parentMismatch("rank \(adapter.rank), alpha \(adapter.alpha), rsLoRA \(adapter.useRSLoRA); the training configuration has \(lora.rank), \(lora.alpha), \(lora.useRSLoRA)")
        }
        guard adapter.layers.count == config.layerCount, adapter.layers.allSatisfy({ Set($0.keys) == lora.targets }) else {
            throw .parentMismatch("it must adapt \(lora.targets.map(\.rawValue).sorted()) in each of the \(config.layerCount) layers")
        }
        for e in entries {
            let pair = adapter.layers[e.layer][e.projection]!
            guard pair.a.count == e.a.count, pair.b.count == e.b.count else {
                throw .parentMismatch("layer \(e.layer) \(e.projection.rawValue) has \(pair.a.count) + \(pair.b.count) values, expected \(e.a.count) + \(e.b.count)")
            }
            let b = permuted(e.projection) ? RopeRowPermutation.toGGUF(pair.b, cols: lora.rank, headDim: config.headDim) : pair.b
            (values + e.a.lowerBound).update(from: pair.a, count: pair.a.count)
            (values + e.b.lowerBound).update(from: b, count: b.count)
        }
    }

    /// The matrices in file layout (or their gradients, laid out the same way).
    func adapterWeights(gradients: Bool = false) -> AdapterWeights {
        let source = gradients ? self.gradients : values
        var layers = [[Projection: LoRAAdapter.Pair]](repeating: [:], count: config.layerCount)
        for e in entries {
            let a = Array(UnsafeBufferPointer(start: source + e.a.lowerBound, count: e.a.count))
            let b = Array(UnsafeBufferPointer(start: source + e.b.lowerBound, count: e.b.count))
            layers[e.layer][e.projection] = LoRAAdapter.Pair(
                a: a, b: permuted(e.projection) ? RopeRowPermutation.toHuggingFace(b, cols: lora.rank, headDim: config.headDim) : b)
        }
        return AdapterWeights(rank: lora.rank, alpha: lora.alpha, useRSLoRA: lora.useRSLoRA, layers: layers)
    }

}

/// One adapted projection's A and B with their gradients: y += scale · B·(A·x).
struct LoRAPair {
    let a, b, gradA, gradB: UnsafeMutablePointer<Float>
    let rank, inputs, outputs: Int
    let scale: Float

    // x: (n, inputs) the adapter's input (after dropout), y: (n, outputs) added into,
    // low: (n, rank) = x·Aᵀ, kept for the backward.
    func forward(x: UnsafePointer<Float>, n: Int, y: UnsafeMutablePointer<Float>, low: UnsafeMutablePointer<Float>, pool: ComputePool) {
        pool.sgemm(transB: true, m: n, n: rank, k: inputs, x, lda: inputs, a, ldb: inputs, beta: 0, low, ldc: rank)
        pool.sgemm(transB: true, m: n, n: outputs, k: rank, alpha: scale, low, lda: rank, b, ldb: rank, beta: 1, y, ldc: outputs)
    }

    // dy: (n, outputs); x, low: as in the forward; dlow: (n, rank) scratch, = scale·dy·B.
    // Adds into gradA (dlowᵀ·x) and gradB (scale·dyᵀ·low); dx: (n, inputs), if given, (+)= dlow·A.
    func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, low: UnsafePointer<Float>, n: Int, dlow: UnsafeMutablePointer<Float>,
                  dx: UnsafeMutablePointer<Float>?, accumulate: Bool, pool: ComputePool) {
        pool.sgemm(transA: true, m: outputs, n: rank, k: n, alpha: scale, dy, lda: outputs, low, ldb: rank, beta: 1, gradB, ldc: rank)
        pool.sgemm(m: n, n: rank, k: outputs, alpha: scale, dy, lda: outputs, b, ldb: rank, beta: 0, dlow, ldc: rank)
        pool.sgemm(transA: true, m: rank, n: inputs, k: n, dlow, lda: rank, x, ldb: inputs, beta: 1, gradA, ldc: inputs)
        if let dx { pool.sgemm(m: n, n: inputs, k: rank, dlow, lda: rank, a, ldb: inputs, beta: accumulate ? 1 : 0, dx, ldc: inputs) }
    }
}
