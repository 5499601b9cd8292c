import Foundation
import Llama
import ModelFormats

/// A tiny random llama (GQA, 2 layers) in Hugging Face layout, the reference forward pass
/// written plainly in float64 with Hugging Face's rotate-half RoPE, and the same weights
/// saved as a HF folder and as a GGUF file (q/k rows permuted as llama.cpp's converter does).
public struct TinyLlama {
    public static let tinyConfig = LlamaConfig(vocabSize: 50, hiddenSize: 32, intermediateSize: 48, layerCount: 2, headCount: 4,
                                               kvHeadCount: 2, ropeTheta: 10000, rmsNormEps: 1e-5, contextLength: 64, tieWordEmbeddings: false)
    public let config: LlamaConfig
    /// HF tensor name → (rows, cols, row-major values).
    public var tensors: [String: (rows: Int, cols: Int, values: [Double])] = [:]

    public init(seed: UInt64, tied: Bool = false, config: LlamaConfig = tinyConfig) {
        self.config = config
        var g = SplitMix(seed)
        func rand(_ rows: Int, _ cols: Int, scale: Double) -> (Int, Int, [Double]) {
            (rows, cols, (0..<rows * cols).map { _ in (Double(g.next() >> 11) / Double(1 << 53) * 2 - 1) * scale })
        }
        let c = config
        tensors["model.embed_tokens.weight"] = rand(c.vocabSize, c.hiddenSize, scale: 1)
        for l in 0..<c.layerCount {
            let p = "model.layers.\(l)."
            tensors[p + "input_layernorm.weight"] = (1, c.hiddenSize, rand(1, c.hiddenSize, scale: 0.5).2.map { $0 + 1 })
            tensors[p + "post_attention_layernorm.weight"] = (1, c.hiddenSize, rand(1, c.hiddenSize, scale: 0.5).2.map { $0 + 1 })
            tensors[p + "self_attn.q_proj.weight"] = rand(c.hiddenSize, c.hiddenSize, scale: 0.4)
            tensors[p + "self_attn.k_proj.weight"] = rand(c.kvDim, c.hiddenSize, scale: 0.4)
            tensors[p + "self_attn.v_proj.weight"] = rand(c.kvDim, c.hiddenSize, scale: 0.4)
            tensors[p + "self_attn.o_proj.weight"] = rand(c.hiddenSize, c.hiddenSize, scale: 0.3)
            tensors[p + "mlp.gate_proj.weight"] = rand(c.intermediateSize, c.hiddenSize, scale: 0.3)
            tensors[p + "mlp.up_proj.weight"] = rand(c.intermediateSize, c.hiddenSize, scale: 0.3)
            tensors[p + "mlp.down_proj.weight"] = rand(c.hiddenSize, c.intermediateSize, scale: 0.3)
        }
        tensors["model.norm.weight"] = (1, c.hiddenSize, rand(1, c.hiddenSize, scale: 0.5).2.map { $0 + 1 })
        if !tied { tensors["lm_head.weight"] = rand(c.vocabSize, c.hiddenSize, scale: 0.5) }
    }

    public var tied: Bool { tensors["lm_head.weight"] == nil }

    public func writeHuggingFace(to folder: String, type: GGMLType = .f32) throws {
        var cfg = config
        cfg.tieWordEmbeddings = tied
        try JSONEncoder().encode(cfg).write(to: URL(fileURLWithPath: folder + "/config.json"))
        var w = SafeTensorsWriter()
        for (name, t) in tensors {
            let floats = t.values.map(Float.init)
            let shape = t.rows == 1 ? [t.cols] : [t.cols, t.rows]
            switch type {
            case .f16: w.addTensor(name: name, type: .f16, shape: shape, bytes: floats.map(Float16.init).withUnsafeBytes { Array($0) })
            case .bf16: w.addTensor(name: name, type: .bf16, shape: shape, bytes: floats.map { UInt16($0.bitPattern >> 16) }.withUnsafeBytes { Array($0) })
            default: w.addTensor(name: name, shape: shape, floats: floats)
            }
        }
        try w.write(to: folder + "/model.safetensors")
    }

    /// Q4_0 blocks as llama.cpp's quantize_row_q4_0_ref writes them: d = (the value largest in
    /// magnitude) / −8, levels min(15, x/d + 8.5) truncated, value j in byte j's low nibble and value
    /// j + 16 in its high one.
    public static func q4_0(_ values: [Float]) -> [UInt8] {
        stride(from: 0, to: values.count, by: 32).flatMap { start -> [UInt8] in
            let x = values[start..<start + 32], peak = x.max { abs($0) < abs($1) }!, d = peak / -8, inverse = d == 0 ? 0 : 1 / d
            let q = x.map { UInt8(min(15, Int8(truncatingIfNeeded: Int($0 * inverse + 8.5)))) }
            return withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { Array($0) } + (0..<16).map { q[$0] | q[$0 + 16] << 4 }
        }
    }

    /// llama.cpp's convert_hf_to_gguf `permute`: reshape(heads, 2, hd/2, cols).swapaxes(1, 2).
    public static func permuteForGGUF(_ values: [Double], rows: Int, cols: Int, heads: Int) -> [Double] {
        let hd = rows / heads
        var out = values
        for h in 0..<heads { for half in 0..<2 { for i in 0..<hd / 2 {
            let src = h * hd + half * (hd / 2) + i, dst = h * hd + i * 2 + half
            for c in 0..<cols { out[dst * cols + c] = values[src * cols + c] }
        } } }
        return out
    }

    /// The GGUF file, its matrices in `type` (f32, q4_0 or a type `Quantize.bytes` writes), the norms in f32.
    public func writeGGUF(to path: String, type: GGMLType = .f32) throws {
        let c = config
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("llama.block_count", .uint32(UInt32(c.layerCount)))
        w.set("llama.embedding_length", .uint32(UInt32(c.hiddenSize)))
        w.set("llama.feed_forward_length", .uint32(UInt32(c.intermediateSize)))
        w.set("llama.attention.head_count", .uint32(UInt32(c.headCount)))
        w.set("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeadCount)))
        w.set("llama.rope.freq_base", .float32(c.ropeTheta))
        w.set("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsNormEps))
        w.set("llama.context_length", .uint32(UInt32(c.contextLength)))
        w.set("llama.vocab_size", .uint32(UInt32(c.vocabSize)))
        for (name, t) in tensors.sorted(by: { $0.key < $1.key }) {
            let gguf = ggufName(name)
            var values = t.values
            if name.hasSuffix("q_proj.weight") { values = Self.permuteForGGUF(values, rows: t.rows, cols: t.cols, heads: c.headCount) }
            if name.hasSuffix("k_proj.weight") { values = Self.permuteForGGUF(values, rows: t.rows, cols: t.cols, heads: c.kvHeadCount) }
            let floats = values.map(Float.init), shape = t.rows == 1 ? [t.cols] : [t.cols, t.rows]
            if t.rows == 1 || type == .f32 {
                w.addTensor(name: gguf, shape: shape, floats: floats)
            } else {
                w.addTensor(name: gguf, type: type, shape: shape,
                            bytes: type == .q4_0 ? Self.q4_0(floats) : floats.withUnsafeBufferPointer { Quantize.bytes($0, as: type) })
            }
        }
        try w.write(to: path)
    }

    public func ggufName(_ hf: String) -> String {
        let map = ["model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"]
        if let m = map[hf] { return m }
        let parts = hf.split(separator: ".")
        let sub = ["input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "q_proj": "attn_q", "k_proj": "attn_k",
                   "v_proj": "attn_v", "o_proj": "attn_output", "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down"]
        let module = parts[parts.count - 2]
        return "blk.\(parts[2]).\(sub[String(module)]!).weight"
    }

    /// Logits at every position, float64, recomputing from scratch (no cache), HF conventions.
    public func referenceLogits(_ tokens: [Int]) -> [[Double]] {
        let head = tensors["lm_head.weight"] ?? tensors["model.embed_tokens.weight"]!, norm = tensors["model.norm.weight"]!.values
        return referenceResidual(tokens).map { x in
            let s = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + Double(config.rmsNormEps)).squareRoot()
            let xn = zip(x, norm).map { $0 * s * $1 }
            return (0..<head.rows).map { r in (0..<head.cols).reduce(0.0) { $0 + head.values[r * head.cols + $1] * xn[$1] } }
        }
    }

    /// The residual stream at every position after the first `layers` blocks (all by default), float64.
    public func referenceResidual(_ tokens: [Int], layers: Int? = nil) -> [[Double]] {
        let c = config, d = c.hiddenSize, hd = c.headDim, T = tokens.count
        func w(_ n: String) -> (rows: Int, cols: Int, values: [Double]) { tensors[n]! }
        func matvec(_ m: (rows: Int, cols: Int, values: [Double]), _ x: [Double]) -> [Double] {
            (0..<m.rows).map { r in (0..<m.cols).reduce(0.0) { $0 + m.values[r * m.cols + $1] * x[$1] } }
        }
        func rms(_ x: [Double], _ g: [Double]) -> [Double] {
            let s = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + Double(c.rmsNormEps)).squareRoot()
            return zip(x, g).map { $0 * s * $1 }
        }
        func rope(_ x: [Double], heads: Int, pos: Int) -> [Double] {
            var y = x
            for h in 0..<heads { for i in 0..<hd / 2 {
                let theta = Double(pos) * pow(Double(c.ropeTheta), -Double(2 * i) / Double(hd))
                let a = x[h * hd + i], b = x[h * hd + i + hd / 2]
                y[h * hd + i] = a * cos(theta) - b * sin(theta)
                y[h * hd + i + hd / 2] = b * cos(theta) + a * sin(theta)
            } }
            return y
        }
        let emb = w("model.embed_tokens.weight")
        var xs = tokens.map { t in Array(emb.values[t * d..<(t + 1) * d]) }
        for l in 0..<(layers ?? c.layerCount) {
            let p = "model.layers.\(l)."
            let xn = xs.map { rms($0, w(p + "input_layernorm.weight").values) }
            let q = xn.enumerated().map { rope(matvec(w(p + "self_attn.q_proj.weight"), $1), heads: c.headCount, pos: $0) }
            let k = xn.enumerated().map { rope(matvec(w(p + "self_attn.k_proj.weight"), $1), heads: c.kvHeadCount, pos: $0) }
            let v = xn.map { matvec(w(p + "self_attn.v_proj.weight"), $0) }
            for t in 0..<T {
                var att = [Double](repeating: 0, count: d)
                for h in 0..<c.headCount {
                    let kh = h / (c.headCount / c.kvHeadCount)
                    var s = (0...t).map { j in (0..<hd).reduce(0.0) { $0 + q[t][h * hd + $1] * k[j][kh * hd + $1] } / Double(hd).squareRoot() }
                    let m = s.max()!
                    s = s.map { exp($0 - m) }
                    let z = s.reduce(0, +)
                    for j in 0...t { for i in 0..<hd { att[h * hd + i] += s[j] / z * v[j][kh * hd + i] } }
                }
                let o = matvec(w(p + "self_attn.o_proj.weight"), att)
                xs[t] = zip(xs[t], o).map(+)
                let h2 = rms(xs[t], w(p + "post_attention_layernorm.weight").values)
                let g = matvec(w(p + "mlp.gate_proj.weight"), h2), u = matvec(w(p + "mlp.up_proj.weight"), h2)
                let act = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                xs[t] = zip(xs[t], matvec(w(p + "mlp.down_proj.weight"), act)).map(+)
            }
        }
        return xs
    }

    /// The engine's model of these weights, loaded from a Hugging Face folder.
    public func huggingFaceModel() throws -> LlamaModel {
        let dir = temporaryDirectory()
        try writeHuggingFace(to: dir)
        let config = try LlamaConfig(huggingFaceFolder: dir)
        return LlamaModel(config: config, weights: try LlamaWeights(huggingFace: SafeTensorsFolder(folder: dir), config: config))
    }

    /// Random LoRA pairs, rows in Hugging Face order, for `projections` of every layer.
    public func randomLoRA(_ projections: [Projection], rank: Int, seed: UInt64) -> [[Projection: LoRAAdapter.Pair]] {
        (0..<config.layerCount).map { l in
            Dictionary(uniqueKeysWithValues: projections.enumerated().map { i, p in
                let (outputs, inputs) = p.shape(config)
                let s = seed &+ UInt64(l * 16 + i) &* 7919
                return (p, LoRAAdapter.Pair(a: randomFloats(rank * inputs, scale: 0.3, seed: s),
                                            b: randomFloats(outputs * rank, scale: 0.3, seed: s &+ 1)))
            })
        }
    }

    /// This model with the adapter merged in float64: W + scale·B·A for every adapted projection.
    public func merging(_ layers: [[Projection: LoRAAdapter.Pair]], rank: Int, scale: Double) -> TinyLlama {
        var merged = self
        for (l, layer) in layers.enumerated() {
            for (p, pair) in layer {
                let name = "model.layers.\(l).\(p.huggingFacePath).weight"
                let (outputs, inputs) = p.shape(config)
                for o in 0..<outputs {
                    for i in 0..<inputs {
                        let delta = (0..<rank).reduce(0.0) { $0 + Double(pair.b[o * rank + $1]) * Double(pair.a[$1 * inputs + i]) }
                        merged.tensors[name]!.values[o * inputs + i] += scale * delta
                    }
                }
            }
        }
        return merged
    }
}
