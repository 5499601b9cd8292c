import Llama
import ModelFormats
import TensorKernels

/// Every weight of the model in float32, trained (full fine-tuning), in one flat vector with
/// its gradients beside it. Order: the token embedding; per layer the attention norm, q, k, v,
/// o, the MLP norm, gate, up, down; the output norm; the output head unless it is tied to the
/// embedding. Matrices row-major (outputs × inputs), q/k rows in GGUF's RoPE order, as the
/// engine and a GGUF file hold them. The memory is mapped when made and only taken when
/// `load` writes it, so a trainer can size the run before committing to it.
final class FullParameters: TrainableParameters {
    /// One tensor of the vector: `rows` × `cols` values from `offset` (a norm has one row).
    struct Tensor {
        let name: String
        let offset: Int
        let rows: Int
        let cols: Int
        var range: Range<Int> { offset..<offset + rows * cols }
    }

    let config: LlamaConfig
    let embedding: Tensor
    let attentionNorms: [Tensor]
    let ffnNorms: [Tensor]
    let projections: [[Projection: Tensor]]
    let outputNorm: Tensor
    /// The embedding itself when the model ties them.
    let output: Tensor
    let count: Int
    let values: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    private let arena = ActivationArena()

    init(config: LlamaConfig) {
        self.config = config
        let d = config.hiddenSize
        var offset = 0
        func tensor(_ name: String, _ rows: Int, _ cols: Int) -> Tensor {
            defer { offset += rows * cols }
            return Tensor(name: name, offset: offset, rows: rows, cols: cols)
        }
        embedding = tensor("token_embd.weight", config.vocabSize, d)
        var attentionNorms = [Tensor](), ffnNorms = [Tensor](), projections = [[Projection: Tensor]]()
        for l in 0..<config.layerCount {
            func matrix(_ p: Projection) -> (Projection, Tensor) {
                let (outputs, inputs) = p.shape(config)
                return (p, tensor("blk.\(l).\(p.ggufName).weight", outputs, inputs))
            }
            attentionNorms.append(tensor("blk.\(l).attn_norm.weight", 1, d))
            var layer = Dictionary(uniqueKeysWithValues: [Projection.q, .k, .v, .o].map(matrix))
            ffnNorms.append(tensor("blk.\(l).ffn_norm.weight", 1, d))
            layer.merge([Projection.gate, .up, .down].map(matrix)) { a, _ in a }
            projections.append(layer)
        }
        (self.attentionNorms, self.ffnNorms, self.projections) = (attentionNorms, ffnNorms, projections)
        outputNorm = tensor("output_norm.weight", 1, d)
        output = config.tieWordEmbeddings ? embedding : tensor("output.weight", config.vocabSize, d)
        count = offset
        values = arena.allocate(count)
        gradients = arena.allocate(count)
    }

    /// Bytes the values and gradients take once written.
    var byteCount: Int { 2 * count * MemoryLayout<Float>.size }

    /// Every tensor, in file order (the output head only when it is not the embedding).
    var tensors: [Tensor] {
        var all = [embedding]
        for l in 0..<config.layerCount {
            all.append(attentionNorms[l])
            all += [Projection.q, .k, .v, .o].map { projections[l][$0]! }
            all.append(ffnNorms[l])
            all += [Projection.gate, .up, .down].map { projections[l][$0]! }
        }
        all.append(outputNorm)
        if !config.tieWordEmbeddings { all.append(output) }
        return all
    }

    /// The embedding sits below layer 0, so that layer-wise decay gives it the smallest rate;
    /// the output norm and head take the full rate.
    var groups: [(layer: Int?, range: Range<Int>)] {
        let layers = (0..<config.layerCount).map { l in (Optional(l), attentionNorms[l].offset..<projections[l][.down]!.range.upperBound) }
        return [(-1, embedding.range)] + layers + [(nil, outputNorm.offset..<count)]
    }

    /// Starts from the frozen model's weights, dequantised (this is when the memory is taken).
    func load(from weights: LlamaWeights, pool: ComputePool) {
        func copy(_ m: WeightMatrix, _ t: Tensor) {
            pool.forEachRow(t.rows) { r in m.dequantizeRow(r, into: self.values + t.offset + r * t.cols) }
        }
        copy(weights.tokenEmbedding, embedding)
        for (l, w) in weights.layers.enumerated() {
            (values + attentionNorms[l].offset).update(from: w.attentionNorm, count: config.hiddenSize)
            (values + ffnNorms[l].offset).update(from: w.ffnNorm, count: config.hiddenSize)
            for (p, t) in projections[l] { copy(w[p], t) }
        }
        (values + outputNorm.offset).update(from: weights.outputNorm, count: config.hiddenSize)
        if !config.tieWordEmbeddings { copy(weights.output, output) }
        zeroGradients()
    }

    /// A tensor of the vector as a float32 weight the kernels multiply in place.
    func matrix(_ t: Tensor) -> WeightMatrix {
        WeightMatrix(TensorView(name: t.name, type: .f32, shape: [t.cols, t.rows], data: values + t.offset,
                                byteCount: t.rows * t.cols * MemoryLayout<Float>.size, owner: arena))
    }
}
