import Foundation
import Testing
import TestSupport
import ModelFormats
@testable import Llama

/// Adapters applied beside the frozen weights give what merged weights W + scale·B·A give.
@Suite struct LoRAAdapterTests {
    let tokens = [3, 17, 42, 49, 5, 0, 33, 8, 21]
    let rank = 3

    @Test func adapterMatchesMergedWeights() throws {
        let tiny = TinyLlama(seed: 21)
        let model = try tiny.huggingFaceModel()
        let config = model.config
        let pairs = tiny.randomLoRA(Projection.allCases, rank: rank, seed: 5)
        let scale: Float = 16.0 / Float(rank)
        // The engine keeps q/k rows in GGUF's RoPE order (also for a Hugging Face base), so B's rows follow.
        let engineLayout = pairs.map { layer in
            layer.reduce(into: [Projection: LoRAAdapter.Pair]()) { out, entry in
                guard entry.key == .q || entry.key == .k else { return out[entry.key] = entry.value }
                out[entry.key] = LoRAAdapter.Pair(a: entry.value.a, b: RopeRowPermutation.toGGUF(entry.value.b, cols: rank, headDim: config.headDim))
            }
        }
        let adapter = try LoRAAdapter(id: "test@1", rank: rank, scale: scale, layers: engineLayout, config: config)

        let merged = tiny.merging(pairs, rank: rank, scale: Double(scale))
        let want = merged.referenceLogits(tokens).flatMap { $0 }
        let got = try model.forward([.init(cache: model.makeCache(), tokens: tokens, logits: .all, adapter: adapter)])
        let base = try model.forward([.init(cache: model.makeCache(), tokens: tokens, logits: .all)])
        #expect(zip(got, want).map { abs(Double($0) - $1) }.max()! < 1e-4)
        // The adapter really changes the output, and the base stays untouched.
        #expect(zip(base, want).map { abs(Double($0) - $1) }.max()! > 0.1)
        #expect(zip(base, tiny.referenceLogits(tokens).flatMap { $0 }).map { abs(Double($0) - $1) }.max()! < 1e-4)
    }

    /// Sequences under different adapters (or none) in one batch get what each gets alone.
    @Test func mixedAdapterBatchMatchesSeparateRuns() throws {
        let tiny = TinyLlama(seed: 22)
        let model = try tiny.huggingFaceModel()
        let config = model.config
        let adapters: [LoRAAdapter?] = [
            try LoRAAdapter(id: "a", rank: rank, scale: 2, layers: tiny.randomLoRA([.q, .v], rank: rank, seed: 1), config: config),
            nil,
            try LoRAAdapter(id: "b", rank: rank, scale: 1, layers: tiny.randomLoRA(Projection.allCases, rank: rank, seed: 2), config: config),
        ]
        let sequences: [(tokens: [Int], adapter: LoRAAdapter?)] = [([1, 2, 3], adapters[0]), ([4, 5], adapters[1]), ([6], adapters[2]), ([7, 8], adapters[0])]
        let alone = try sequences.map { try model.forward([.init(cache: model.makeCache(), tokens: $0.tokens, logits: .last, adapter: $0.adapter)]) }
        let together = try model.forward(sequences.map { .init(cache: model.makeCache(), tokens: $0.tokens, logits: .last, adapter: $0.adapter) })
        let v = config.vocabSize
        for i in sequences.indices {
            #expect(zip(together[i * v..<(i + 1) * v], alone[i]).map { abs($0 - $1) }.max()! < 1e-5, "sequence \(i)")
        }
    }

    @Test func shapeMismatchAndNonFiniteValuesAreRejected() throws {
        let tiny = TinyLlama(seed: 23), config = tiny.config
        var pairs = tiny.randomLoRA([.k], rank: rank, seed: 3)
        pairs[1][.k] = LoRAAdapter.Pair(a: pairs[1][.k]!.a, b: [Float](repeating: 0, count: config.hiddenSize * rank))
        #expect(throws: LlamaError.self) { try LoRAAdapter(id: "x", rank: rank, scale: 1, layers: pairs, config: config) }
        var nan = tiny.randomLoRA([.up], rank: rank, seed: 4)
        nan[0][.up] = LoRAAdapter.Pair(a: nan[0][.up]!.a.map { _ in .nan }, b: nan[0][.up]!.b)
        #expect(throws: LlamaError.self) { try LoRAAdapter(id: "x", rank: rank, scale: 1, layers: nan, config: config) }
        #expect(throws: LlamaError.self) { try LoRAAdapter(id: "x", rank: rank, scale: 1, layers: [[:]], config: config) }
    }
}
