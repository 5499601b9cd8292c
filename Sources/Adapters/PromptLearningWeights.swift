import Foundation
import Llama
import ModelFormats
import TensorKernels

/// A prompt-tuning or prefix-tuning adapter as PEFT saves it: a folder with `adapter_config.json`
/// and `adapter_model.safetensors` holding one tensor, `prompt_embeddings` (virtualTokens × width).
public struct PromptLearningWeights: Sendable, Equatable {
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// Embeddings (width hiddenSize) fed in front of the input, at positions 0..<virtualTokens.
        case promptTuning = "PROMPT_TUNING"
        /// Every layer's keys and values for positions 0..<virtualTokens, in front of the KV cache.
        case prefixTuning = "PREFIX_TUNING"
    }

    public var method: Method
    public var virtualTokens: Int
    /// virtualTokens × width, row-major. Prefix tuning: per token, for each layer its key then its
    /// value (kvDim each, rows in Hugging Face order within each head, the key not rotated).
    public var embeddings: [Float]
    /// Prompt tuning's TEXT initialisation, recorded.
    public var initialText: String?
    /// Prefix tuning: the width of the reparameterisation MLP it was trained with, recorded (the
    /// saved prefixes already are its output).
    public var projectionSize: Int?
    public var baseModel: String?

    public init(method: Method, virtualTokens: Int, config: LlamaConfig, embeddings: [Float], initialText: String? = nil,
                projectionSize: Int? = nil, baseModel: String? = nil) {
        precondition(embeddings.count == virtualTokens * Self.width(method, config))
        self.method = method
        self.virtualTokens = virtualTokens
        self.embeddings = embeddings
        self.initialText = initialText
        self.projectionSize = projectionSize
        self.baseModel = baseModel
    }

    /// Floats per virtual token of prefix tuning: every layer's key and value.
    public static func prefixWidth(_ config: LlamaConfig) -> Int { config.layerCount * 2 * config.kvDim }

    public static func width(_ method: Method, _ config: LlamaConfig) -> Int {
        method == .promptTuning ? config.hiddenSize : prefixWidth(config)
    }

    static let tensorName = "prompt_embeddings"

    /// Prefix tuning: layer `l`'s keys and values, virtualTokens × kvDim each, the keys' rows
    /// permuted into the engine's GGUF RoPE order (queries are, so their products are unchanged).
    public func prefix(layer l: Int, config: LlamaConfig) -> (keys: [Float], values: [Float]) {
        precondition(method == .prefixTuning)
        let kvd = config.kvDim, width = Self.prefixWidth(config)
        var keys = [Float](repeating: 0, count: virtualTokens * kvd), values = keys
        for i in 0..<virtualTokens {
            let k = i * width + 2 * l * kvd
            for r in 0..<kvd { keys[i * kvd + r] = embeddings[k + RopeRowPermutation.huggingFaceRow(forGGUFRow: r, headDim: config.headDim)] }
            values[i * kvd..<(i + 1) * kvd] = embeddings[k + kvd..<k + 2 * kvd]
        }
        return (keys, values)
    }

    /// Reads a PEFT folder saved by `save_pretrained` (or `write`), checked against `config`.
    public static func read(folder: String, config: LlamaConfig) throws(AdapterError) -> PromptLearningWeights {
        let configPath = folder + "/" + PEFTAdapter.configFile
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw .missingFile(path: configPath, hint: "a PEFT adapter folder holds \(PEFTAdapter.configFile) and \(PEFTAdapter.weightsFile)")
        }
        guard let json = try? JSONDecoder().decode([String: JSONField].self, from: data) else {
            throw .unreadable(.malformed(path: configPath, detail: "not a JSON object"))
        }
        func bad(_ key: String, _ problem: String) -> AdapterError { .invalidConfig(path: configPath, key: key, problem: problem) }
        guard case let .string(type)? = json["peft_type"], let method = Method(rawValue: type) else {
            throw bad("peft_type", "is \(json["peft_type"]?.description ?? "missing"); expected PROMPT_TUNING or PREFIX_TUNING")
        }
        if let task = json["task_type"], task.isSet, task != .string("CAUSAL_LM") {
            throw bad("task_type", "is \(task); only CAUSAL_LM adapters are supported")
        }
        guard let n = json["num_virtual_tokens"]?.integer, n > 0 else { throw bad("num_virtual_tokens", "must be a positive integer") }
        if let submodules = json["num_transformer_submodules"]?.integer, submodules != 1 {
            throw bad("num_transformer_submodules", "is \(submodules); a decoder-only model has 1")
        }
        if let layers = json["num_layers"]?.integer, layers != config.layerCount {
            throw bad("num_layers", "is \(layers), the model has \(config.layerCount) layers")
        }
        let width = Self.width(method, config)
        let weightsPath = folder + "/" + PEFTAdapter.weightsFile
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw .missingFile(path: weightsPath, hint: "") }
        let file = try AdapterError.reading(weightsPath) { try SafeTensorsFile(path: weightsPath) }
        guard file.names.contains(tensorName) else {
            throw .unreadable(.malformed(path: weightsPath, detail: "no \(tensorName) tensor (it holds \(file.names.sorted().joined(separator: ", ")))"))
        }
        let tensor = try AdapterError.reading(weightsPath) { try file.tensor(tensorName) }
        guard Array(tensor.shape.reversed()) == [n, width] else {
            throw .shapeMismatch(path: weightsPath, tensor: tensorName, expected: [n, width], found: tensor.shape.reversed())
        }
        let embeddings = [Float](unsafeUninitializedCapacity: n * width) { buffer, count in
            Dequantize.row(tensor.type, tensor.data, buffer.baseAddress!, count: n * width)
            count = n * width
        }
        guard embeddings.allSatisfy(\.isFinite) else { throw .nonFinite(path: weightsPath, tensor: tensorName) }
        var weights = PromptLearningWeights(method: method, virtualTokens: n, config: config, embeddings: embeddings)
        if case let .string(text)? = json["prompt_tuning_init_text"] { weights.initialText = text }
        if json["prefix_projection"] == .bool(true) { weights.projectionSize = json["encoder_hidden_size"]?.integer }
        if case let .string(name)? = json["base_model_name_or_path"] { weights.baseModel = name }
        return weights
    }

    /// Writes the folder as PEFT's `save_pretrained` does, atomically, with `extraFiles` beside it.
    public func write(to folder: String, config: LlamaConfig, extraFiles: [String: [UInt8]] = [:]) throws(AdapterError) {
        var weights = SafeTensorsWriter(metadata: ["format": "pt"])
        // ggml order: columns first.
        weights.addTensor(name: Self.tensorName, shape: [embeddings.count / virtualTokens, virtualTokens], floats: embeddings)
        let configBytes: Data
        do { configBytes = try JSONSerialization.data(withJSONObject: settings(config), options: [.prettyPrinted, .sortedKeys]) } catch {
            throw .cannotWrite(path: folder, reason: "\(error)")
        }
        try PEFTAdapter.replaceFolder(folder) { temp in
            try weights.write(to: temp + "/" + PEFTAdapter.weightsFile)
            try AtomicFileWriter.write(Array(configBytes), to: temp + "/" + PEFTAdapter.configFile)
            for (name, bytes) in extraFiles { try AtomicFileWriter.write(bytes, to: temp + "/" + name) }
        }
    }

    /// `adapter_config.json` as peft writes it for this method. Prefix tuning's `token_dim` and
    /// `num_attention_heads` are the key/value width and heads (peft's grouped-query handling).
    private func settings(_ config: LlamaConfig) -> [String: Any] {
        let null = NSNull()
        var json: [String: Any] = [
            "auto_mapping": null, "base_model_name_or_path": baseModel ?? null, "inference_mode": true, "modules_to_save": null,
            "num_layers": config.layerCount, "num_transformer_submodules": 1, "num_virtual_tokens": virtualTokens,
            "peft_type": method.rawValue, "revision": null, "task_type": "CAUSAL_LM",
        ]
        switch method {
        case .promptTuning:
            json["token_dim"] = config.hiddenSize
            json["num_attention_heads"] = config.headCount
            json["prompt_tuning_init"] = initialText == nil ? "RANDOM" : "TEXT"
            json["prompt_tuning_init_text"] = initialText ?? null
            json["tokenizer_name_or_path"] = initialText == nil ? null : (baseModel ?? null)
            json["tokenizer_kwargs"] = null
        case .prefixTuning:
            json["token_dim"] = config.kvDim
            json["num_attention_heads"] = config.kvHeadCount
            json["prefix_projection"] = projectionSize != nil
            json["encoder_hidden_size"] = projectionSize ?? config.kvDim
            json["init_weights"] = null
        }
        return json
    }
}
