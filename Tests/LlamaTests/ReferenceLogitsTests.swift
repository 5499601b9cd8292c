import Foundation
import Testing
import TestSupport
import ModelFormats
@testable import Llama

/// The default model against Hugging Face transformers' float32 numbers (../shared/testdata/reference).
@Suite(.serialized) struct ReferenceLogitsTests {
    static func model() throws -> LlamaModel {
        let gguf = try GGUFFile(path: try Repo.defaultModel)
        let config = try LlamaConfig(gguf: gguf)
        return LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config))
    }

    @Test(arguments: ["a_hello", "b_chat"])
    func lastPositionLogitsMatchTransformers(_ key: String) throws {
        let model = try Self.model()
        let ref = try Repo.json("reference/smollm2-ref-\(key).json")
        let ids = ref["input_ids"] as! [Int]
        let expected = try Repo.npy("reference/logits/\(key)_last.npy").values
        let cache = model.makeCache()
        let logits = try model.forward([.init(cache: cache, tokens: ids)])
        #expect(logits.count == expected.count)
        let maxDiff = zip(logits, expected).map { abs($0 - $1) }.max()!
        #expect(maxDiff < 1e-3, "max |Δlogit| = \(maxDiff)")
        #expect(logits.indices.max { logits[$0] < logits[$1] } == expected.indices.max { expected[$0] < expected[$1] })
    }

    @Test func everyPositionMatchesWhenPrefilledInPiecesOrTokenByToken() throws {
        let model = try Self.model()
        let ref = try Repo.json("reference/smollm2-ref-a_hello.json")
        let ids = ref["input_ids"] as! [Int]
        let expected = try Repo.npy("reference/logits/a_hello_allpos.npy").values
        let vocab = model.config.vocabSize
        // All at once.
        let all = try model.forward([.init(cache: model.makeCache(), tokens: ids, logits: .all)])
        #expect(zip(all, expected).map { abs($0 - $1) }.max()! < 1e-3)
        // Two tokens, then one at a time through the KV cache.
        let cache = model.makeCache()
        var got = try model.forward([.init(cache: cache, tokens: Array(ids[..<2]), logits: .all)])
        for t in ids[2...] { got += try model.forward([.init(cache: cache, tokens: [t])]) }
        #expect(got.count == ids.count * vocab)
        #expect(zip(got, expected).map { abs($0 - $1) }.max()! < 1e-3)
    }

    @Test func greedyContinuationMatchesTransformers() throws {
        let model = try Self.model()
        for key in ["a_hello", "b_chat"] {
            let ref = try Repo.json("reference/smollm2-ref-\(key).json")
            let ids = ref["input_ids"] as! [Int]
            let greedy = (ref["greedy_32_no_eos_stop"] as! [String: Any])["ids"] as! [Int]
            let cache = model.makeCache()
            var logits = try model.forward([.init(cache: cache, tokens: ids)])
            var out = [Int]()
            while out.count < greedy.count {
                let next = logits.indices.max { logits[$0] < logits[$1] }!
                out.append(next)
                logits = try model.forward([.init(cache: cache, tokens: [next])])
            }
            #expect(out == greedy, "\(key)")
        }
    }
}
