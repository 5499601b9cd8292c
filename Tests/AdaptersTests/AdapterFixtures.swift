import Foundation
import Llama
import ModelFormats
import TestSupport

/// Adapter files written by hand from the formats' published layouts (not by the Adapters
/// writers), with every part open to breaking.
struct PEFTFixture {
    /// `adapter_config.json`.
    var config: [String: Any]
    /// safetensors name → (rows, cols, row-major values).
    var tensors: [String: (rows: Int, cols: Int, values: [Float])] = [:]

    init(_ pairs: [[Projection: LoRAAdapter.Pair]], rank: Int, alpha: Double, rsLoRA: Bool = false) {
        let targets = Projection.allCases.filter { p in pairs.contains { $0[p] != nil } }
        config = ["peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": alpha, "use_rslora": rsLoRA,
                  "bias": "none", "target_modules": targets.map(\.rawValue), "lora_dropout": 0.05, "fan_in_fan_out": false,
                  "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](), "base_model_name_or_path": "tiny"]
        for (l, layer) in pairs.enumerated() {
            for (p, pair) in layer {
                tensors[Self.name(l, p, "A")] = (rank, pair.a.count / rank, pair.a)
                tensors[Self.name(l, p, "B")] = (pair.b.count / rank, rank, pair.b)
            }
        }
    }

    static func name(_ layer: Int, _ p: Projection, _ matrix: String) -> String {
        "base_model.model.model.layers.\(layer).\(p.huggingFacePath).lora_\(matrix).weight"
    }

    func write(to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder + "/adapter_config.json"))
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        for (name, t) in tensors { w.addTensor(name: name, shape: [t.cols, t.rows], floats: t.values) }
        try w.write(to: folder + "/adapter_model.safetensors")
    }
}

/// A llama.cpp LoRA file as convert_lora_to_gguf.py writes it: A as ne [inputs, rank], B as
/// ne [rank, outputs] with q/k rows permuted like the base weights.
struct GGUFFixture {
    var metadata: [(String, GGUFValue)]
    /// GGUF name → (ggml shape, values).
    var tensors: [(name: String, shape: [Int], values: [Float])] = []

    init(_ pairs: [[Projection: LoRAAdapter.Pair]], rank: Int, alpha: Float, config: LlamaConfig) {
        metadata = [("general.architecture", .string("llama")), ("general.type", .string("adapter")),
                    ("adapter.type", .string("lora")), ("adapter.lora.alpha", .float32(alpha))]
        for (l, layer) in pairs.enumerated() {
            for p in Projection.allCases {
                guard let pair = layer[p] else { continue }
                let outputs = pair.b.count / rank
                var b = pair.b
                if p == .q || p == .k {
                    let heads = p == .q ? config.headCount : config.kvHeadCount
                    b = TinyLlama.permuteForGGUF(b.map(Double.init), rows: outputs, cols: rank, heads: heads).map(Float.init)
                }
                tensors.append(("blk.\(l).\(p.ggufName).weight.lora_a", [pair.a.count / rank, rank], pair.a))
                tensors.append(("blk.\(l).\(p.ggufName).weight.lora_b", [rank, outputs], b))
            }
        }
    }

    func write(to path: String) throws {
        var w = GGUFWriter()
        for (k, v) in metadata { w.set(k, v) }
        for t in tensors { w.addTensor(name: t.name, shape: t.shape, floats: t.values) }
        try w.write(to: path)
    }
}

/// The tiny model saved both ways, loaded both ways.
struct TinyBases {
    let tiny: TinyLlama
    let dir = temporaryDirectory()
    let gguf: LlamaModel
    let huggingFace: LlamaModel

    init(seed: UInt64) throws {
        tiny = TinyLlama(seed: seed)
        try tiny.writeHuggingFace(to: dir)
        try tiny.writeGGUF(to: dir + "/tiny.gguf")
        let file = try GGUFFile(path: dir + "/tiny.gguf")
        let ggufConfig = try LlamaConfig(gguf: file)
        gguf = LlamaModel(config: ggufConfig, weights: try LlamaWeights(gguf: file, config: ggufConfig))
        let hfConfig = try LlamaConfig(huggingFaceFolder: dir)
        huggingFace = LlamaModel(config: hfConfig, weights: try LlamaWeights(huggingFace: SafeTensorsFolder(folder: dir), config: hfConfig))
    }

    var config: LlamaConfig { tiny.config }
}

func logits(_ model: LlamaModel, _ tokens: [Int], adapter: LoRAAdapter?) throws -> [Float] {
    try model.forward([.init(cache: model.makeCache(), tokens: tokens, logits: .all, adapter: adapter)])
}

func maxDifference(_ got: [Float], _ want: [[Double]]) -> Double {
    zip(got, want.flatMap { $0 }).map { abs(Double($0) - $1) }.max()!
}
