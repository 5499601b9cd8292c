import Foundation
import ModelFormats

/// Hyper-parameters of a llama-architecture model. The coding keys are Hugging Face's
/// `config.json` names; `init(gguf:)` reads the same values from GGUF metadata. Nothing
/// else in the engine reads metadata keys.
public struct LlamaConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var ropeTheta: Float
    public var rmsNormEps: Float
    public var contextLength: Int
    public var tieWordEmbeddings: Bool
    /// Linear RoPE scaling factor (positions are divided by it); 1 when absent.
    public var ropeLinearScale: Float

    public var headDim: Int { hiddenSize / headCount }
    public var kvDim: Int { kvHeadCount * headDim }
    /// Weights of the transformer (embeddings counted once): enough to tell 135M from 7B.
    public var parameterCount: Int {
        let attention = hiddenSize * (2 * hiddenSize + 2 * kvDim), mlp = 3 * hiddenSize * intermediateSize
        return vocabSize * hiddenSize + layerCount * (attention + mlp)
    }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", headCount = "num_attention_heads", kvHeadCount = "num_key_value_heads"
        case ropeTheta = "rope_theta", rmsNormEps = "rms_norm_eps", contextLength = "max_position_embeddings"
        case tieWordEmbeddings = "tie_word_embeddings", ropeScaling = "rope_scaling", modelType = "model_type"
    }

    struct RopeScaling: Codable {
        var type: String?
        var ropeType: String?
        var factor: Float?
        enum CodingKeys: String, CodingKey { case type, ropeType = "rope_type", factor }
    }

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                kvHeadCount: Int, ropeTheta: Float = 10000, rmsNormEps: Float = 1e-5, contextLength: Int = 2048,
                tieWordEmbeddings: Bool = false, ropeLinearScale: Float = 1) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.ropeTheta = ropeTheta
        self.rmsNormEps = rmsNormEps
        self.contextLength = contextLength
        self.tieWordEmbeddings = tieWordEmbeddings
        self.ropeLinearScale = ropeLinearScale
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType), !["llama", "mistral"].contains(type) {
            throw LlamaError.unsupportedArchitecture(type)
        }
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        kvHeadCount = try c.decodeIfPresent(Int.self, forKey: .kvHeadCount) ?? headCount
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? 10000
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        contextLength = try c.decodeIfPresent(Int.self, forKey: .contextLength) ?? 2048
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        ropeLinearScale = 1
        if let s = try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling) {
            let kind = s.type ?? s.ropeType ?? "default"
            guard kind == "linear" || kind == "default" else { throw LlamaError.unsupportedRopeScaling(kind) }
            if kind == "linear" { ropeLinearScale = s.factor ?? 1 }
        }
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("llama", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(kvHeadCount, forKey: .kvHeadCount)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if ropeLinearScale != 1 { try c.encode(RopeScaling(type: "linear", factor: ropeLinearScale), forKey: .ropeScaling) }
    }

    /// Reads the `llama.*` hyper-parameters of a GGUF model.
    public init(gguf: GGUFFile) throws {
        let arch = try gguf.string("general.architecture")
        guard arch == "llama" else { throw ModelFormatError.unsupportedArchitecture(path: gguf.path, architecture: arch) }
        hiddenSize = try gguf.int("llama.embedding_length")
        intermediateSize = try gguf.int("llama.feed_forward_length")
        layerCount = try gguf.int("llama.block_count")
        headCount = try gguf.int("llama.attention.head_count")
        kvHeadCount = gguf.metadata["llama.attention.head_count_kv"] != nil ? try gguf.int("llama.attention.head_count_kv") : headCount
        ropeTheta = gguf.metadata["llama.rope.freq_base"] != nil ? Float(try gguf.double("llama.rope.freq_base")) : 10000
        rmsNormEps = Float(try gguf.double("llama.attention.layer_norm_rms_epsilon"))
        contextLength = try gguf.int("llama.context_length")
        if gguf.metadata["llama.vocab_size"] != nil {
            vocabSize = try gguf.int("llama.vocab_size")
        } else if let tokens = gguf.metadata["tokenizer.ggml.tokens"]?.arrayValue {
            vocabSize = tokens.count
        } else {
            guard let emb = gguf.info("token_embd.weight"), emb.shape.count == 2 else {
                throw ModelFormatError.missingTensor(path: gguf.path, tensor: "token_embd.weight")
            }
            vocabSize = emb.shape[1]
        }
        tieWordEmbeddings = gguf.info("output.weight") == nil
        ropeLinearScale = 1
        if let kind = gguf.metadata["llama.rope.scaling.type"]?.stringValue, kind != "none" {
            guard kind == "linear" else { throw LlamaError.unsupportedRopeScaling(kind) }
            ropeLinearScale = Float(try gguf.double("llama.rope.scaling.factor"))
        } else if gguf.metadata["llama.rope.scale_linear"] != nil {
            ropeLinearScale = Float(try gguf.double("llama.rope.scale_linear"))
        }
        if let rot = gguf.metadata["llama.rope.dimension_count"]?.intValue, rot != hiddenSize / max(headCount, 1) {
            throw ModelFormatError.malformed(path: gguf.path, detail: "llama.rope.dimension_count \(rot) differs from the head size; partial rotary embeddings are not supported")
        }
        do { try validate() } catch let LlamaError.invalidConfig(why) {
            throw ModelFormatError.malformed(path: gguf.path, detail: why)
        }
    }

    /// Reads `config.json` of a Hugging Face model folder.
    public init(huggingFaceFolder folder: String) throws {
        let path = folder + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFormatError.cannotOpen(path: path, reason: "missing")
        }
        do {
            self = try JSONDecoder().decode(LlamaConfig.self, from: data)
        } catch let e as LlamaError {
            throw ModelFormatError.malformed(path: path, detail: e.description)
        } catch let DecodingError.keyNotFound(key, _) {
            throw ModelFormatError.missingMetadata(path: path, key: key.stringValue)
        } catch {
            throw ModelFormatError.malformed(path: path, detail: "\(error)")
        }
    }

    func validate() throws {
        func check(_ ok: Bool, _ why: String) throws { if !ok { throw LlamaError.invalidConfig(why) } }
        try check(vocabSize > 0 && hiddenSize > 0 && intermediateSize > 0 && layerCount > 0, "sizes must be positive")
        try check(headCount > 0 && hiddenSize % headCount == 0, "hidden size \(hiddenSize) is not a multiple of head count \(headCount)")
        try check(kvHeadCount > 0 && headCount % kvHeadCount == 0, "head count \(headCount) is not a multiple of kv head count \(kvHeadCount)")
        try check(headDim % 2 == 0, "head size \(headDim) is odd")
        try check(contextLength > 0, "context length must be positive")
        try check(rmsNormEps > 0 && ropeTheta > 0 && ropeLinearScale > 0, "rms eps, rope base and rope scale must be positive")
    }
}

public enum LlamaError: Error, CustomStringConvertible, Equatable {
    case unsupportedArchitecture(String)
    case unsupportedRopeScaling(String)
    case invalidConfig(String)
    case contextOverflow(needed: Int, limit: Int)
    case tokenOutOfRange(token: Int, vocabularySize: Int)
    case invalidAdapter(String)

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(a): "unsupported model type '\(a)' (supported: llama)"
        case let .unsupportedRopeScaling(k): "unsupported RoPE scaling '\(k)' (supported: linear)"
        case let .invalidConfig(why): "invalid model configuration: \(why)"
        case let .contextOverflow(needed, limit): "the sequence needs \(needed) tokens but the context holds \(limit)"
        case let .tokenOutOfRange(t, n): "token id \(t) is outside the vocabulary (0..<\(n))"
        case let .invalidAdapter(why): "adapter does not fit the model: \(why)"
        }
    }
}
