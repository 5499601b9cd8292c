import Testing
@testable import Tokenizers

/// llama.cpp's tokenizer test vectors: every input must give exactly the expected ids.
@Suite struct VocabularyVectorTests {
    func check(_ t: Tokenizer, _ vocab: String) throws {
        let vectors = try TestData.vectors(vocab)
        #expect(vectors.count == 46)
        for (i, v) in vectors.enumerated() {
            let got = t.encode(v.input)
            #expect(got == v.ids, """
                \(vocab) input #\(i + 1) \(String(reflecting: v.input))
                  expected \(describe(v.ids, t))
                  got      \(describe(got, t))
                """)
        }
    }

    @Test func llamaSentencePieceGGUF() throws {
        try check(try TestData.vocabulary("ggml-vocab-llama-spm.gguf"), "ggml-vocab-llama-spm.gguf")
    }

    @Test func gpt2ByteLevelGGUF() throws {
        try check(try TestData.vocabulary("ggml-vocab-gpt-2.gguf"), "ggml-vocab-gpt-2.gguf")
    }

    /// Decoding the expected ids gives the input back (SentencePiece: minus the prefix space).
    @Test(arguments: ["ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"])
    func decodeRoundTrip(_ vocab: String) throws {
        let t = try TestData.vocabulary(vocab)
        for v in try TestData.vectors(vocab) {
            #expect(t.decode(v.ids, stripLeadingSpace: true) == v.input, "decode of \(String(reflecting: v.input))")
        }
    }
}
