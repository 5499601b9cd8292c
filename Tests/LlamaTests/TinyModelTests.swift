import Foundation
import Testing
import TestSupport
import ModelFormats
@testable import Llama

/// A tiny random llama (GQA, 2 layers) in Hugging Face layout, the reference forward pass
/// written plainly in float64 with Hugging Face's rotate-half RoPE, and the same weights
/// saved as a HF folder and as a GGUF file (q/k rows permuted as llama.cpp's converter does).
struct TinyLlama {
    let config = LlamaConfig(vocabSize: 50, hiddenSize: 32, intermediateSize: 48, layerCount: 2, headCount: 4,
                             kvHeadCount: 2, ropeTheta: 10000, rmsNormEps: 1e-5, contextLength: 64, tieWordEmbeddings: false)
    /// HF tensor name → (rows, cols, row-major values).
    var tensors: [String: (rows: Int, cols: Int, values: [Double])] = [:]

    init(seed: UInt64, tied: Bool = false) {
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

    var tied: Bool { tensors["lm_head.weight"] == nil }

    func writeHuggingFace(to folder: String, type: GGMLType = .f32) throws {
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

    /// llama.cpp's convert_hf_to_gguf `permute`: reshape(heads, 2, hd/2, cols).swapaxes(1, 2).
    static func permuteForGGUF(_ values: [Double], rows: Int, cols: Int, heads: Int) -> [Double] {
        let hd = rows / heads
        var out = values
        for h in 0..<heads { for half in 0..<2 { for i in 0..<hd / 2 {
            let src = h * hd + half * (hd / 2) + i, dst = h * hd + i * 2 + half
            for c in 0..<cols { out[dst * cols + c] = values[src * cols + c] }
        } } }
        return out
    }

    func writeGGUF(to path: String) throws {
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
            w.addTensor(name: gguf, shape: t.rows == 1 ? [t.cols] : [t.cols, t.rows], floats: values.map(Float.init))
        }
        try w.write(to: path)
    }

    func ggufName(_ hf: String) -> String {
        let map = ["model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"]
        if let m = map[hf] { return m }
        let parts = hf.split(separator: ".")
        let sub = ["input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "q_proj": "attn_q", "k_proj": "attn_k",
                   "v_proj": "attn_v", "o_proj": "attn_output", "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down"]
        let module = parts[parts.count - 2]
        return "blk.\(parts[2]).\(sub[String(module)]!).weight"
    }

    /// Logits at every position, float64, recomputing from scratch (no cache), HF conventions.
    func referenceLogits(_ tokens: [Int]) -> [[Double]] {
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
        for l in 0..<c.layerCount {
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
        let head = tensors["lm_head.weight"] ?? emb
        return xs.map { matvec(head, rms($0, w("model.norm.weight").values)) }
    }
}

@Suite struct TinyModelTests {
    let tokens = [3, 17, 42, 49, 5, 0, 33, 8, 21]

    func logits(_ model: LlamaModel) throws -> [Float] {
        try model.forward([.init(cache: model.makeCache(), tokens: tokens, logits: .all)])
    }

    func maxError(_ got: [Float], _ want: [[Double]]) -> Double {
        zip(got, want.flatMap { $0 }).map { abs(Double($0) - $1) }.max()!
    }

    @Test(arguments: [false, true])
    func ggufAndHuggingFaceFoldersGiveTheReferenceLogits(tied: Bool) throws {
        let tiny = TinyLlama(seed: 7, tied: tied)
        let dir = temporaryDirectory()
        try tiny.writeHuggingFace(to: dir)
        try tiny.writeGGUF(to: dir + "/tiny.gguf")
        let want = tiny.referenceLogits(tokens)

        let gguf = try GGUFFile(path: dir + "/tiny.gguf")
        let ggufConfig = try LlamaConfig(gguf: gguf)
        #expect(ggufConfig.tieWordEmbeddings == tied)
        let fromGGUF = try logits(LlamaModel(config: ggufConfig, weights: LlamaWeights(gguf: gguf, config: ggufConfig)))

        let hfConfig = try LlamaConfig(huggingFaceFolder: dir)
        let fromHF = try logits(LlamaModel(config: hfConfig, weights: LlamaWeights(huggingFace: SafeTensorsFolder(folder: dir), config: hfConfig)))

        #expect(maxError(fromGGUF, want) < 1e-4, "GGUF vs float64 reference")
        #expect(maxError(fromHF, want) < 1e-4, "HF vs float64 reference")
        #expect(zip(fromGGUF, fromHF).map { abs($0 - $1) }.max()! < 1e-5, "GGUF vs HF")
    }

    @Test(arguments: [GGMLType.f16, .bf16])
    func halfPrecisionSafetensorsLoad(type: GGMLType) throws {
        let tiny = TinyLlama(seed: 8)
        let dir = temporaryDirectory()
        try tiny.writeHuggingFace(to: dir, type: type)
        let config = try LlamaConfig(huggingFaceFolder: dir)
        let got = try logits(LlamaModel(config: config, weights: LlamaWeights(huggingFace: SafeTensorsFolder(folder: dir), config: config)))
        // Weights rounded to 11 (f16) or 8 (bf16) significant bits.
        #expect(maxError(got, tiny.referenceLogits(tokens)) < (type == .f16 ? 0.02 : 0.2))
    }

    @Test func missingTensorAndWrongShapeNameTheTensor() throws {
        var tiny = TinyLlama(seed: 9)
        let dir = temporaryDirectory()
        tiny.tensors["model.layers.1.mlp.up_proj.weight"] = nil
        try tiny.writeHuggingFace(to: dir)
        let config = try LlamaConfig(huggingFaceFolder: dir)
        #expect(throws: ModelFormatError.missingTensor(path: dir, tensor: "blk.1.ffn_up.weight")) {
            try LlamaWeights(huggingFace: SafeTensorsFolder(folder: dir), config: config)
        }
        var wrong = TinyLlama(seed: 9)
        wrong.tensors["model.layers.0.self_attn.v_proj.weight"] = (24, 32, [Double](repeating: 0, count: 768))
        let dir2 = temporaryDirectory()
        try wrong.writeGGUF(to: dir2 + "/m.gguf")
        let gguf = try GGUFFile(path: dir2 + "/m.gguf")
        #expect(throws: ModelFormatError.shapeMismatch(path: gguf.path, tensor: "blk.0.attn_v.weight", expected: [32, 16], found: [32, 24])) {
            _ = try LlamaWeights(gguf: gguf, config: LlamaConfig(gguf: gguf))
        }
    }

    @Test func contextOverflowAndBadTokensAreErrors() throws {
        let tiny = TinyLlama(seed: 10)
        let dir = temporaryDirectory()
        try tiny.writeGGUF(to: dir + "/t.gguf")
        let gguf = try GGUFFile(path: dir + "/t.gguf")
        let config = try LlamaConfig(gguf: gguf)
        let model = LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config))
        let cache = model.makeCache(maxTokens: 4)
        #expect(throws: LlamaError.contextOverflow(needed: 5, limit: 4)) { try model.forward([.init(cache: cache, tokens: [1, 2, 3, 4, 5])]) }
        #expect(cache.count == 0)
        #expect(throws: LlamaError.tokenOutOfRange(token: 50, vocabularySize: 50)) { try model.forward([.init(cache: cache, tokens: [50])]) }
        #expect(throws: LlamaError.tokenOutOfRange(token: -1, vocabularySize: 50)) { try model.forward([.init(cache: cache, tokens: [-1])]) }
    }

    /// Several sequences in one batch (a prefill chunk beside single-token decodes) give
    /// the same logits as each run alone.
    @Test func batchedChunksMatchSeparateRuns() throws {
        let tiny = TinyLlama(seed: 11)
        let dir = temporaryDirectory()
        try tiny.writeGGUF(to: dir + "/t.gguf")
        let gguf = try GGUFFile(path: dir + "/t.gguf")
        let config = try LlamaConfig(gguf: gguf)
        let model = LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config))
        let prompts = [[1, 2, 3, 4, 5, 6, 7], [9], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]]
        let alone = try prompts.map { p in try model.forward([.init(cache: model.makeCache(), tokens: p, logits: .all)]) }
        // Batched: first two tokens of each, then the rest together, then one more each.
        let caches = prompts.map { _ in model.makeCache() }
        let first = try model.forward(zip(caches, prompts).map { .init(cache: $0, tokens: Array($1.prefix(2)), logits: .all) })
        let rest = try model.forward(zip(caches, prompts).filter { $1.count > 2 }.map { .init(cache: $0, tokens: Array($1.dropFirst(2)), logits: .all) })
        let v = config.vocabSize
        var offset = 0, restOffset = 0
        for (i, p) in prompts.enumerated() {
            let n = min(2, p.count)
            var got = Array(first[offset * v..<(offset + n) * v])
            offset += n
            if p.count > 2 {
                got += rest[restOffset * v..<(restOffset + p.count - 2) * v]
                restOffset += p.count - 2
            }
            #expect(zip(got, alone[i]).map { abs($0 - $1) }.max()! < 1e-5, "sequence \(i)")
        }
    }
}
