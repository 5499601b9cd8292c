import Foundation
import Testing
import TestSupport
import Llama
import ModelFormats
@testable import Adapters

/// Every broken adapter is an `AdapterError` that names the file and the problem, never a crash.
@Suite struct AdapterErrorTests {
    let tiny = TinyLlama(seed: 41)
    let rank = 2
    var config: LlamaConfig { tiny.config }

    func peft(_ edit: (inout PEFTFixture) -> Void = { _ in }) throws -> String {
        var fixture = PEFTFixture(tiny.randomLoRA([.q, .k, .down], rank: rank, seed: 1), rank: rank, alpha: 4)
        edit(&fixture)
        let folder = temporaryDirectory() + "/adapter"
        try fixture.write(to: folder)
        return folder
    }

    func gguf(_ edit: (inout GGUFFixture) -> Void = { _ in }) throws -> String {
        var fixture = GGUFFixture(tiny.randomLoRA([.v, .gate], rank: rank, seed: 2), rank: rank, alpha: 4, config: config)
        edit(&fixture)
        let path = temporaryDirectory() + "/adapter.gguf"
        try fixture.write(to: path)
        return path
    }

    func expectError(_ expected: AdapterError, at path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try AdapterFile.load(path: path, config: config) }
        #expect(expected.description.contains(expected.path), sourceLocation: sourceLocation)
    }

    let a = PEFTFixture.name(1, .down, "A"), b = PEFTFixture.name(1, .down, "B")

    @Test func validFixturesLoad() throws {
        #expect(try AdapterFile.load(path: peft(), config: config).targets == [.q, .k, .down])
        #expect(try AdapterFile.load(path: gguf(), config: config).targets == [.v, .gate])
    }

    @Test func notAnAdapter() throws {
        let dir = temporaryDirectory()
        try tiny.writeGGUF(to: dir + "/base.gguf")
        expectError(.notAnAdapter(path: dir + "/base.gguf", reason: "a GGUF file without general.type = 'adapter' (a base model?)"), at: dir + "/base.gguf")
        try Data("just some text, not an adapter\n".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        expectError(.notAnAdapter(path: dir + "/notes.txt", reason: "neither a PEFT folder (adapter_config.json, adapter_model.safetensors) nor a GGUF file"), at: dir + "/notes.txt")
        expectError(.missingFile(path: dir + "/nothing", hint: "no such file or folder"), at: dir + "/nothing")
        // A Hugging Face model folder is no adapter folder.
        try tiny.writeHuggingFace(to: dir)
        expectError(.missingFile(path: dir + "/adapter_config.json", hint: "a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors"), at: dir)
    }

    @Test func missingFiles() throws {
        let noConfig = try peft()
        try FileManager.default.removeItem(atPath: noConfig + "/adapter_config.json")
        expectError(.missingFile(path: noConfig + "/adapter_config.json", hint: "a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors"), at: noConfig)
        let noWeights = try peft()
        try FileManager.default.moveItem(atPath: noWeights + "/adapter_model.safetensors", toPath: noWeights + "/adapter_model.bin")
        expectError(.missingFile(path: noWeights + "/adapter_model.safetensors", hint: "adapter_model.bin is a PyTorch pickle, which is not read: save with safe_serialization=True"), at: noWeights)
    }

    @Test func configOptionsOtherThanPlainLoRA() throws {
        func path(_ key: String, _ value: Any) throws -> String { try peft { $0.config[key] = value } }
        func problem(_ key: String, _ value: Any, _ text: String) throws {
            let p = try path(key, value)
            expectError(.invalidConfig(path: p + "/adapter_config.json", key: key, problem: text), at: p)
        }
        try problem("bias", "all", "is \"all\"; only \"none\" is supported (LoRA bias terms are not applied)")
        try problem("rank_pattern", ["q_proj": 4], "is set (per-module ranks); only plain LoRA is supported")
        try problem("alpha_pattern", ["q_proj": 4], "is set (per-module alphas); only plain LoRA is supported")
        try problem("use_dora", true, "is set (DoRA); only plain LoRA is supported")
        try problem("fan_in_fan_out", true, "is set (Conv1D-layout weights); only plain LoRA is supported")
        try problem("peft_type", "IA3", "is \"IA3\"; only LORA adapters are supported")
        try problem("task_type", "SEQ_CLS", "is \"SEQ_CLS\"; only CAUSAL_LM adapters are supported")
        try problem("r", 0, "must be a positive integer")
        try problem("lora_alpha", "16", "must be a number")
        try problem("layers_to_transform", [0, 2], "names layer 2, the model has 2 layers")
        try problem("target_modules", [String](), "must be a non-empty list of module names or a regular expression")
        // Defaults written out (false, null, empty) are fine.
        for (key, value) in [("use_dora", false), ("rank_pattern", [String: Int]()), ("modules_to_save", NSNull())] as [(String, Any)] {
            #expect(try AdapterFile.load(path: path(key, value), config: config).rank == rank)
        }
        // A config that is not JSON.
        let garbled = try peft()
        try Data("{\"r\": 2,".utf8).write(to: URL(fileURLWithPath: garbled + "/adapter_config.json"))
        expectError(.unreadable(.malformed(path: garbled + "/adapter_config.json", detail: "not a JSON object")), at: garbled)
    }

    @Test func targetModules() throws {
        let unknown = try peft { $0.config["target_modules"] = ["q_proj", "k_proj", "down_proj", "lm_head"] }
        expectError(.unknownTargetModule(path: unknown + "/adapter_config.json", module: "lm_head"), at: unknown)
        let noMatch = try peft { $0.config["target_modules"] = ".*embed_tokens" }
        expectError(.unknownTargetModule(path: noMatch + "/adapter_config.json", module: ".*embed_tokens"), at: noMatch)
        // PEFT's other spellings: suffixes of the module path, a regular expression, all-linear.
        for spelling in [["self_attn.q_proj", "k_proj", "mlp.down_proj"], #".*\.(q_proj|k_proj|down_proj)"#, "all-linear"] as [Any] {
            let path = try peft { $0.config["target_modules"] = spelling }
            if spelling as? String == "all-linear" {
                expectError(.missingTensor(path: path + "/adapter_model.safetensors", tensor: PEFTFixture.name(0, .v, "A")), at: path)
            } else {
                #expect(try AdapterFile.load(path: path, config: config).targets == [.q, .k, .down], "\(spelling)")
            }
        }
        // A tensor for a module the configuration does not target.
        let stray = try peft { $0.config["target_modules"] = ["q_proj", "k_proj"] }
        expectError(.unexpectedTensor(path: stray + "/adapter_model.safetensors", tensor: PEFTFixture.name(0, .down, "A"),
                                      reason: "layer 0 down_proj is not among the configuration's targets"), at: stray)
    }

    @Test func missingOrUnexpectedTensors() throws {
        let noA = try peft { $0.tensors[a] = nil }
        expectError(.missingTensor(path: noA + "/adapter_model.safetensors", tensor: a), at: noA)
        let noB = try peft { $0.tensors[b] = nil }
        expectError(.missingTensor(path: noB + "/adapter_model.safetensors", tensor: b), at: noB)
        let ggufNoB = try gguf { $0.tensors.removeAll { $0.name == "blk.0.ffn_gate.weight.lora_b" } }
        expectError(.missingTensor(path: ggufNoB, tensor: "blk.0.ffn_gate.weight.lora_b"), at: ggufNoB)
        let head = "base_model.model.lm_head.lora_A.weight"
        let extra = try peft { $0.tensors[head] = (rank, 32, [Float](repeating: 0, count: rank * 32)) }
        expectError(.unexpectedTensor(path: extra + "/adapter_model.safetensors", tensor: head,
                                      reason: "not a LoRA A or B matrix of a llama attention or MLP projection"), at: extra)
        let norm = try gguf { $0.tensors.append(("blk.0.attn_norm.weight", [32], [Float](repeating: 1, count: 32))) }
        expectError(.unexpectedTensor(path: norm, tensor: "blk.0.attn_norm.weight",
                                      reason: "not a LoRA A or B matrix of a llama attention or MLP projection"), at: norm)
    }

    @Test func rankMismatches() throws {
        // A with 3 rows where r is 2.
        let wideA = try peft { $0.tensors[a] = (3, 48, [Float](repeating: 0.1, count: 3 * 48)) }
        expectError(.rankMismatch(path: wideA + "/adapter_model.safetensors", tensor: a, expected: 2, found: 3), at: wideA)
        let wideB = try peft { $0.tensors[b] = (32, 1, [Float](repeating: 0.1, count: 32)) }
        expectError(.rankMismatch(path: wideB + "/adapter_model.safetensors", tensor: b, expected: 2, found: 1), at: wideB)
        // GGUF: the rank comes from the tensors, so A and B must agree.
        let ggufB = try gguf { f in
            let i = f.tensors.firstIndex { $0.name == "blk.1.attn_v.weight.lora_b" }!
            f.tensors[i] = (f.tensors[i].name, [3, 16], [Float](repeating: 0.1, count: 48))
        }
        expectError(.rankMismatch(path: ggufB, tensor: "blk.1.attn_v.weight.lora_b", expected: 2, found: 3), at: ggufB)
    }

    @Test func shapesOfAnotherModel() throws {
        // down_proj takes 48 inputs in this model.
        let inputs = try peft { $0.tensors[a] = (rank, 64, [Float](repeating: 0.1, count: rank * 64)) }
        expectError(.shapeMismatch(path: inputs + "/adapter_model.safetensors", tensor: a, expected: [2, 48], found: [2, 64]), at: inputs)
        let outputs = try peft { $0.tensors[b] = (40, rank, [Float](repeating: 0.1, count: 40 * rank)) }
        expectError(.shapeMismatch(path: outputs + "/adapter_model.safetensors", tensor: b, expected: [32, 2], found: [40, 2]), at: outputs)
        let ggufShape = try gguf { f in
            let i = f.tensors.firstIndex { $0.name == "blk.0.ffn_gate.weight.lora_a" }!
            f.tensors[i] = (f.tensors[i].name, [16, rank], [Float](repeating: 0.1, count: 16 * rank))
        }
        expectError(.shapeMismatch(path: ggufShape, tensor: "blk.0.ffn_gate.weight.lora_a", expected: [2, 32], found: [2, 16]), at: ggufShape)
    }

    @Test func layerBeyondTheModel() throws {
        let name = PEFTFixture.name(2, .q, "A")
        let path = try peft { $0.tensors[name] = (rank, 32, [Float](repeating: 0.1, count: rank * 32)) }
        expectError(.layerOutOfRange(path: path + "/adapter_model.safetensors", tensor: name, layer: 2, layerCount: 2), at: path)
        let ggufPath = try gguf { $0.tensors.append(("blk.7.attn_v.weight.lora_a", [32, rank], [Float](repeating: 0, count: 32 * rank))) }
        expectError(.layerOutOfRange(path: ggufPath, tensor: "blk.7.attn_v.weight.lora_a", layer: 7, layerCount: 2), at: ggufPath)
    }

    @Test func nonFiniteValues() throws {
        let nan = try peft { $0.tensors[b]!.values[5] = .nan }
        expectError(.nonFinite(path: nan + "/adapter_model.safetensors", tensor: b), at: nan)
        let inf = try gguf { $0.tensors[0].values[0] = -.infinity }
        expectError(.nonFinite(path: inf, tensor: "blk.0.attn_v.weight.lora_a"), at: inf)
    }

    @Test func ggufMetadata() throws {
        let model = try gguf { $0.metadata[1].1 = .string("model") }
        expectError(.notAnAdapter(path: model, reason: "a GGUF model (general.type is 'model', not 'adapter')"), at: model)
        let other = try gguf { $0.metadata[2].1 = .string("control_vector") }
        expectError(.invalidConfig(path: other, key: "adapter.type", problem: "is 'control_vector'; only 'lora' is supported"), at: other)
        let arch = try gguf { $0.metadata[0].1 = .string("qwen2") }
        expectError(.invalidConfig(path: arch, key: "general.architecture", problem: "is 'qwen2'; the model is llama"), at: arch)
    }

    @Test func unsupportedTensorTypes() throws {
        let folder = try peft()
        let path = folder + "/adapter_model.safetensors"
        // Relabel one tensor F32 → I32 in the header (same width, so the offsets stay valid).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = String(decoding: bytes[8..<8 + headerLength], as: UTF8.self)
        let entry = header.range(of: "\"\(a)\":")!
        let dtype = header.range(of: "\"F32\"", range: entry.upperBound..<header.endIndex)!
        bytes[8 + header.utf8.distance(from: header.startIndex, to: dtype.lowerBound) + 1] = UInt8(ascii: "I")
        try bytes.write(to: URL(fileURLWithPath: path))
        expectError(.unsupportedTensorType(path: path, tensor: a, type: "I32"), at: folder)
    }

    @Test func truncatedFiles() throws {
        let folder = try peft()
        let path = folder + "/adapter_model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        #expect {
            try AdapterFile.load(path: folder, config: config)
        } throws: { e in
            guard case let .unreadable(inner) = e as? AdapterError else { return false }
            return inner.description.contains(path) && inner.description.contains("truncated")
        }
    }

    /// Writes refuse adapters that do not fit, and never overwrite something that is not an adapter.
    @Test func writeErrors() throws {
        let dir = temporaryDirectory()
        var pairs = tiny.randomLoRA([.q], rank: rank, seed: 3)
        let good = AdapterWeights(rank: rank, alpha: 1, layers: pairs)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        #expect(throws: AdapterError.cannotWrite(path: dir, reason: "it exists and is not an adapter folder")) {
            try AdapterFile.write(good, format: .peft, to: dir, config: config)
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/notes.txt"))
        #expect(throws: AdapterError.cannotWrite(path: dir + "/empty.gguf", reason: "the adapter adapts no projection")) {
            try AdapterFile.write(AdapterWeights(rank: rank, alpha: 1, layers: [[:], [:]]), format: .gguf, to: dir + "/empty.gguf", config: config)
        }
        pairs[0][.q] = LoRAAdapter.Pair(a: pairs[0][.q]!.a, b: [Float](repeating: .nan, count: 32 * rank))
        #expect(throws: AdapterError.self) {
            try AdapterFile.write(AdapterWeights(rank: rank, alpha: 1, layers: pairs), format: .gguf, to: dir + "/nan.gguf", config: config)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/nan.gguf"))
    }
}

extension AdapterError {
    /// The file an error names.
    var path: String {
        switch self {
        case let .notAnAdapter(p, _), let .missingFile(p, _), let .invalidConfig(p, _, _), let .unknownTargetModule(p, _),
             let .unexpectedTensor(p, _, _), let .missingTensor(p, _), let .rankMismatch(p, _, _, _), let .shapeMismatch(p, _, _, _),
             let .layerOutOfRange(p, _, _, _), let .nonFinite(p, _), let .unsupportedTensorType(p, _, _), let .cannotWrite(p, _):
            p
        case let .unreadable(e): e.description.components(separatedBy: ": ").first!
        }
    }
}
