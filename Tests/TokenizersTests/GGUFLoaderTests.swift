import Foundation
import ModelFormats
import Testing
import TestSupport
@testable import Tokenizers

/// GGUF vocabularies written for the test: llama.cpp's merge rules on small vocabularies,
/// defaults and options, and clear errors for broken metadata.
@Suite struct GGUFLoaderTests {
    let dir = temporaryDirectory("gguf-tokenizer-tests")

    func file(_ entries: [(String, GGUFValue)]) throws -> GGUFFile {
        var w = GGUFWriter()
        for (k, v) in entries { w.set(k, v) }
        let path = dir + "/\(UUID().uuidString).gguf"
        try w.write(to: path)
        return try GGUFFile(path: path)
    }

    static func strings(_ s: [String]) -> GGUFValue { .array(.string, s.map { .string($0) }) }

    /// A SentencePiece vocabulary: <unk> <s> </s> a b ab ba ▁ ▁a, with scores for ab and ba.
    func spm(ab: Float, ba: Float, extra: [(String, GGUFValue)] = []) throws -> Tokenizer {
        try Tokenizer.load(gguf: file([
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", Self.strings(["<unk>", "<s>", "</s>", "a", "b", "ab", "ba", "▁", "▁a"])),
            ("tokenizer.ggml.token_type", .array(.int32, [2, 3, 3, 1, 1, 1, 1, 1, 1].map { .int32($0) })),
            ("tokenizer.ggml.scores", .array(.float32, [0, 0, 0, -5, -5, ab, ba, -3, -2].map { .float32($0) })),
        ] + extra))
    }

    @Test func highestScoreMergesFirstLeftmostOnTies() throws {
        let noPrefix: [(String, GGUFValue)] = [("tokenizer.ggml.add_space_prefix", .bool(false))]
        #expect(try spm(ab: -1, ba: -1, extra: noPrefix).encode("aba") == [5, 3])
        #expect(try spm(ab: -1, ba: -0.5, extra: noPrefix).encode("aba") == [3, 6])
        #expect(try spm(ab: -0.5, ba: -1, extra: noPrefix).encode("bab") == [4, 5])
        #expect(try spm(ab: -1, ba: -1, extra: noPrefix).encode("abab") == [5, 5])
    }

    @Test func spacePrefixAndDefaults() throws {
        let t = try spm(ab: -1, ba: -1)
        #expect(t.addSpacePrefix && t.addBOSDefault) // llama.cpp's defaults for SentencePiece
        #expect(t.bosID == 1 && t.eosID == 2 && t.padID == nil && !t.addEOSDefault && t.endOfGenerationIDs == [2])
        #expect(t.encode("a") == [8] && t.encode("a a") == [8, 8])
        // No byte tokens: a character outside the vocabulary becomes <unk>, one per byte.
        #expect(t.encode("ac") == [8, 0] && t.encode("é") == [7, 0, 0])
        #expect(t.decode([8, 0, 5]) == " aab")
        let off = try spm(ab: -1, ba: -1, extra: [("tokenizer.ggml.add_space_prefix", .bool(false)),
                                                 ("tokenizer.ggml.add_bos_token", .bool(false)),
                                                 ("tokenizer.ggml.add_eos_token", .bool(true)),
                                                 ("tokenizer.ggml.padding_token_id", .int32(0)),
                                                 ("tokenizer.ggml.eot_token_id", .uint32(1))])
        #expect(!off.addSpacePrefix && !off.addBOSDefault && off.addEOSDefault && off.padID == 0 && off.encode("a") == [3])
        #expect(off.endOfGenerationIDs == [1, 2])
    }

    /// An unknown `tokenizer.ggml.pre` falls back to GPT-2's split.
    @Test func unknownPreTokenizer() throws {
        let gpt2 = try GGUFFile(path: TestData.shared("tokenizers/ggml-vocab-gpt-2.gguf"))
        var entries = gpt2.metadataKeys.filter { $0.hasPrefix("tokenizer.") }.map { ($0, gpt2.metadata[$0]!) }
        entries = entries.map { $0.0 == "tokenizer.ggml.pre" ? ($0.0, .string("some-future-model")) : $0 }
        let t = try Tokenizer.load(gguf: file(entries))
        for v in try TestData.vectors("ggml-vocab-gpt-2.gguf") { #expect(t.encode(v.input) == v.ids) }
    }

    func loadError(_ entries: [(String, GGUFValue)]) throws -> String? {
        let f = try file(entries)
        do {
            _ = try Tokenizer.load(gguf: f)
            return nil
        } catch let e as TokenizerError {
            return e.description.replacingOccurrences(of: f.path, with: "FILE")
        }
    }

    @Test func errors() throws {
        let tokens = ("tokenizer.ggml.tokens", Self.strings(["a", "b", "a b"]))
        let llama = ("tokenizer.ggml.model", GGUFValue.string("llama")), gpt2 = ("tokenizer.ggml.model", GGUFValue.string("gpt2"))
        #expect(try loadError([("general.architecture", .string("llama"))]) == "FILE: malformed tokenizer: no 'tokenizer.ggml.model' (the file has no vocabulary)")
        #expect(try loadError([("tokenizer.ggml.model", .string("bert")), tokens]) == "FILE: unsupported tokenizer: tokenizer.ggml.model 'bert' (supported: llama, gpt2)")
        #expect(try loadError([llama]) == "FILE: malformed tokenizer: no string array 'tokenizer.ggml.tokens'")
        #expect(try loadError([llama, ("tokenizer.ggml.tokens", Self.strings([]))]) == "FILE: malformed tokenizer: the vocabulary is empty")
        #expect(try loadError([llama, tokens, ("tokenizer.ggml.token_type", .array(.int32, [.int32(1)]))])
            == "FILE: malformed tokenizer: 1 token types for 3 tokens")
        #expect(try loadError([llama, tokens, ("tokenizer.ggml.scores", .array(.float32, [.float32(0)]))])
            == "FILE: malformed tokenizer: 1 scores for 3 tokens")
        #expect(try loadError([llama, tokens, ("tokenizer.ggml.eos_token_id", .uint32(3))])
            == "FILE: malformed tokenizer: 'tokenizer.ggml.eos_token_id' is 3, not a token id below 3")
        #expect(try loadError([llama, tokens, ("tokenizer.ggml.bos_token_id", .string("1"))])
            == "FILE: malformed tokenizer: 'tokenizer.ggml.bos_token_id' is not an integer")
        #expect(try loadError([gpt2, tokens]) == "FILE: malformed tokenizer: no string array 'tokenizer.ggml.merges'")
        #expect(try loadError([gpt2, tokens, ("tokenizer.ggml.merges", Self.strings(["ab"]))])
            == "FILE: malformed tokenizer: merge 'ab' is not two parts separated by a space")
        #expect(try loadError([gpt2, tokens, ("tokenizer.ggml.merges", Self.strings(["a b"]))]) == nil)
    }
}
