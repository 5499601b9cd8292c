import Foundation
import Llama
import ModelFormats

/// A Hugging Face PEFT LoRA folder: `adapter_config.json` and `adapter_model.safetensors`, whose
/// tensors are `base_model.model.model.layers.N.<module>.lora_A.weight` (rank × inputs) and
/// `.lora_B.weight` (outputs × rank), rows in Hugging Face order.
public enum PEFTAdapter {
    public static let configFile = "adapter_config.json"
    static let weightsFile = "adapter_model.safetensors"

    static func tensorName(_ m: LoRATensorSet.Module, _ matrix: LoRATensorSet.Matrix) -> String {
        "base_model.model.model.layers.\(m.layer).\(m.projection.huggingFacePath).lora_\(matrix == .a ? "A" : "B").weight"
    }

    static func read(folder: String, config: LlamaConfig) throws(AdapterError) -> AdapterWeights {
        let settings = try Settings(path: folder + "/" + configFile, config: config)
        let weightsPath = folder + "/" + weightsFile
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            let pickle = FileManager.default.fileExists(atPath: folder + "/adapter_model.bin")
            throw .missingFile(path: weightsPath, hint: pickle ? "adapter_model.bin is a PyTorch pickle, which is not read: save with safe_serialization=True" : "")
        }
        let file = try AdapterError.reading(weightsPath) { try SafeTensorsFile(path: weightsPath) }
        var tensors = LoRATensorSet(path: weightsPath, config: config, name: tensorName)
        for name in file.names { try tensors.add(AdapterError.reading(weightsPath) { try file.tensor(name) }) }
        let (rank, layers) = try tensors.pairs(declaredRank: settings.rank, targets: settings.targets, bRowsInGGUFOrder: false)
        return AdapterWeights(rank: rank, alpha: settings.alpha, useRSLoRA: settings.useRSLoRA, layers: layers, baseModel: settings.baseModel)
    }

    /// Writes the folder as PEFT's `save_pretrained` does.
    static func write(_ adapter: AdapterWeights, to folder: String, extraFiles: [String: [UInt8]] = [:]) throws(AdapterError) {
        var weights = SafeTensorsWriter(metadata: ["format": "pt"])
        for (l, layer) in adapter.layers.enumerated() {
            // Projection order, not the dictionary's, so that equal adapters give equal files.
            for p in Projection.allCases {
                guard let pair = layer[p] else { continue }
                let m = LoRATensorSet.Module(layer: l, projection: p)
                weights.addTensor(name: tensorName(m, .a), shape: [pair.a.count / adapter.rank, adapter.rank], floats: pair.a)
                weights.addTensor(name: tensorName(m, .b), shape: [adapter.rank, pair.b.count / adapter.rank], floats: pair.b)
            }
        }
        let json = Settings.json(adapter)
        let configBytes: Data
        do { configBytes = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]) } catch {
            throw .cannotWrite(path: folder, reason: "\(error)")
        }
        try replaceFolder(folder) { temp in
            try weights.write(to: temp + "/" + weightsFile)
            try AtomicFileWriter.write(Array(configBytes), to: temp + "/" + configFile)
            for (name, bytes) in extraFiles { try AtomicFileWriter.write(bytes, to: temp + "/" + name) }
        }
    }

    /// Fills a new folder beside `folder` and renames it into place, so readers see the old
    /// adapter or the whole new one. An existing folder holding `marker` (an adapter's config) is
    /// replaced whole; anything else already at that path is left alone.
    public static func replaceFolder(_ folder: String, marker: String = configFile, fill: (String) throws -> Void) throws(AdapterError) {
        let fm = FileManager.default
        var folder = folder
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: folder, isDirectory: &isDirectory)
        guard !exists || (isDirectory.boolValue && fm.fileExists(atPath: folder + "/" + marker)) else {
            throw .cannotWrite(path: folder, reason: "it exists and is not an adapter folder")
        }
        let suffix = "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temp = folder + ".tmp" + suffix, old = folder + ".old" + suffix
        defer { try? fm.removeItem(atPath: temp) }
        do {
            try fm.createDirectory(atPath: temp, withIntermediateDirectories: false)
            try fill(temp)
        } catch {
            throw .cannotWrite(path: folder, reason: "\(error)")
        }
        func move(_ from: String, _ to: String) throws(AdapterError) {
            guard rename(from, to) == 0 else { throw .cannotWrite(path: folder, reason: "rename: " + String(cString: strerror(errno))) }
        }
        if exists { try move(folder, old) }
        do { try move(temp, folder) } catch {
            if exists { rename(old, folder) }
            throw error
        }
        if exists { try? fm.removeItem(atPath: old) }
        let parent = (folder as NSString).deletingLastPathComponent
        let fd = open(parent.isEmpty ? "." : parent, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// What `adapter_config.json` says, checked: plain LoRA of a causal LM, and the modules it adapts.
    struct Settings {
        var rank: Int
        var alpha: Float
        var useRSLoRA: Bool
        var baseModel: String?
        var targets: Set<LoRATensorSet.Module>

        /// Options that change what the adapter computes beyond y += scale·B·A·x, with what they
        /// ask for; each must be absent or at its default (null, false, empty).
        static let unsupported: KeyValuePairs = [
            "use_dora": "DoRA", "lora_bias": "a bias on lora_B", "fan_in_fan_out": "Conv1D-layout weights",
            "rank_pattern": "per-module ranks", "alpha_pattern": "per-module alphas",
            "modules_to_save": "fully trained extra modules", "exclude_modules": "excluded modules",
            "layer_replication": "replicated layers", "target_parameters": "adapted parameters",
            "trainable_token_indices": "trained token embeddings", "alora_invocation_tokens": "activated LoRA",
            "use_qalora": "QA-LoRA", "use_bdlora": "block-diagonal LoRA", "kasa_config": "KaSA",
            "arrow_config": "Arrow routing", "monteclora_config": "MonteCLoRA",
        ]

        init(path: String, config: LlamaConfig) throws(AdapterError) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .missingFile(path: path, hint: "a PEFT adapter folder holds \(configFile) and \(weightsFile)")
            }
            guard let json = try? JSONDecoder().decode([String: JSONField].self, from: data) else {
                throw .unreadable(.malformed(path: path, detail: "not a JSON object"))
            }
            func bad(_ key: String, _ problem: String) -> AdapterError { .invalidConfig(path: path, key: key, problem: problem) }

            guard json["peft_type"] == .string("LORA") else {
                throw bad("peft_type", "is \(json["peft_type"]?.description ?? "missing"); only LORA adapters are supported")
            }
            if let task = json["task_type"], task.isSet, task != .string("CAUSAL_LM") {
                throw bad("task_type", "is \(task); only CAUSAL_LM adapters are supported")
            }
            if let bias = json["bias"], bias != .string("none") {
                throw bad("bias", "is \(bias); only \"none\" is supported (LoRA bias terms are not applied)")
            }
            if let (key, feature) = Self.unsupported.first(where: { json[$0.key]?.isSet == true }) {
                throw bad(key, "is set (\(feature)); only plain LoRA is supported")
            }
            guard let r = json["r"]?.integer, r > 0 else { throw bad("r", "must be a positive integer") }
            guard case let .number(alpha)? = json["lora_alpha"] else { throw bad("lora_alpha", "must be a number") }
            rank = r
            self.alpha = Float(alpha)
            useRSLoRA = json["use_rslora"] == .bool(true)
            if case let .string(name)? = json["base_model_name_or_path"] { baseModel = name }

            var layers = Array(0..<config.layerCount)
            switch json["layers_to_transform"] {
            case nil, .null?: break
            case let .list(items)? where items.allSatisfy({ $0.integer != nil }): layers = items.map { $0.integer! }
            case let item? where item.integer != nil: layers = [item.integer!]
            default: throw bad("layers_to_transform", "must be a layer index or a list of them")
            }
            if let outside = layers.first(where: { !(0..<config.layerCount).contains($0) }) {
                throw bad("layers_to_transform", "names layer \(outside), the model has \(config.layerCount) layers")
            }
            targets = try Self.targets(json["target_modules"], layers: layers, path: path)
        }

        /// PEFT's matching: a list names modules by their last path components (`q_proj`,
        /// `self_attn.q_proj`); a string is a regular expression over whole module paths
        /// (`model.layers.0.self_attn.q_proj`), or `all-linear`.
        static func targets(_ value: JSONField?, layers: [Int], path: String) throws(AdapterError) -> Set<LoRATensorSet.Module> {
            func modules(_ projections: [Projection]) -> Set<LoRATensorSet.Module> {
                Set(layers.flatMap { l in projections.map { LoRATensorSet.Module(layer: l, projection: $0) } })
            }
            switch value {
            case let .list(items)? where !items.isEmpty:
                var projections = [Projection]()
                for item in items {
                    guard case let .string(n) = item else { throw .unknownTargetModule(path: path, module: item.description) }
                    guard let p = Projection.allCases.first(where: { ("." + $0.huggingFacePath).hasSuffix("." + n) }) else {
                        throw .unknownTargetModule(path: path, module: n)
                    }
                    projections.append(p)
                }
                return modules(projections)
            case .string("all-linear")?:
                return modules(Projection.allCases)
            case let .string(pattern)?:
                let regex: Regex<AnyRegexOutput>
                do { regex = try Regex(pattern) } catch {
                    throw .invalidConfig(path: path, key: "target_modules", problem: "is not a valid regular expression: \(pattern)")
                }
                let chosen = modules(Projection.allCases).filter {
                    (try? regex.wholeMatch(in: "model.layers.\($0.layer).\($0.projection.huggingFacePath)")) != nil
                }
                guard !chosen.isEmpty else { throw .unknownTargetModule(path: path, module: pattern) }
                return chosen
            default:
                throw .invalidConfig(path: path, key: "target_modules", problem: "must be a non-empty list of module names or a regular expression")
            }
        }

        /// A complete `adapter_config.json` as peft 0.21 writes it (every field, defaults for
        /// what this adapter does not use), so `PeftModel.from_pretrained` loads it unchanged.
        static func json(_ adapter: AdapterWeights) -> [String: Any] {
            let null = NSNull()
            // Projection names when every adapted layer adapts the same ones (with
            // layers_to_transform for a subset of layers), else a regular expression naming each module.
            let targets = adapter.targets
            let adapted = adapter.layers.indices.filter { !adapter.layers[$0].isEmpty }
            var targetModules: Any = targets.map(\.rawValue), layers: Any = adapted.count == adapter.layers.count ? null : adapted
            if !adapted.allSatisfy({ Set(adapter.layers[$0].keys) == Set(targets) }) {
                let perLayer = adapted.map { l in
                    "\(l)\\.(" + Projection.allCases.filter { adapter.layers[l][$0] != nil }
                        .map { $0.huggingFacePath.replacingOccurrences(of: ".", with: "\\.") }.joined(separator: "|") + ")"
                }
                targetModules = "model\\.layers\\.(" + perLayer.joined(separator: "|") + ")"
                layers = null
            }
            // Through the shortest decimal, so alpha 0.1 is not written as 0.10000000149.
            let alpha = Double("\(adapter.alpha)")!
            return [
                "alora_invocation_tokens": null, "alpha_pattern": [String: Any](), "arrow_config": null, "auto_mapping": null,
                "base_model_name_or_path": adapter.baseModel ?? null, "bias": "none", "corda_config": null,
                "ensure_weight_tying": false, "eva_config": null, "exclude_modules": null, "fan_in_fan_out": false,
                "inference_mode": true, "init_lora_weights": true, "kasa_config": null, "layer_replication": null,
                "layers_pattern": null, "layers_to_transform": layers, "loftq_config": [String: Any](),
                "lora_alpha": alpha, "lora_bias": false, "lora_dropout": 0.0,
                "lora_ga_config": null, "megatron_config": null, "megatron_core": "megatron.core", "modules_to_save": null,
                "monteclora_config": null, "peft_type": "LORA", "qalora_group_size": 16, "r": adapter.rank,
                "rank_pattern": [String: Any](), "revision": null, "target_modules": targetModules,
                "target_parameters": null, "task_type": "CAUSAL_LM", "trainable_token_indices": null, "use_bdlora": null,
                "use_dora": false, "use_qalora": false, "use_rslora": adapter.useRSLoRA, "velora_config": null,
            ]
        }
    }
}

/// A JSON value as `adapter_config.json` holds it (JSONSerialization would blur 0 and false).
indirect enum JSONField: Decodable, Equatable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), list([JSONField]), object([String: JSONField])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let l = try? c.decode([JSONField].self) { self = .list(l) }
        else { self = .object(try c.decode([String: JSONField].self)) }
    }

    /// Anything but null, false, "" and empty lists or objects: an option that is switched on.
    var isSet: Bool {
        switch self {
        case .null: false
        case let .bool(b): b
        case let .string(s): !s.isEmpty
        case let .list(l): !l.isEmpty
        case let .object(o): !o.isEmpty
        case .number: true
        }
    }

    var integer: Int? {
        guard case let .number(n) = self, n == n.rounded(), abs(n) < 1e15 else { return nil }
        return Int(n)
    }

    var description: String {
        switch self {
        case .null: "null"
        case let .bool(b): "\(b)"
        case let .number(n): integer.map(String.init) ?? "\(n)"
        case let .string(s): "\"\(s)\""
        case let .list(l): "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .object: "an object"
        }
    }
}
