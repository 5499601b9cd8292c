import Llama
import TensorKernels

/// The frozen llama model with trainable LoRA pairs beside its projections, or trainable virtual
/// tokens in front of every sequence, or every weight trained (`full`): forward and backward over
/// a packed micro-batch of up to `capacity` rows, with all activation memory allocated once, up
/// front. Gradients add into `parameters.gradients`, `virtual.gradients` and `full.gradients`.
final class TrainingModel {
    let model: LlamaModel
    let parameters: LoRAParameters
    let virtual: VirtualTokenParameters?
    let full: FullParameters?
    /// What the forward multiplies by: the frozen model's weights, or `full`'s.
    private let weights: Weights
    let capacity: Int
    /// Floats of attention probabilities each layer keeps.
    let probabilityCapacity: Int
    let checkpointing: Bool
    /// Frozen-weight products in 16-bit integers where the CPU can (`TrainingConfiguration.integerProducts`).
    let integerProducts: Bool
    /// Rows of logits alive at once in the classifier.
    static let classifierChunk = 512

    /// What one layer's forward keeps for its backward, each (capacity, width) row-major.
    private struct LayerActivations {
        let input: UnsafeMutablePointer<Float>       // d: the residual stream entering the layer
        let q, k, v: UnsafeMutablePointer<Float>     // d, kvd, kvd: q and k after RoPE
        let attention: UnsafeMutablePointer<Float>   // d: the heads' outputs, o's input
        let probabilities: UnsafeMutablePointer<Float>  // the attention's softmax (CausalAttention.probabilityCapacity)
        let middle: UnsafeMutablePointer<Float>      // d: the residual stream after attention
        let gate, up: UnsafeMutablePointer<Float>    // ff: the MLP's pre-activations
        let act: UnsafeMutablePointer<Float>         // ff: silu(gate)·up, down's input
        let low: [Projection: UnsafeMutablePointer<Float>]  // rank: A·x of each adapted projection
    }

    private let arena: ActivationArena
    /// Bytes of activation memory held.
    var byteCount: Int { arena.byteCount }
    private var layers: [LayerActivations] = []
    /// Residual stream after the last layer.
    private var final: UnsafeMutablePointer<Float>!
    // Scratch, shared by all layers (names of what they hold in the backward).
    private var normed, dnormed, dres, datt, dq, dk, dv, dact, dgate, dup: UnsafeMutablePointer<Float>!
    private var dlow, dropped, droppedGrad, logits, gathered: UnsafeMutablePointer<Float>!
    /// cos and sin of each row's RoPE angles, and of their negatives (the backward), made once per micro-batch.
    private var rotations, inverseRotations: UnsafeMutablePointer<Float>!

    /// `capacity` rows in a micro-batch, packed from sequences at most `maxSequenceLength` long.
    init(model: LlamaModel, parameters: LoRAParameters, virtual: VirtualTokenParameters? = nil, full: FullParameters? = nil,
         capacity: Int, maxSequenceLength: Int, checkpointing: Bool, integerProducts: Bool = false) {
        self.model = model
        self.parameters = parameters
        self.virtual = virtual
        self.full = full
        let arena = ActivationArena()
        self.arena = arena
        weights = full.map(Weights.init) ?? Weights(frozen: model.weights, arena: arena)
        self.capacity = capacity
        self.checkpointing = checkpointing
        self.integerProducts = integerProducts
        let c = model.config, d = c.hiddenSize, kvd = c.kvDim, ff = c.intermediateSize, rank = parameters.lora.rank
        probabilityCapacity = CausalAttention.probabilityCapacity(rows: capacity, maxLength: maxSequenceLength, heads: c.headCount)
        func buffer(_ width: Int, rows: Int = capacity) -> UnsafeMutablePointer<Float> {
            arena.allocate(rows * width)
        }
        func layerActivations(input: UnsafeMutablePointer<Float>) -> LayerActivations {
            LayerActivations(input: input, q: buffer(d), k: buffer(kvd), v: buffer(kvd), attention: buffer(d),
                             probabilities: arena.allocate(probabilityCapacity), middle: buffer(d),
                             gate: buffer(ff), up: buffer(ff), act: buffer(ff),
                             low: Dictionary(uniqueKeysWithValues: parameters.lora.targets.map { ($0, buffer(rank)) }))
        }
        // With checkpointing every layer keeps its own input only; the rest is one set, refilled
        // by recomputing the layer's forward just before its backward.
        let shared = checkpointing ? layerActivations(input: buffer(d)) : nil
        for _ in 0..<c.layerCount {
            let input = buffer(d)
            layers.append(shared.map { LayerActivations(input: input, q: $0.q, k: $0.k, v: $0.v, attention: $0.attention,
                                                        probabilities: $0.probabilities, middle: $0.middle,
                                                        gate: $0.gate, up: $0.up, act: $0.act, low: $0.low) }
                          ?? layerActivations(input: input))
        }
        final = buffer(d)
        (normed, dnormed, dres, datt, dq) = (buffer(d), buffer(d), buffer(d), buffer(d), buffer(d))
        (dk, dv, dact, dgate, dup) = (buffer(kvd), buffer(kvd), buffer(ff), buffer(ff), buffer(ff))
        let widest = parameters.lora.targets.map { $0.shape(c).inputs }.max() ?? 0
        (dlow, dropped, droppedGrad) = (buffer(rank), buffer(widest), buffer(widest))
        (logits, gathered) = (buffer(c.vocabSize, rows: Self.classifierChunk), buffer(d, rows: Self.classifierChunk))
        (rotations, inverseRotations) = (buffer(model.rope.dimensions), buffer(model.rope.dimensions))
    }

    /// Whether `batch`'s rows and attention probabilities fit the memory made for them.
    func fits(_ batch: PackedBatch) -> Bool {
        batch.rows <= capacity && CausalAttention.probabilityCount(batch.sequences, heads: model.config.headCount) <= probabilityCapacity
    }

    /// Σ −log p(target) over the batch's targets; adds the gradient of lossScale · that sum into
    /// the parameters' gradients. `dropoutSeed` fixes this micro-batch's dropout masks.
    func forwardBackward(_ batch: PackedBatch, lossScale: Float, dropoutSeed: UInt64) -> Double {
        precondition(fits(batch))
        guard batch.targetCount > 0 else { return 0 }
        let c = model.config, n = batch.rows, d = c.hiddenSize
        forward(batch, dropoutSeed: dropoutSeed)
        RMSNorm.forward(final, weights.outputNorm, normed, n: n, d: d, eps: c.rmsNormEps, pool: model.pool)
        let loss = classifier(normed, batch, lossScale: lossScale, dx: dnormed)
        dres.update(repeating: 0, count: n * d)
        RMSNorm.backward(dnormed, final, weights.outputNorm, dres, n: n, d: d, eps: c.rmsNormEps,
                         dw: full.map { $0.gradients + $0.outputNorm.offset }, pool: model.pool)
        for l in (0..<c.layerCount).reversed() {
            if checkpointing && l < c.layerCount - 1 { forwardLayer(l, batch, dropoutSeed: dropoutSeed) }
            backwardLayer(l, batch, dropoutSeed: dropoutSeed)
        }
        if let full {
            // Rows of one token add into the same embedding row: in row order, on one thread.
            for r in 0..<n where batch.tokens[r] >= 0 {
                VectorOps.add(dres + r * d, full.gradients + full.embedding.offset + batch.tokens[r] * d, d)
            }
        }
        if let virtual, virtual.configuration.kind == .promptTuning {
            for (row, i) in batch.virtualRows { VectorOps.add(dres + row * d, virtual.gradients + i * d, d) }
        }
        virtual?.backwardPrefixes(pool: model.pool)
        return loss
    }

    /// Every layer's keys and values of the batch's rows (rotated, GGUF row order, as the KV cache
    /// holds them), after a forward without dropout.
    func keysAndValues(_ batch: PackedBatch) -> [(keys: [Float], values: [Float])] {
        precondition(!checkpointing && batch.rows <= capacity)
        forward(batch, dropoutSeed: nil)
        let kvd = model.config.kvDim
        return layers.map { (Array(UnsafeBufferPointer(start: $0.k, count: batch.rows * kvd)),
                             Array(UnsafeBufferPointer(start: $0.v, count: batch.rows * kvd))) }
    }

    /// Σ −log p(target) over the batch's targets, without dropout or gradients.
    func loss(_ batch: PackedBatch) -> Double {
        precondition(fits(batch))
        let c = model.config
        forward(batch, dropoutSeed: nil)
        RMSNorm.forward(final, weights.outputNorm, normed, n: batch.rows, d: c.hiddenSize, eps: c.rmsNormEps, pool: model.pool)
        return classifier(normed, batch, lossScale: 0, dx: nil)
    }

    private func classifier(_ x: UnsafePointer<Float>, _ batch: PackedBatch, lossScale: Float, dx: UnsafeMutablePointer<Float>?) -> Double {
        ClassifierLoss.forward(x: x, n: batch.rows, d: model.config.hiddenSize, targets: batch.targets, teacher: batch.teacher, output: weights.output,
                               lossScale: lossScale, dx: dx, dOutput: dx == nil ? nil : full.map { $0.gradients + $0.output.offset },
                               logits: logits, gathered: gathered, chunkRows: Self.classifierChunk, integer: integerProducts, pool: model.pool)
    }

    private func forward(_ batch: PackedBatch, dropoutSeed: UInt64?) {
        let d = model.config.hiddenSize, embedding = weights.embedding, input = layers[0].input, rope = model.rope
        let prompt = virtual?.configuration.kind == .promptTuning ? virtual?.values : nil
        virtual?.computePrefixes(pool: model.pool)
        model.pool.forEachRow(batch.rows) { r in
            if batch.tokens[r] >= 0 {
                embedding.dequantizeRow(batch.tokens[r], into: input + r * d)
            } else if let prompt {
                (input + r * d).update(from: prompt + batch.positions[r] * d, count: d)
            } else {
                // A prefix-tuning row: only its keys and values are read, and those are replaced in every layer.
                (input + r * d).update(repeating: 0, count: d)
            }
            rope.rotation(position: batch.positions[r], into: self.rotations + r * rope.dimensions)
            rope.rotation(position: batch.positions[r], into: self.inverseRotations + r * rope.dimensions, inverse: true)
        }
        for l in layers.indices { forwardLayer(l, batch, dropoutSeed: dropoutSeed) }
    }

    private func output(ofLayer l: Int) -> UnsafeMutablePointer<Float> { l + 1 < layers.count ? layers[l + 1].input : final }

    private func forwardLayer(_ l: Int, _ batch: PackedBatch, dropoutSeed: UInt64?) {
        let c = model.config, n = batch.rows, d = c.hiddenSize, kvd = c.kvDim, ff = c.intermediateSize, hd = c.headDim
        let s = layers[l], pool = model.pool, out = output(ofLayer: l)
        func project(_ outputs: [(Projection, UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, accumulate: Bool = false) {
            self.project(l, outputs, x, n: n, accumulate: accumulate, low: s.low, dropoutSeed: dropoutSeed)
        }
        RMSNorm.forward(s.input, weights.attentionNorms[l], normed, n: n, d: d, eps: c.rmsNormEps, pool: pool)
        project([(.q, s.q), (.k, s.k), (.v, s.v)], normed)
        pool.forEachRow(n) { r in
            model.rope.apply(s.q + r * d, heads: c.headCount, headDim: hd, rotation: rotations + r * model.rope.dimensions)
            model.rope.apply(s.k + r * kvd, heads: c.kvHeadCount, headDim: hd, rotation: rotations + r * model.rope.dimensions)
        }
        if let prefix = prefixTuning { prefix.insert(layer: l, batch, keys: s.k, values: s.v) }
        CausalAttention.forward(q: s.q, k: s.k, v: s.v, out: s.attention, probabilities: s.probabilities,
                                sequences: batch.sequences, heads: c.headCount, kvHeads: c.kvHeadCount, headDim: hd, pool: pool)
        pool.forEachRow(n) { r in (s.middle + r * d).update(from: s.input + r * d, count: d) }
        project([(.o, s.middle)], s.attention, accumulate: true)

        RMSNorm.forward(s.middle, weights.ffnNorms[l], normed, n: n, d: d, eps: c.rmsNormEps, pool: pool)
        project([(.gate, s.gate), (.up, s.up)], normed)
        SwiGLU.forward(s.gate, s.up, s.act, n: n, ff: ff, pool: pool)
        pool.forEachRow(n) { r in (out + r * d).update(from: s.middle + r * d, count: d) }
        project([(.down, out)], s.act, accumulate: true)
    }

    /// `dres` holds the gradient at layer l's output on entry and at its input on return
    /// (layer 0 stops short, the embedding being frozen, unless the input is prompt tuning's or trained).
    private func backwardLayer(_ l: Int, _ batch: PackedBatch, dropoutSeed: UInt64) {
        let c = model.config, n = batch.rows, d = c.hiddenSize, kvd = c.kvDim, ff = c.intermediateSize, hd = c.headDim
        let s = layers[l], pool = model.pool
        let normGradients = full.map { ($0.gradients + $0.attentionNorms[l].offset, $0.gradients + $0.ffnNorms[l].offset) }
        func project(_ p: Projection, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
            projectBackward(l, p, dy: dy, x: x, dx: dx, n: n, accumulate: accumulate, low: s.low[p], dropoutSeed: dropoutSeed)
        }
        // MLP: output = middle + down(silu(gate(x̂)) · up(x̂)), x̂ = norm(middle)
        RMSNorm.forward(s.middle, weights.ffnNorms[l], normed, n: n, d: d, eps: c.rmsNormEps, pool: pool)
        project(.down, dy: dres, x: s.act, dx: dact)
        SwiGLU.backward(dact, s.gate, s.up, dgate, dup, n: n, ff: ff, pool: pool)
        project(.gate, dy: dgate, x: normed, dx: dnormed)
        project(.up, dy: dup, x: normed, dx: dnormed, accumulate: true)
        RMSNorm.backward(dnormed, s.middle, weights.ffnNorms[l], dres, n: n, d: d, eps: c.rmsNormEps, dw: normGradients?.1, pool: pool)

        // Attention: middle = input + o(attention(rope(q(x̂)), rope(k(x̂)), v(x̂))), x̂ = norm(input)
        project(.o, dy: dres, x: s.attention, dx: datt)
        CausalAttention.backward(dout: datt, q: s.q, k: s.k, v: s.v, out: s.attention, probabilities: s.probabilities,
                                 dq: dq, dk: dk, dv: dv, sequences: batch.sequences, heads: c.headCount, kvHeads: c.kvHeadCount,
                                 headDim: hd, pool: pool)
        if let prefix = prefixTuning { prefix.takeGradients(layer: l, batch, keys: dk, values: dv) }
        pool.forEachRow(n) { r in
            model.rope.apply(dq + r * d, heads: c.headCount, headDim: hd, rotation: inverseRotations + r * model.rope.dimensions)
            model.rope.apply(dk + r * kvd, heads: c.kvHeadCount, headDim: hd, rotation: inverseRotations + r * model.rope.dimensions)
        }
        RMSNorm.forward(s.input, weights.attentionNorms[l], normed, n: n, d: d, eps: c.rmsNormEps, pool: pool)
        let dx = l > 0 || virtual?.configuration.kind == .promptTuning || full != nil ? dnormed : nil
        project(.q, dy: dq, x: normed, dx: dx)
        project(.k, dy: dk, x: normed, dx: dx, accumulate: true)
        project(.v, dy: dv, x: normed, dx: dx, accumulate: true)
        if dx != nil {
            RMSNorm.backward(dnormed, s.input, weights.attentionNorms[l], dres, n: n, d: d, eps: c.rmsNormEps, dw: normGradients?.0, pool: pool)
        }
    }

    private var prefixTuning: PrefixRows? {
        guard let virtual, virtual.configuration.kind == .prefixTuning else { return nil }
        return PrefixRows(parameters: virtual, config: model.config)
    }

    private func dropout(_ l: Int, _ p: Projection, seed: UInt64?) -> DropoutMask? {
        guard let seed, parameters.lora.dropout > 0 else { return nil }
        let site = UInt64(l * Projection.allCases.count + Projection.allCases.firstIndex(of: p)!)
        return DropoutMask(seed: SplitMix64.mix(seed ^ SplitMix64.mix(site)), rate: parameters.lora.dropout)
    }

    /// y_p (+)= W_p·x + scale·B_p·A_p·dropout(x) for n rows and projections p with the common
    /// input x (one product for all frozen weights); A_p·dropout(x) goes to `low[p]`.
    private func project(_ l: Int, _ outputs: [(Projection, UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, n: Int,
                         accumulate: Bool, low: [Projection: UnsafeMutablePointer<Float>], dropoutSeed: UInt64?) {
        let layer = weights.layers[l], inputs = outputs[0].0.shape(model.config).inputs
        WeightMatrix.multiplyLargeBatch(outputs.map { (layer[$0.0]!, $0.1, $0.0.shape(model.config).outputs) }, x, xStride: inputs, n: n,
                                        accumulate: accumulate, integer: integerProducts, pool: model.pool)
        for (p, y) in outputs {
            guard let pair = parameters.pair(layer: l, p), let low = low[p] else { continue }
            var input = x
            if let mask = dropout(l, p, seed: dropoutSeed) {
                mask.apply(x, into: dropped, n: n, cols: inputs, pool: model.pool)
                input = UnsafePointer(dropped)
            }
            pair.forward(x: input, n: n, y: y, low: low, pool: model.pool)
        }
    }

    /// The backward of `project`: dx (+)= dy·W + the adapter's path (when dx is given), and the pair's
    /// gradients, or W's (dyᵀ·x) when it is trained.
    private func projectBackward(_ l: Int, _ p: Projection, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                 dx: UnsafeMutablePointer<Float>?, n: Int, accumulate: Bool, low: UnsafeMutablePointer<Float>?,
                                 dropoutSeed: UInt64) {
        let (outputs, inputs) = p.shape(model.config), pool = model.pool
        if let full {
            let t = full.projections[l][p]!
            pool.sgemm(transA: true, m: outputs, n: inputs, k: n, dy, lda: outputs, x, ldb: inputs, beta: 1, full.gradients + t.offset, ldc: inputs)
        }
        if let dx {
            weights.layers[l][p]!.multiplyTransposed(dy, dyStride: outputs, n: n, into: dx, dxStride: inputs, accumulate: accumulate,
                                                          integer: integerProducts, pool: pool)
        }
        guard let pair = parameters.pair(layer: l, p), let low else { return }
        guard let mask = dropout(l, p, seed: dropoutSeed) else {
            return pair.backward(dy: dy, x: x, low: low, n: n, dlow: dlow, dx: dx, accumulate: true, pool: pool)
        }
        mask.apply(x, into: dropped, n: n, cols: inputs, pool: pool)
        pair.backward(dy: dy, x: dropped, low: low, n: n, dlow: dlow, dx: dx.map { _ in droppedGrad }, accumulate: false, pool: pool)
        guard let dx else { return }
        mask.apply(droppedGrad, into: droppedGrad, n: n, cols: inputs, pool: pool)
        pool.forEachRow(n) { r in VectorOps.add(self.droppedGrad + r * inputs, dx + r * inputs, inputs) }
    }
}

/// Prefix tuning's keys and values in the virtual rows of a batch: in the forward they replace
/// what the rows computed (after RoPE: the prefixes are keys as the cache holds them); in the
/// backward their gradients go to the prefixes and are cleared, so nothing flows into the rows.
struct PrefixRows {
    let parameters: VirtualTokenParameters
    let config: LlamaConfig

    // keys, values: (rows, kvd); the prefixes' keys are in Hugging Face row order within each head.
    func insert(layer l: Int, _ batch: PackedBatch, keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>) {
        let kvd = config.kvDim, hd = config.headDim, width = parameters.width, prefixes = parameters.prefixes
        for (row, i) in batch.virtualRows {
            let key = prefixes + i * width + 2 * l * kvd
            for r in 0..<kvd { keys[row * kvd + r] = key[RopeRowPermutation.huggingFaceRow(forGGUFRow: r, headDim: hd)] }
            (values + row * kvd).update(from: key + kvd, count: kvd)
        }
    }

    func takeGradients(layer l: Int, _ batch: PackedBatch, keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>) {
        let kvd = config.kvDim, hd = config.headDim, width = parameters.width, gradients = parameters.prefixGradients
        for (row, i) in batch.virtualRows {
            let key = gradients + i * width + 2 * l * kvd
            for r in 0..<kvd { key[RopeRowPermutation.huggingFaceRow(forGGUFRow: r, headDim: hd)] += keys[row * kvd + r] }
            VectorOps.add(values + row * kvd, key + kvd, kvd)
            (keys + row * kvd).update(repeating: 0, count: kvd)
            (values + row * kvd).update(repeating: 0, count: kvd)
        }
    }
}

extension TrainingModel {
    /// What the forward multiplies by, with the norms' gains as pointers (the frozen ones copied
    /// once into the arena, the trained ones where the optimiser updates them).
    fileprivate struct Weights {
        let embedding, output: WeightMatrix
        let layers: [[Projection: WeightMatrix]]
        let attentionNorms, ffnNorms: [UnsafePointer<Float>]
        let outputNorm: UnsafePointer<Float>

        init(frozen w: LlamaWeights, arena: ActivationArena) {
            func gain(_ values: [Float]) -> UnsafePointer<Float> {
                let p = arena.allocate(values.count)
                p.update(from: values, count: values.count)
                return UnsafePointer(p)
            }
            embedding = w.tokenEmbedding
            output = w.output
            layers = w.layers.map { layer in Dictionary(uniqueKeysWithValues: Projection.allCases.map { ($0, layer[$0]) }) }
            attentionNorms = w.layers.map { gain($0.attentionNorm) }
            ffnNorms = w.layers.map { gain($0.ffnNorm) }
            outputNorm = gain(w.outputNorm)
        }

        init(_ full: FullParameters) {
            embedding = full.matrix(full.embedding)
            output = full.matrix(full.output)
            layers = full.projections.map { $0.mapValues(full.matrix) }
            attentionNorms = full.attentionNorms.map { UnsafePointer(full.values + $0.offset) }
            ffnNorms = full.ffnNorms.map { UnsafePointer(full.values + $0.offset) }
            outputNorm = UnsafePointer(full.values + full.outputNorm.offset)
        }
    }
}
