import Foundation
import Testing
import TestSupport
import ModelFormats
@testable import Llama

/// Adapters applied beside the frozen weights give what merged weights W + scale·B·A give.
@Suite struct LoRAAdapterTests {
    let tokens = [3, 17, 42, 49, 5, 0, 33, 8, 21]
    let rank = 3

    /// Random A and B (HF row layout) for `projections` of every layer.
    func randomPairs(_ config: LlamaConfig, _ projections: [Projection], seed: UInt64) -> [[Projection: LoRAAdapter.Pair]] {
        (0..<config.layerCount).map { l in
            Dictionary(uniqueKeysWithValues: projections.enumerated().map { i, p in
                let (outputs, inputs) = p.shape(config)
                let s = seed &+ UInt64(l * 16 + i) &* 7919
                return (p, LoRAAdapter.Pair(a: randomFloats(rank * inputs, scale: 0.3, seed: s),
                                            b: randomFloats(outputs * rank, scale: 0.3, seed: s &+ 1)))
            })
        }
    }

    func hfModel(_ tiny: TinyLlama) throws -> LlamaModel {
        let dir = temporaryDirectory()
        try tiny.writeHuggingFace(to: dir)
        let config = try LlamaConfig(huggingFaceFolder: dir)
        return LlamaModel(config: config, weights: try LlamaWeights(huggingFace: SafeTensorsFolder(folder: dir), config: config))
    }

    @Test func adapterMatchesMergedWeights() throws {
        let tiny = TinyLlama(seed: 21)
        let model = try hfModel(tiny)
        let config = model.config
        let pairs = randomPairs(config, Projection.allCases, seed: 5)
        let scale: Float = 16.0 / Float(rank)
        // The engine keeps q/k rows in GGUF's RoPE order (also for a Hugging Face base), so B's rows follow.
        let engineLayout = pairs.map { layer in
            layer.reduce(into: [Projection: LoRAAdapter.Pair]()) { out, entry in
                guard entry.key == .q || entry.key == .k else { return out[entry.key] = entry.value }
                out[entry.key] = LoRAAdapter.Pair(a: entry.value.a, b: RopeRowPermutation.toGGUF(entry.value.b, cols: rank, headDim: config.headDim))
            }
        }
        let adapter = try LoRAAdapter(id: "test@1", rank: rank, scale: scale, layers: engineLayout, config: config)

        var merged = tiny
        for (l, layer) in pairs.enumerated() {
            for (p, pair) in layer {
                let name = "model.layers.\(l).\(p.huggingFacePath).weight"
                let (outputs, inputs) = p.shape(config)
                var w = merged.tensors[name]!
                for o in 0..<outputs {
                    for i in 0..<inputs {
                        let delta = (0..<rank).reduce(0.0) { $0 + Double(pair.b[o * rank + $1]) * Double(pair.a[$1 * inputs + i]) }
                        w.values[o * inputs + i] += Double(scale) * delta
                    }
                }
                merged.tensors[name] = w
            }
        }
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
        let model = try hfModel(TinyLlama(seed: 22))
        let config = model.config
        let adapters: [LoRAAdapter?] = [
            try LoRAAdapter(id: "a", rank: rank, scale: 2, layers: randomPairs(config, [.q, .v], seed: 1), config: config),
            nil,
            try LoRAAdapter(id: "b", rank: rank, scale: 1, layers: randomPairs(config, Projection.allCases, seed: 2), config: config),
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
        let config = TinyLlama(seed: 23).config
        var pairs = randomPairs(config, [.k], seed: 3)
        pairs[1][.k] = LoRAAdapter.Pair(a: pairs[1][.k]!.a, b: [Float](repeating: 0, count: config.hiddenSize * rank))
        #expect(throws: LlamaError.self) { try LoRAAdapter(id: "x", rank: rank, scale: 1, layers: pairs, config: config) }
        var nan = randomPairs(config, [.up], seed: 4)
        nan[0][.up] = LoRAAdapter.Pair(a: nan[0][.up]!.a.map { _ in .nan }, b: nan[0][.up]!.b)
        #expect(throws: LlamaError.self) { try LoRAAdapter(id: "x", rank: rank, scale: 1, layers: nan, config: config) }
        #expect(throws: LlamaError.self) { try LoRAAdapter(id: "x", rank: rank, scale: 1, layers: [[:]], config: config) }
    }
}
