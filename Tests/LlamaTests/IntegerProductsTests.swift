import Foundation
import Testing
import TestSupport
import ModelFormats
import TensorKernels
@testable import Llama

/// The default model with inputs rounded to 16 bits (`integerProducts`) against transformers' float32
/// numbers: the 20 largest logits within 0.1 and the same greedy text, at every instruction set
/// this CPU runs (a one-thread pool keeps all the work on the thread whose set is capped).
@Suite(.serialized) struct IntegerProductsTests {
    static func model(threads: Int? = nil) throws -> LlamaModel {
        let gguf = try GGUFFile(path: try Repo.defaultModel)
        let config = try LlamaConfig(gguf: gguf)
        return LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config),
                          pool: threads.map { ComputePool(threads: $0) } ?? .shared, integerProducts: true)
    }

    static let sets = InstructionSet.allCases.filter { $0.rawValue <= InstructionSet.current.rawValue }

    /// The prompt prefilled whole (37 tokens of b_chat: the 16-bit matrix products, or float ones
    /// without AVX-512) and token by token (the row products).
    @Test(arguments: sets)
    func topLogitsStayWithinATenthOfTransformers(_ set: InstructionSet) throws {
        let model = try Self.model(threads: 1)
        for key in ["a_hello", "b_chat"] {
            let ids = try Repo.json("reference/smollm2-ref-\(key).json")["input_ids"] as! [Int]
            let expected = try Repo.npy("reference/logits/\(key)_last.npy").values
            let top = expected.indices.sorted { expected[$0] > expected[$1] }.prefix(20)
            let whole = try InstructionSet.with(set) { try model.forward([.init(cache: model.makeCache(), tokens: ids)]) }
            let cache = model.makeCache()
            var stepped = [Float]()
            try InstructionSet.with(set) { for t in ids { stepped = try model.forward([.init(cache: cache, tokens: [t])]) } }
            for logits in [whole, stepped] {
                let worst = top.map { abs(logits[$0] - expected[$0]) }.max()!
                #expect(worst < 0.1, "\(key) at \(set): max |Δlogit| over the top 20 = \(worst)")
            }
        }
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
