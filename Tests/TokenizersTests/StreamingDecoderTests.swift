import Testing
@testable import Tokenizers

@Suite struct StreamingDecoderTests {
    /// Streams `ids`; every piece must be complete text, and all pieces together `decode(ids)`.
    func stream(_ t: Tokenizer, _ ids: [Int], strip: Bool = false) -> [String] {
        var d = t.makeStreamingDecoder(stripLeadingSpace: strip)
        var pieces = ids.map { d.append($0) }
        pieces.append(d.finish())
        #expect(pieces.joined() == t.decode(ids, stripLeadingSpace: strip))
        return pieces
    }

    @Test func byteFallbackCharacterIsHeldUntilComplete() throws {
        let t = try TestData.vocabulary("ggml-vocab-llama-spm.gguf")
        let ids = t.encode("a🦙b")
        #expect(ids == [263, 243, 162, 169, 156, 29890]) // "▁a" <0xF0> <0x9F> <0xA6> <0x99> "b"
        #expect(stream(t, ids) == [" a", "", "", "", "🦙", "b", ""])
        #expect(stream(t, ids, strip: true) == ["a", "", "", "", "🦙", "b", ""])
    }

    @Test func byteLevelPiecesSplitCharacters() throws {
        let t = try TestData.vocabulary("ggml-vocab-gpt-2.gguf")
        let ids = t.encode("🦙 日本")
        let pieces = stream(t, ids)
        #expect(pieces.joined() == "🦙 日本")
        #expect(pieces.contains(""), "some token ends inside a character: \(describe(ids, t))")
        #expect(!pieces.joined().contains("\u{FFFD}"))
    }

    @Test func invalidLeftoversBecomeReplacementCharacters() throws {
        let t = try TestData.vocabulary("ggml-vocab-llama-spm.gguf")
        let f0 = 3 + 0xF0, e2 = 3 + 0xE2, x82 = 3 + 0x82, a = 29874
        #expect(t.tokenPiece(f0) == "<0xF0>")
        var d = t.makeStreamingDecoder()
        #expect(d.append(f0) == "")
        #expect(d.finish() == "\u{FFFD}")
        #expect(d.finish() == "")
        #expect(stream(t, [e2, x82, a]) == ["", "", "\u{FFFD}a", ""])
        #expect(stream(t, [f0, f0]) == ["", "\u{FFFD}", "\u{FFFD}"])
        #expect(t.decode([e2, x82]) == "\u{FFFD}")
    }

    @Test func incompleteSuffix() {
        let cases: [([UInt8], Int)] = [
            ([], 0), ([0x41], 0), ([0xC3], 1), ([0xC3, 0xA9], 0), ([0xE2, 0x82], 2), ([0x41, 0xF0, 0x9F, 0xA6], 3),
            ([0xF0, 0x9F, 0xA6, 0x99], 0), ([0xED, 0xA0], 0), ([0xE0, 0x80], 0), ([0xF4, 0x90], 0), ([0xF5], 0), ([0xC0], 0), ([0x80], 0),
        ]
        for (bytes, n) in cases { #expect(StreamingDecoder.incompleteSuffixLength(bytes) == n, "\(bytes)") }
    }

    @Test func leadingSpaceAndSpecialTokens() throws {
        let spm = try TestData.vocabulary("ggml-vocab-llama-spm.gguf")
        #expect(spm.decode([1, 15043, 3186]) == " Hello world")
        #expect(spm.decode([1, 15043, 3186], stripLeadingSpace: true) == "Hello world")
        // As Hugging Face: the space is stripped only where the decoded text begins.
        #expect(spm.decode([1, 15043, 3186], stripLeadingSpace: true, renderSpecial: true) == "<s> Hello world")
        #expect(spm.decode([29871, 15043], stripLeadingSpace: true) == " Hello") // only one space is the prefix
        #expect(spm.decode([15043, 2, 1, 15043]) == " Hello Hello")
        // Byte-level BPE has no prefix: the space belongs to the text.
        let gpt2 = try TestData.vocabulary("ggml-vocab-gpt-2.gguf")
        #expect(gpt2.decode([18435], stripLeadingSpace: true) == " Hello")
        #expect(gpt2.decode([50256, 18435]) == " Hello" && gpt2.decode([50256], renderSpecial: true) == "<|endoftext|>")
        #expect(gpt2.decode([-1, 50257, Int.max]) == "")
    }

    @Test(arguments: ["ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"])
    func everyVectorStreams(_ vocab: String) throws {
        let t = try TestData.vocabulary(vocab)
        for v in try TestData.vectors(vocab) {
            let pieces = stream(t, v.ids, strip: true)
            #expect(pieces.joined() == v.input)
        }
    }
}
