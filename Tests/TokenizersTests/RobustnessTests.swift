import Testing
@testable import Tokenizers

/// No input crashes a tokenizer, and decoding gives the text back exactly.
@Suite struct RobustnessTests {
    static let texts = [
        "", "\0", "\0\0x\0", " ", "\u{2581}x", "👨‍👩‍👧‍👦🏳️‍🌈", String(repeating: " ", count: 10000), String(repeating: "a", count: 10000),
        String(repeating: "\n", count: 5000), "\u{FFFD}\u{E000}\u{378}\u{10FFFF}", "e\u{301}\u{302}\u{303}",
        "Ελληνικά العربية हिन्दी 中文 ﷽", String(repeating: "🦙", count: 2000), "'s'S'''ll 'RE", "\r\n\r\n\t\u{b}\u{c}\u{85}\u{2028}",
        String(repeating: "1", count: 5000) + String(repeating: "½", count: 100),
    ]

    @Test(arguments: ["ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "default model"])
    func roundTrip(_ vocab: String) throws {
        let t = vocab == "default model" ? try TestData.defaultModel() : try TestData.vocabulary(vocab)
        for text in Self.texts {
            let ids = t.encode(text)
            #expect(ids.allSatisfy { (0..<t.vocabularySize).contains($0) })
            // SentencePiece decodes a literal "▁" as a space: that is the format, not a loss here.
            let expected = t.addSpacePrefix ? text.replacingOccurrences(of: "\u{2581}", with: " ") : text
            #expect(t.decode(ids, stripLeadingSpace: true) == expected, "\(vocab): \(String(reflecting: text.prefix(40)))")
        }
    }
}
