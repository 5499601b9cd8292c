import Llama
import ModelFormats

/// A llama.cpp LoRA adapter (as `convert_lora_to_gguf.py` writes it): `general.type = adapter`,
/// `adapter.type = lora`, `adapter.lora.alpha`, and tensors `blk.N.<projection>.weight.lora_a`
/// (ggml shape [inputs, rank]) and `.lora_b` ([rank, outputs]). B's q/k rows are in GGUF's RoPE
/// order, like the base weights they adapt. llama.cpp scales by alpha / rank (1 when alpha is 0).
enum GGUFAdapter {
    static func tensorName(_ m: LoRATensorSet.Module, _ matrix: LoRATensorSet.Matrix) -> String {
        "blk.\(m.layer).\(m.projection.ggufName).weight.lora_\(matrix == .a ? "a" : "b")"
    }

    static func read(_ gguf: GGUFFile, config: LlamaConfig) throws(AdapterError) -> AdapterWeights {
        func bad(_ key: String, _ problem: String) -> AdapterError { .invalidConfig(path: gguf.path, key: key, problem: problem) }
        switch gguf.metadata["general.type"]?.stringValue {
        case "adapter": break
        case let type?: throw .notAnAdapter(path: gguf.path, reason: "a GGUF \(type) (general.type is '\(type)', not 'adapter')")
        case nil: throw .notAnAdapter(path: gguf.path, reason: "a GGUF file without general.type = 'adapter' (a base model?)")
        }
        let adapterType = gguf.metadata["adapter.type"]?.stringValue
        guard adapterType == "lora" else { throw bad("adapter.type", "is \(adapterType.map { "'\($0)'" } ?? "missing"); only 'lora' is supported") }
        let arch = gguf.metadata["general.architecture"]?.stringValue
        guard arch == "llama" else { throw bad("general.architecture", "is \(arch.map { "'\($0)'" } ?? "missing"); the model is llama") }
        guard gguf.metadata["adapter.alora.invocation_tokens"] == nil else { throw bad("adapter.alora.invocation_tokens", "is set (activated LoRA); only plain LoRA is supported") }
        let alphaValue = gguf.metadata["adapter.lora.alpha"]
        guard alphaValue == nil || alphaValue?.doubleValue?.isFinite == true else { throw bad("adapter.lora.alpha", "must be a finite number") }
        let alpha = alphaValue?.doubleValue ?? 0

        var tensors = LoRATensorSet(path: gguf.path, config: config, name: tensorName)
        for t in gguf.tensors { try tensors.add(AdapterError.reading(gguf.path) { try gguf.tensor(t.name) }) }
        let (rank, layers) = try tensors.pairs(declaredRank: nil, targets: nil, bRowsInGGUFOrder: true)
        return AdapterWeights(rank: rank, alpha: alpha == 0 ? Float(rank) : Float(alpha), layers: layers)
    }

    /// rsLoRA has no GGUF key: its scale alpha / √r is written as alpha' = alpha·√r, so that
    /// llama.cpp's alpha' / r gives the same scale.
    static func write(_ adapter: AdapterWeights, to path: String, config: LlamaConfig) throws(AdapterError) {
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("general.type", .string("adapter"))
        w.set("adapter.type", .string("lora"))
        w.set("adapter.lora.alpha", .float32(adapter.useRSLoRA ? adapter.alpha * Float(adapter.rank).squareRoot() : adapter.alpha))
        for (l, layer) in adapter.layers.enumerated() {
            for p in Projection.allCases {
                guard let pair = layer[p] else { continue }
                let m = LoRATensorSet.Module(layer: l, projection: p), r = adapter.rank
                let b = p == .q || p == .k ? RopeRowPermutation.toGGUF(pair.b, cols: r, headDim: config.headDim) : pair.b
                w.addTensor(name: tensorName(m, .a), shape: [pair.a.count / r, r], floats: pair.a)
                w.addTensor(name: tensorName(m, .b), shape: [r, b.count / r], floats: b)
            }
        }
        do { try w.write(to: path) } catch { throw .cannotWrite(path: path, reason: "\(error)") }
    }
}
