import Foundation
import Testing
@testable import Tokenizers

/// Encoding is O(n log n): 100 KB of text, or of one 100 KB word, takes well under a second.
/// The bound asserted is generous because the machine is shared.
@Suite(.serialized) struct PerformanceTests {
    static func text() throws -> String {
        let inputs = try TestData.vectors("ggml-vocab-gpt-2.gguf").map(\.input).joined(separator: "\n")
        let model = try TestData.defaultModel()
        let batch = try #require(try TestData.json("reference/train-qv-step0/batch0.json")["input_ids"] as? [[Int]])
        let prose = batch.map { model.decode($0) }.joined(separator: "\n")
        var text = ""
        while text.utf8.count < 100_000 { text += inputs + "\n" + prose + "\n" }
        return text
    }

    @Test(arguments: ["ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "default model"])
    func hundredKilobytes(_ vocab: String) throws {
        let t = vocab == "default model" ? try TestData.defaultModel() : try TestData.vocabulary(vocab)
        let texts = ["mixed": try Self.text(), "one word": String(repeating: "ab", count: 50_000), "spaces": String(repeating: " ", count: 100_000)]
        for (name, text) in texts.sorted(by: { $0.key < $1.key }) {
            let clock = ContinuousClock()
            var ids = [Int]()
            let elapsed = clock.measure { ids = t.encode(text) }
            print("encode \(vocab), \(name), \(text.utf8.count) bytes: \(ids.count) tokens in \(elapsed)")
            #expect(elapsed < .seconds(5), "\(vocab) \(name): \(elapsed)")
            #expect(!ids.isEmpty)
        }
    }
}
