import Foundation
import Testing
import TestSupport
import ModelFormats
@testable import Llama

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

    @Test(arguments: [1, 2])
    func hiddenStatesAreTheResidualStreamAfterTheFirstLayers(layers: Int) throws {
        let tiny = TinyLlama(seed: 11)
        let model = try tiny.huggingFaceModel()
        let want = tiny.referenceResidual(tokens, layers: layers)
        let all = try model.hiddenStates([.init(cache: model.makeCache(), tokens: tokens, logits: .all)], afterLayers: layers)
        #expect(maxError(all, want) < 1e-4)
        // Two sequences in one batch, the last row of each.
        let short = Array(tokens.prefix(4))
        let last = try model.hiddenStates([.init(cache: model.makeCache(), tokens: tokens), .init(cache: model.makeCache(), tokens: short)],
                                          afterLayers: layers)
        #expect(maxError(last, [want.last!, tiny.referenceResidual(short, layers: layers).last!]) < 1e-4)
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
