import Testing
import TestSupport
import ModelFormats
import TensorKernels
@testable import Llama

/// With integer products a sequence's logits are the same bits whatever else runs in its forward pass:
/// its prompt whole or split (the prefix cache leaves the last token alone), beside other sequences'
/// prompts and decodes (other attention items per head group, other product paths). This is what lets
/// the server give a seeded request the same text every time. (Plain C has no integer products: the
/// float path's sgemm tiles do depend on the batch.)
@Suite(.serialized, .enabled(if: InstructionSet.current != .scalar, "integer products need AVX2 or AVX-512"))
struct BatchIndependenceTests {
    let model: LlamaModel
    let prompt: [Int], other: [Int]

    init() throws {
        let gguf = try GGUFFile(path: try Repo.defaultModel)
        let config = try LlamaConfig(gguf: gguf)
        model = LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config), pool: ComputePool(threads: 2), integerProducts: true)
        prompt = try Repo.json("reference/smollm2-ref-b_chat.json")["input_ids"] as! [Int]
        other = try Repo.json("reference/smollm2-ref-a_hello.json")["input_ids"] as! [Int]
    }

    /// The prompt's last logits and those of the greedy token after it, in one batch layout.
    func lastLogits(_ run: (KVCache) throws -> [Float]) throws -> [UInt32] {
        let cache = model.makeCache()
        let first = try run(cache)
        let next = first.indices.max { first[$0] < first[$1] }!
        let second = try model.forward([.init(cache: cache, tokens: [next])])
        return (first + second).map(\.bitPattern)
    }

    /// Expects the same bits; a failure counts the differing logits and the largest difference (an
    /// array diff of 100k logits would take minutes).
    func expectSameBits(_ logits: [UInt32], _ reference: [UInt32], _ what: String) {
        let (count, largest) = zip(logits, reference).reduce((0, Float(0))) { acc, pair in
            pair.0 == pair.1 ? acc : (acc.0 + 1, max(acc.1, abs(Float(bitPattern: pair.0) - Float(bitPattern: pair.1))))
        }
        #expect(count == 0, "\(what): \(count) logits differ, by up to \(largest)")
    }

    /// The first `n` tokens of `tokens` prefilled alone, as the prefix cache would hold them.
    func prefilled(_ tokens: [Int], _ n: Int) throws -> KVCache {
        let cache = model.makeCache()
        _ = try model.forward([.init(cache: cache, tokens: Array(tokens.prefix(n)), logits: .none)])
        return cache
    }

    @Test func promptWholeOrSplitGivesTheSameBits() throws {
        let whole = try lastLogits { try model.forward([.init(cache: $0, tokens: prompt)]) }
        for split in [prompt.count - 1, prompt.count - 5, 3] {
            let parts = try lastLogits { cache in
                _ = try model.forward([.init(cache: cache, tokens: Array(prompt.prefix(split)), logits: .none)])
                return try model.forward([.init(cache: cache, tokens: Array(prompt.dropFirst(split)))])
            }
            expectSameBits(parts, whole, "split at \(split)")
        }
    }

    @Test func otherSequencesInTheBatchDoNotChangeTheBits() throws {
        let alone = try lastLogits { cache in
            _ = try model.forward([.init(cache: cache, tokens: Array(prompt.dropLast()), logits: .none)])
            return try model.forward([.init(cache: cache, tokens: [prompt.last!])])
        }
        // The last token as a decode beside another prompt's prefill and two decodes.
        let decodes = try (1...2).map { try prefilled(other, other.count - $0) }
        let batched = try lastLogits { cache in
            _ = try model.forward([.init(cache: cache, tokens: Array(prompt.dropLast()), logits: .none)])
            let logits = try model.forward([.init(cache: model.makeCache(), tokens: other)]
                                           + decodes.map { .init(cache: $0, tokens: [other[$0.count]]) }
                                           + [.init(cache: cache, tokens: [prompt.last!])])
            return Array(logits.suffix(model.config.vocabSize))
        }
        expectSameBits(batched, alone, "decoded beside others")
        // The whole prompt prefilled beside another.
        let together = try lastLogits { cache in
            let logits = try model.forward([.init(cache: model.makeCache(), tokens: other), .init(cache: cache, tokens: prompt)])
            return Array(logits.suffix(model.config.vocabSize))
        }
        expectSameBits(together, alone, "prefilled beside another")
    }
}
