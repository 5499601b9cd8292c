import CBLAS
import TensorKernels

extension Projection {
    /// (outputs, inputs) of this projection in a model with `config`.
    public func shape(_ config: LlamaConfig) -> (outputs: Int, inputs: Int) {
        switch self {
        case .q, .o: (config.hiddenSize, config.hiddenSize)
        case .k, .v: (config.kvDim, config.hiddenSize)
        case .gate, .up: (config.intermediateSize, config.hiddenSize)
        case .down: (config.hiddenSize, config.intermediateSize)
        }
    }
}

/// A low-rank adapter applied beside the frozen weights: y = W·x + scale · B·(A·x); or the
/// keys and values a prompt- or prefix-tuned adapter puts in front of the KV cache.
/// A is rank × inputs and B is outputs × rank, row-major, in this model's row layout (for a
/// GGUF base the q/k rows of B are already permuted like the base's). Immutable once built,
/// so running sequences keep the version they started with while a newer one is loaded.
public final class LoRAAdapter: Sendable {
    public struct Pair: Sendable {
        public let a: [Float]
        public let b: [Float]
        public init(a: [Float], b: [Float]) {
            self.a = a
            self.b = b
        }
    }

    /// Names this adapter's weights uniquely (e.g. `name@version` or a digest), so caches
    /// computed under it are never reused under another.
    public let id: String
    public let rank: Int
    public let scale: Float
    /// Per layer, the adapted projections.
    public let layers: [[Projection: Pair]]
    /// A prompt- or prefix-tuned adapter's keys and values in front of every sequence (its
    /// projections are left as they are).
    public let prefix: KVPrefix?

    public init(id: String, rank: Int, scale: Float, layers: [[Projection: Pair]], config: LlamaConfig) throws(LlamaError) {
        guard rank > 0 else { throw .invalidAdapter("rank must be positive, got \(rank)") }
        guard layers.count == config.layerCount else {
            throw .invalidAdapter("adapter has \(layers.count) layers, the model \(config.layerCount)")
        }
        guard scale.isFinite else { throw .invalidAdapter("scale is \(scale)") }
        for (l, pairs) in layers.enumerated() {
            for (p, pair) in pairs {
                let (outputs, inputs) = p.shape(config)
                guard pair.a.count == rank * inputs, pair.b.count == outputs * rank else {
                    throw .invalidAdapter("layer \(l) \(p.rawValue): expected A \(rank)×\(inputs) and B \(outputs)×\(rank), got \(pair.a.count) and \(pair.b.count) values")
                }
                guard pair.a.allSatisfy(\.isFinite), pair.b.allSatisfy(\.isFinite) else {
                    throw .invalidAdapter("layer \(l) \(p.rawValue): NaN or infinite values")
                }
            }
        }
        self.id = id
        self.rank = rank
        self.scale = scale
        self.layers = layers
        prefix = nil
    }

    /// A prompt- or prefix-tuned adapter: the prefix, and no low-rank matrices.
    public init(id: String, prefix: KVPrefix, config: LlamaConfig) {
        self.id = id
        rank = 0
        scale = 0
        layers = Array(repeating: [:], count: config.layerCount)
        self.prefix = prefix
    }

    /// Bytes held by the A and B matrices and the prefix.
    public var byteCount: Int {
        layers.reduce(0) { $0 + $1.values.reduce(0) { $0 + ($1.a.count + $1.b.count) * MemoryLayout<Float>.size } } + (prefix?.byteCount ?? 0)
    }

    /// y[r·yStride + o] += scale · Σ_j B[o, j] · (A·x_r)[j] for each of `rows`, gathered and
    /// scattered so one adapter's rows share a single pair of small matrix products.
    func apply(layer: Int, _ p: Projection, rows: [Int], x: UnsafePointer<Float>, xStride: Int,
               y: UnsafeMutablePointer<Float>, yStride: Int, config: LlamaConfig) {
        guard let pair = layers[layer][p], !rows.isEmpty else { return }
        let (outputs, inputs) = p.shape(config)
        let n = rows.count
        let gathered = UnsafeMutablePointer<Float>.allocate(capacity: n * (inputs + rank + outputs))
        defer { gathered.deallocate() }
        let low = gathered + n * inputs, delta = low + n * rank
        for (i, r) in rows.enumerated() { (gathered + i * inputs).update(from: x + r * xStride, count: inputs) }
        pair.a.withUnsafeBufferPointer { a in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rank), Int32(inputs),
                        1, gathered, Int32(inputs), a.baseAddress, Int32(inputs), 0, low, Int32(rank))
        }
        pair.b.withUnsafeBufferPointer { b in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(outputs), Int32(rank),
                        scale, low, Int32(rank), b.baseAddress, Int32(rank), 0, delta, Int32(outputs))
        }
        for (i, r) in rows.enumerated() {
            let out = y + r * yStride, d = delta + i * outputs
            for o in 0..<outputs { out[o] += d[o] }
        }
    }
}
