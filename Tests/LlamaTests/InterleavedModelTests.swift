import Foundation
import Testing
import TestSupport
import ModelFormats
import TensorKernels
@testable import Llama

/// A Q4_0 model whose matrices the loader interleaves (rows of 1024 values; 45 output rows: five
/// groups of eight and five rows as they lie) against the same file's matrices as they lie.
@Suite struct InterleavedModelTests {
    @Test func interleavedWeightsGiveTheFileLayoutsLogits() throws {
        let config = LlamaConfig(vocabSize: 45, hiddenSize: 1024, intermediateSize: 1056, layerCount: 1, headCount: 8, kvHeadCount: 4,
                                 contextLength: 64)
        let dir = temporaryDirectory()
        try TinyLlama(seed: 17, config: config).writeGGUF(to: dir + "/q.gguf", type: .q4_0)
        let gguf = try GGUFFile(path: dir + "/q.gguf")
        let interleaved = try LlamaWeights(gguf: gguf, config: config)
        let l = interleaved.layers[0]
        #expect([l.q, l.k, l.v, l.o, l.gate, l.up, l.down, interleaved.output].map(\.grouped) == [1024, 512, 512, 1024, 1056, 1056, 1024, 40])
        #expect(interleaved.tokenEmbedding.grouped == 0)
        func file(_ name: String) throws -> WeightMatrix { WeightMatrix(try gguf.tensor(name)) }
        let asTheyLie = LlamaWeights(
            tokenEmbedding: try file("token_embd.weight"),
            layers: [LayerWeights(attentionNorm: l.attentionNorm, q: try file("blk.0.attn_q.weight"), k: try file("blk.0.attn_k.weight"),
                                  v: try file("blk.0.attn_v.weight"), o: try file("blk.0.attn_output.weight"), ffnNorm: l.ffnNorm,
                                  gate: try file("blk.0.ffn_gate.weight"), up: try file("blk.0.ffn_up.weight"), down: try file("blk.0.ffn_down.weight"))],
            outputNorm: interleaved.outputNorm, output: try file("output.weight"), ropeFreqFactors: nil)
        for integer in [false, true] {
            func run(_ weights: LlamaWeights) throws -> [Float] {
                let model = LlamaModel(config: config, weights: weights, integerProducts: integer)
                let cache = model.makeCache()
                // A prompt past the row products' batches (large-batch products), then decode steps.
                var logits = try model.forward([.init(cache: cache, tokens: Array(1...20), logits: .all)])
                for token in [7, 30, 2] { logits += try model.forward([.init(cache: cache, tokens: [token], logits: .all)]) }
                return logits
            }
            let logits = try run(interleaved), want = try run(asTheyLie)
            #expect(logits.allSatisfy { $0.isFinite })
            #expect(logits == want, "integer products: \(integer)")
        }
    }
}
