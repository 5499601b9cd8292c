import Foundation
import ModelFormats
import Testing
@testable import Tokenizers

/// Paths of the shared reference data and the default model, from the repository root.
enum TestData {
    static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static func shared(_ relative: String) -> String {
        repoRoot.appendingPathComponent("../shared/testdata/" + relative).standardized.path
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw TestDataError.missing(path) }
        return [UInt8](d)
    }

    static func json(_ relative: String) throws -> [String: Any] {
        let bytes = try readBytes(shared(relative))
        return try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
    }

    static let vocabularyCache = VocabularyCache()

    /// A tokenizer from a vocabulary-only GGUF in `tokenizers/`, loaded once per test run.
    static func vocabulary(_ name: String) throws -> Tokenizer {
        try vocabularyCache.get(name) { try Tokenizer.load(gguf: GGUFFile(path: shared("tokenizers/" + name))) }
    }

    /// The default model's tokenizer. Fails (not skips) when the model file is missing.
    static func defaultModel() throws -> Tokenizer {
        let path = repoRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestDataError.missing("\(path) (the default model; run scripts/fetch-model.sh or symlink it into models/)")
        }
        return try vocabularyCache.get(path) { try Tokenizer.load(gguf: GGUFFile(path: path)) }
    }

    /// llama.cpp tokenizer test vectors: inputs separated by `__ggml_vocab_test__` lines in
    /// `<vocab>.inp`, one line of space-separated ids per input in `<vocab>.out`.
    static func vectors(_ vocab: String) throws -> [(input: String, ids: [Int])] {
        let inp = try readBytes(shared("tokenizers/\(vocab).inp"))
        let out = try readBytes(shared("tokenizers/\(vocab).out"))
        var inputs = split(inp, on: Array("\n__ggml_vocab_test__\n".utf8)).map { String(decoding: $0, as: UTF8.self) }
        #expect(inputs.last == "", "the .inp file should end with a separator")
        inputs.removeLast()
        var lines = split(out, on: [0x0A])
        #expect(lines.last == [], "the .out file should end with a newline")
        lines.removeLast()
        #expect(inputs.count == lines.count, "\(inputs.count) inputs but \(lines.count) output lines")
        return zip(inputs, lines).map { input, line in
            (input, String(decoding: line, as: UTF8.self).split(separator: " ").map { Int($0)! })
        }
    }

    private static func split(_ b: [UInt8], on sep: [UInt8]) -> [[UInt8]] {
        var parts = [[UInt8]](), start = 0, i = 0
        while i + sep.count <= b.count {
            if b[i..<i + sep.count].elementsEqual(sep) {
                parts.append(Array(b[start..<i]))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(Array(b[start...]))
        return parts
    }
}

enum TestDataError: Error, CustomStringConvertible {
    case missing(String)
    var description: String {
        switch self {
        case let .missing(p): "missing test data: \(p)"
        }
    }
}

final class VocabularyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var tokenizers: [String: Tokenizer] = [:]

    func get(_ key: String, load: () throws -> Tokenizer) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let t = tokenizers[key] { return t }
        let t = try load()
        tokenizers[key] = t
        return t
    }
}

/// `ids` shown with their pieces, for failure messages.
func describe(_ ids: [Int], _ t: Tokenizer) -> String {
    ids.map { "\($0):\(t.tokenPiece($0).map { String(reflecting: $0) } ?? "?")" }.joined(separator: " ")
}
