import ModelFormats
import TensorKernels

/// The projections of a transformer block that LoRA adapters can target, with the
/// Hugging Face module names used in PEFT files.
public enum Projection: String, CaseIterable, Sendable, Codable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj"
    case gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// The tensor name inside a GGUF block (`blk.N.<name>.weight`).
    public var ggufName: String {
        switch self {
        case .q: "attn_q"
        case .k: "attn_k"
        case .v: "attn_v"
        case .o: "attn_output"
        case .gate: "ffn_gate"
        case .up: "ffn_up"
        case .down: "ffn_down"
        }
    }

    /// The Hugging Face module path inside a layer (`model.layers.N.<path>`).
    public var huggingFacePath: String {
        switch self {
        case .q, .k, .v, .o: "self_attn." + rawValue
        case .gate, .up, .down: "mlp." + rawValue
        }
    }
}

public struct LayerWeights: Sendable {
    public let attentionNorm: [Float]
    public let q, k, v, o: WeightMatrix
    public let ffnNorm: [Float]
    public let gate, up, down: WeightMatrix

    public subscript(_ p: Projection) -> WeightMatrix {
        switch p {
        case .q: q
        case .k: k
        case .v: v
        case .o: o
        case .gate: gate
        case .up: up
        case .down: down
        }
    }
}

/// All weights of a llama model, in GGUF's layout (q/k rows permuted for adjacent-pair RoPE).
public struct LlamaWeights: Sendable {
    public let tokenEmbedding: WeightMatrix
    public let layers: [LayerWeights]
    public let outputNorm: [Float]
    public let output: WeightMatrix
    /// Llama-3.1-style per-frequency RoPE divisors (`rope_freqs.weight`), if the model has them.
    public let ropeFreqFactors: [Float]?

    public init(tokenEmbedding: WeightMatrix, layers: [LayerWeights], outputNorm: [Float], output: WeightMatrix, ropeFreqFactors: [Float]?) {
        self.tokenEmbedding = tokenEmbedding
        self.layers = layers
        self.outputNorm = outputNorm
        self.output = output
        self.ropeFreqFactors = ropeFreqFactors
    }

    /// Names the tensors of a model with `config`, looked up by `tensor`, and checks every shape.
    /// `name` maps a GGUF-style name (`blk.3.attn_q.weight`) to the file's own.
    static func load(config: LlamaConfig, path: String, tensor: (String) throws -> TensorView?) throws -> LlamaWeights {
        func fetch(_ name: String, _ shape: [Int]) throws -> TensorView {
            guard let t = try tensor(name) else { throw ModelFormatError.missingTensor(path: path, tensor: name) }
            let found = t.shape.count == 2 && t.shape[1] == 1 && shape.count == 1 ? [t.shape[0]] : t.shape
            guard found == shape else { throw ModelFormatError.shapeMismatch(path: path, tensor: name, expected: shape, found: t.shape) }
            guard t.type.isSupported else { throw ModelFormatError.unsupportedTensorType(path: path, tensor: name, type: t.type.description) }
            return t
        }
        func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            WeightMatrix(try fetch(name, [cols, rows]))
        }
        // Interleaved for the decode products (an untied embedding, read a row at a time, stays as it lies).
        func projection(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            try matrix(name, rows: rows, cols: cols).interleaved()
        }
        func vector(_ name: String, _ n: Int) throws -> [Float] {
            let t = try fetch(name, [n])
            return [Float](unsafeUninitializedCapacity: n) { buf, count in
                Dequantize.row(t.type, t.data, buf.baseAddress!, count: n)
                count = n
            }
        }
        let d = config.hiddenSize, ff = config.intermediateSize, kv = config.kvDim
        // Tied, it is the output projection too (the largest matrix): interleaved, its rows read back through the layout.
        let embedding = config.tieWordEmbeddings ? try projection("token_embd.weight", rows: config.vocabSize, cols: d)
            : try matrix("token_embd.weight", rows: config.vocabSize, cols: d)
        var layers = [LayerWeights]()
        for i in 0..<config.layerCount {
            let b = "blk.\(i)."
            layers.append(LayerWeights(
                attentionNorm: try vector(b + "attn_norm.weight", d),
                q: try projection(b + "attn_q.weight", rows: d, cols: d),
                k: try projection(b + "attn_k.weight", rows: kv, cols: d),
                v: try projection(b + "attn_v.weight", rows: kv, cols: d),
                o: try projection(b + "attn_output.weight", rows: d, cols: d),
                ffnNorm: try vector(b + "ffn_norm.weight", d),
                gate: try projection(b + "ffn_gate.weight", rows: ff, cols: d),
                up: try projection(b + "ffn_up.weight", rows: ff, cols: d),
                down: try projection(b + "ffn_down.weight", rows: d, cols: ff)))
        }
        let output = config.tieWordEmbeddings ? embedding : try projection("output.weight", rows: config.vocabSize, cols: d)
        let freqs = try tensor("rope_freqs.weight") != nil ? try vector("rope_freqs.weight", config.headDim / 2) : nil
        return LlamaWeights(tokenEmbedding: embedding, layers: layers, outputNorm: try vector("output_norm.weight", d),
                            output: output, ropeFreqFactors: freqs)
    }

    /// Weights from Hugging Face safetensors (F32/F16/BF16). The q/k projections are copied
    /// into GGUF's row order so that both formats run through the same RoPE.
    public init(huggingFace files: SafeTensorsFolder, config: LlamaConfig) throws {
        self = try Self.load(config: config, path: files.folder) { name in
            guard let hf = Self.huggingFaceName(name), files.names.contains(hf) else { return nil }
            let t = try files.tensor(hf)
            let isQK = name.hasSuffix("attn_q.weight") || name.hasSuffix("attn_k.weight")
            // A wrong shape is left for the shape check to report.
            guard isQK, t.shape.count == 2, t.rows % config.headDim == 0 else { return t }
            return RopeRowPermutation.toGGUF(t, headDim: config.headDim)
        }
    }

    /// The Hugging Face tensor name for a GGUF tensor name.
    public static func huggingFaceName(_ gguf: String) -> String? {
        switch gguf {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = gguf.split(separator: ".")
        guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let prefix = "model.layers.\(layer)."
        switch parts[2] {
        case "attn_norm": return prefix + "input_layernorm.weight"
        case "ffn_norm": return prefix + "post_attention_layernorm.weight"
        default:
            guard let p = Projection.allCases.first(where: { $0.ggufName == parts[2] }) else { return nil }
            return prefix + p.huggingFacePath + ".weight"
        }
    }

    /// Weights straight from a GGUF file's mapping.
    public init(gguf: GGUFFile, config: LlamaConfig) throws {
        self = try Self.load(config: config, path: gguf.path) { name in
            gguf.info(name) == nil ? nil : try gguf.tensor(name)
        }
    }
}

/// GGUF stores q/k projection rows permuted so that RoPE can rotate adjacent pairs:
/// GGUF row h·hd + 2i + j holds Hugging Face row h·hd + (hd/2)·j + i.
public enum RopeRowPermutation {
    /// The Hugging Face row that lands at GGUF row `r`.
    @inline(__always)
    public static func huggingFaceRow(forGGUFRow r: Int, headDim: Int) -> Int {
        let h = r / headDim, w = r % headDim
        return h * headDim + (headDim / 2) * (w % 2) + w / 2
    }

    /// Copies `tensor` (rows in Hugging Face order) into a new buffer with rows in GGUF order.
    public static func toGGUF(_ tensor: TensorView, headDim: Int) -> TensorView {
        let rowBytes = tensor.byteCount / tensor.rows
        let buffer = AlignedBuffer(byteCount: tensor.byteCount)
        for r in 0..<tensor.rows {
            let src = huggingFaceRow(forGGUFRow: r, headDim: headDim)
            (buffer.raw + r * rowBytes).copyMemory(from: tensor.data + src * rowBytes, byteCount: rowBytes)
        }
        return TensorView(name: tensor.name, type: tensor.type, shape: tensor.shape, data: buffer.raw,
                          byteCount: tensor.byteCount, owner: buffer)
    }

    /// The same for a row-major float matrix of `cols` columns (a LoRA B, for one).
    public static func toGGUF(_ values: [Float], cols: Int, headDim: Int) -> [Float] {
        (0..<values.count / cols).flatMap { r in
            let src = huggingFaceRow(forGGUFRow: r, headDim: headDim)
            return values[src * cols..<(src + 1) * cols]
        }
    }

    /// Inverse of `toGGUF`: rows in GGUF order back to Hugging Face order.
    public static func toHuggingFace(_ values: [Float], cols: Int, headDim: Int) -> [Float] {
        var out = values
        for r in 0..<values.count / cols {
            let dst = huggingFaceRow(forGGUFRow: r, headDim: headDim)
            out[dst * cols..<(dst + 1) * cols] = values[r * cols..<(r + 1) * cols]
        }
        return out
    }
}
