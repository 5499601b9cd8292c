import Foundation
import Testing
import TestSupport

/// Greedy generation against bench/reference_llama.py, an independent numpy implementation
/// over gguf-py's dequantisation, token for token (bench/compare_reference.sh).
@Suite struct IndependentReferenceTests {
    @Test func greedyTokensMatchTheNumpyReference() throws {
        let model = try Repo.defaultModel
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Repo.root + "/bench/compare_reference.sh", model, "16"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.components(separatedBy: "same ").count == 5, "\(text)")
    }
}
