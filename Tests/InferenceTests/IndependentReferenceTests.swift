import Foundation
import Testing
import TestSupport

/// Greedy generation against bench/reference_llama.py, an independent numpy implementation
/// over gguf-py's dequantisation, token for token (bench/compare_reference.sh).
@Suite struct IndependentReferenceTests {
    @Test func greedyTokensMatchTheNumpyReference() throws {
        let model = try Repo.defaultModel
        let (status, text) = try Repo.runScript("bash", [Repo.root + "/bench/compare_reference.sh", model, "16"])
        #expect(status == 0, "\(text)")
        #expect(text.components(separatedBy: "same ").count == 5, "\(text)")
    }
}
