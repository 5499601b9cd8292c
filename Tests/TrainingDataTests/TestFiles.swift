import Foundation
import ModelFormats
import TestSupport
import Tokenizers
@testable import TrainingData
import Training

/// Tokenizers and scratch files for the training-data tests.
enum TestFiles {
    /// SmolLM2's byte-level BPE with its ChatML template (no BOS).
    static func smolLM2() throws -> Tokenizer { try smolLM2Tokenizer.get() }

    /// Llama-2's SentencePiece vocabulary (BOS added); the file carries no chat template.
    static func llama2() throws -> Tokenizer { try llama2Tokenizer.get() }

    // Loaded once: a vocabulary takes a few hundred milliseconds, and most tests need one.
    private static let smolLM2Tokenizer = Result { try Tokenizer.load(gguf: GGUFFile(path: Repo.defaultModel)) }
    private static let llama2Tokenizer = Result { try Tokenizer.load(gguf: GGUFFile(path: Repo.testdata + "/tokenizers/ggml-vocab-llama-spm.gguf")) }

    /// The made-up company documents and their Q&A in `Tests/Fixtures/training`.
    static func fixture(_ name: String) -> String { Repo.root + "/Tests/Fixtures/training/" + name }

    /// Writes `bytes` to a new file named `name` in a fresh temporary directory.
    static func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = temporaryDirectory() + "/" + name
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }

    /// A JSONL file, one record per line.
    static func jsonl(_ lines: [[String: Any]]) throws -> String {
        let text = try lines.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self) }.joined(separator: "\n")
        return write("data.jsonl", text + "\n")
    }

    static func messages(_ turns: [(String, String)]) -> [String: Any] {
        ["messages": turns.map { ["role": $0.0, "content": $0.1] }]
    }
}

extension TrainingExample {
    /// The indices of the tokens in the loss.
    var lossPositions: [Int] { lossMask.indices.filter { lossMask[$0] } }
}
