import Foundation
import Testing
import TestSupport
import Inference
import Llama
import TensorKernels

/// A long prompt prefilled in chunks of any size leaves the same cache and logits
/// (the server prefills 256 tokens per step beside running decodes, the CLI 512).
@Suite struct ChunkedPrefillTests {
    @Test(arguments: [1, 2])
    func chunkSizeDoesNotChangeTheLogits(threads: Int) throws {
        let loaded = try LoadedModel.load(path: try Repo.defaultModel, threads: threads)
        let model = loaded.model
        var g = SplitMix(5)
        let prompt = (0..<1016).map { _ in Int(g.next() % UInt64(model.config.vocabSize)) }
        var results = [[Float]]()
        for chunk in [256, 512, 1016] {
            let cache = model.makeCache(maxTokens: 4096)
            var logits = [Float]()
            for start in stride(from: 0, to: prompt.count, by: chunk) {
                let end = min(prompt.count, start + chunk)
                logits = try model.forward([.init(cache: cache, tokens: Array(prompt[start..<end]), logits: end == prompt.count ? .last : .none)])
            }
            logits = try model.forward([.init(cache: cache, tokens: [prompt[0]])])
            results.append(logits)
        }
        for r in results.dropFirst() {
            #expect(zip(r, results[0]).map { abs($0 - $1) }.max()! < 1e-3)
        }
    }
}
