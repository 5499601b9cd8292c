import Foundation
import ModelFormats
import Testing
import TestSupport
@testable import Tokenizers

/// Loading from Hugging Face model folders. The folders are built in a temporary directory
/// from the shared vocabularies: `tokenizer.model` is the original Llama-2 file, the
/// `tokenizer.json` files are written the way `transformers` converts these vocabularies.
@Suite struct HuggingFaceLoaderTests {
    let dir = temporaryDirectory("hf-tokenizer-tests")

    func folder(_ name: String, files: [String: Any]) throws -> String {
        let f = dir + "/" + name
        try FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true)
        for (file, content) in files {
            let data: Data
            switch content {
            case let s as String: data = Data(s.utf8)
            case let b as [UInt8]: data = Data(b)
            default: data = Data(JSONObject.encode(content).utf8)
            }
            try data.write(to: URL(fileURLWithPath: f + "/" + file))
        }
        return f
    }

    func checkVectors(_ t: Tokenizer, _ vocab: String) throws {
        for (i, v) in try TestData.vectors(vocab).enumerated() {
            let got = t.encode(v.input)
            #expect(got == v.ids, "\(vocab) input #\(i + 1) \(String(reflecting: v.input)): got \(describe(got, t))")
        }
    }

    @Test func sentencePieceModelFile() throws {
        let f = try folder("llama2", files: [:])
        try FileManager.default.createSymbolicLink(atPath: f + "/tokenizer.model", withDestinationPath: TestData.shared("tokenizers/llama2-tokenizer.model"))
        let t = try Tokenizer.load(huggingFaceFolder: f)
        let gguf = try TestData.vocabulary("ggml-vocab-llama-spm.gguf")
        #expect(t.vocabularySize == 32000)
        #expect((0..<32000).allSatisfy { t.tokenPiece($0) == gguf.tokenPiece($0) && t.tokenType($0) == gguf.tokenType($0) })
        #expect(t.bosID == 1 && t.eosID == 2 && t.addBOSDefault && t.addSpacePrefix)
        #expect(t.endOfGenerationIDs == [2])
        try checkVectors(t, "ggml-vocab-llama-spm.gguf")
    }

    /// tokenizer.json merges for a SentencePiece vocabulary, as `transformers`'
    /// SentencePieceExtractor makes them: every split of a piece into two pieces, ordered by
    /// the piece's score (stable), splits of one piece by the ids of their parts.
    func sentencePieceMerges(_ t: Tokenizer, scores: [Float]) -> [[String]] {
        // Keys by bytes: String keys would merge canonically equivalent pieces.
        var ids = [[UInt8]: Int]()
        for i in 0..<t.vocabularySize where t.tokenType(i) == .normal { ids[Array(t.tokenPiece(i)!.utf8)] = i }
        var merges = [(left: Int, right: Int, score: Float)]()
        for (piece, id) in ids.sorted(by: { $0.value < $1.value }) {
            let scalars = Array(String(decoding: piece, as: UTF8.self).unicodeScalars)
            var local = [(Int, Int, Float)]()
            for k in 1..<max(scalars.count, 1) {
                var l = String.UnicodeScalarView(), r = String.UnicodeScalarView()
                l.append(contentsOf: scalars[..<k])
                r.append(contentsOf: scalars[k...])
                if let a = ids[Array(String(l).utf8)], let b = ids[Array(String(r).utf8)] { local.append((a, b, scores[id])) }
            }
            merges += local.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        }
        // Python's sorted(reverse=True) is stable; so is this index-ordered sort.
        let order = merges.indices.sorted { merges[$0].score != merges[$1].score ? merges[$0].score > merges[$1].score : $0 < $1 }
        return order.map { [t.tokenPiece(merges[$0].left)!, t.tokenPiece(merges[$0].right)!] }
    }

    @Test(arguments: [false, true])
    func metaspaceTokenizerJSON(legacyNormalizer: Bool) throws {
        let gguf = try GGUFFile(path: TestData.shared("tokenizers/ggml-vocab-llama-spm.gguf"))
        let spm = try Tokenizer.load(gguf: gguf)
        let scores = try #require(gguf.metadata["tokenizer.ggml.scores"]?.floatArray)
        let vocab = JSONObject((0..<spm.vocabularySize).map { (spm.tokenPiece($0)!, $0) })
        var json: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab, "merges": sentencePieceMerges(spm, scores: scores),
                      "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true],
            "added_tokens": [["id": 0, "content": "<unk>", "special": true], ["id": 1, "content": "<s>", "special": true],
                             ["id": 2, "content": "</s>", "special": true]],
            "decoder": ["type": "Sequence", "decoders": [["type": "Replace"], ["type": "ByteFallback"], ["type": "Fuse"]]],
        ]
        if legacyNormalizer {
            json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "Prepend", "prepend": "▁"],
                                                                       ["type": "Replace", "pattern": ["String": " "], "content": "▁"]]]
        } else {
            json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false]
        }
        let f = try folder("llama-json-\(legacyNormalizer)", files: [
            "tokenizer.json": json,
            "tokenizer_config.json": ["add_bos_token": true, "bos_token": "<s>", "eos_token": ["content": "</s>"], "chat_template": "[INST] <<SYS>>"],
        ])
        let t = try Tokenizer.load(huggingFaceFolder: f)
        #expect(t.bosID == 1 && t.eosID == 2 && t.addBOSDefault && t.addSpacePrefix)
        #expect(t.tokenType(3) == .byte && t.tokenType(0) == .unknown && t.tokenType(1) == .control)
        #expect(ChatTemplate.detect(jinja: t.chatTemplateSource) == .llama2)
        // The legacy normalizer always prefixes, like SentencePiece; Metaspace("first") does
        // not when the text starts with a space (ids from Hugging Face `tokenizers`).
        let metaspaceDiffers: [Int: [Int]] = [
            3: [29871], 4: [259], 5: [1678], 12: [15043, 3186], 14: [15043, 2787], 15: [15043, 2787, 29991],
            17: [15043, 29892, 3186, 29991], 18: [445, 338, 29871, 243, 162, 169, 156, 29889, 8223], 24: [15043],
            25: [29871, 15043], 26: [259, 15043], 27: [1678, 15043], 28: [1678, 15043, 13, 1678, 15043], 29: [313], 44: [2313, 3163],
        ]
        for (i, v) in try TestData.vectors("ggml-vocab-llama-spm.gguf").enumerated() {
            let expected = legacyNormalizer ? v.ids : metaspaceDiffers[i] ?? v.ids
            #expect(t.encode(v.input) == expected, "input #\(i + 1) \(String(reflecting: v.input))")
        }
        #expect(t.decode(t.encode("Hello wörld 🦙", addBOS: true), stripLeadingSpace: true) == "Hello wörld 🦙")
    }

    /// Metaspace options on a small vocabulary, expected ids from Hugging Face `tokenizers`
    /// 0.23: the prefix is skipped for text already starting with a space, "first" puts it
    /// only at the start of the prompt, `split` keeps tokens from spanning a "▁". Unknown
    /// characters become byte tokens when all their bytes have one, else one <unk>.
    @Test func metaspaceOptions() throws {
        func load(_ scheme: String, split: Bool) throws -> Tokenizer {
            let vocab = JSONObject(["<unk>", "▁", "▁▁", "a", "▁a", "<0xC3>", "<0xA9>", "<s>"].enumerated().map { ($1, $0) })
            return try Tokenizer.load(huggingFaceFolder: folder("metaspace-\(scheme)-\(split)", files: ["tokenizer.json": [
                "model": ["type": "BPE", "vocab": vocab, "merges": ["▁ ▁", "▁ a"], "unk_token": "<unk>", "byte_fallback": true] as [String: Any],
                "added_tokens": [["id": 7, "content": "<s>", "special": true]],
                "pre_tokenizer": ["type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": split] as [String: Any],
            ]]))
        }
        func encode(_ t: Tokenizer, _ text: String) throws -> [Int] {
            let parts = text.split(separator: "<s>", omittingEmptySubsequences: false).map { PromptSegment.text(String($0)) }
            return try t.encode(segments: Array(parts.map { [$0] }.joined(separator: [.special("<s>")])))
        }
        let inputs = ["  a", "a a", "é", "ü", "<s>a", "a<s>a", "<s> a"]
        let expected: [(String, Bool, [[Int]])] = [
            ("always", false, [[2, 3], [4, 4], [1, 5, 6], [1, 0], [7, 4], [4, 7, 4], [7, 4]]),
            ("always", true, [[1, 4], [4, 4], [1, 5, 6], [1, 0], [7, 4], [4, 7, 4], [7, 4]]),
            ("first", false, [[2, 3], [4, 4], [1, 5, 6], [1, 0], [7, 3], [4, 7, 3], [7, 4]]),
            ("never", false, [[2, 3], [3, 4], [5, 6], [0], [7, 3], [3, 7, 3], [7, 4]]),
        ]
        for (scheme, split, ids) in expected {
            let t = try load(scheme, split: split)
            #expect(try inputs.map { try encode(t, $0) } == ids, "\(scheme) split \(split)")
        }
        #expect(try load("first", split: false).decode([1, 5, 6, 3], stripLeadingSpace: true) == "éa")
    }

    /// A byte-level tokenizer.json written from a GGUF vocabulary, its merges as "a b"
    /// strings or as pairs.
    func byteLevelJSON(_ gguf: GGUFFile, preTokenizer: Any, pairs: Bool) throws -> [String: Any] {
        let t = try Tokenizer.load(gguf: gguf)
        let merges = try #require(gguf.metadata["tokenizer.ggml.merges"]?.stringArray)
        let vocab = JSONObject((0..<t.vocabularySize).map { (t.tokenPiece($0)!, $0) })
        var added = [[String: Any]]()
        for i in 0..<t.vocabularySize {
            if t.tokenType(i) == .control { added.append(["id": i, "content": t.tokenPiece(i)!, "special": true]) }
        }
        let mergeList: Any = pairs ? merges.map { $0.split(separator: " ").map(String.init) } : merges
        return [
            "model": ["type": "BPE", "vocab": vocab, "merges": mergeList] as [String: Any],
            "added_tokens": added,
            "pre_tokenizer": preTokenizer,
            "decoder": ["type": "ByteLevel"],
        ]
    }

    @Test func byteLevelTokenizerJSON() throws {
        let gguf = try GGUFFile(path: TestData.shared("tokenizers/ggml-vocab-gpt-2.gguf"))
        let f = try folder("gpt2-json", files: [
            "tokenizer.json": try byteLevelJSON(gguf, preTokenizer: ["type": "ByteLevel", "add_prefix_space": false], pairs: false),
        ])
        let t = try Tokenizer.load(huggingFaceFolder: f)
        #expect(t.vocabularySize == 50257 && !t.addSpacePrefix && !t.addBOSDefault)
        try checkVectors(t, "ggml-vocab-gpt-2.gguf")
    }

    /// The default model as a Hugging Face folder: Digits + ByteLevel pre-tokenizer,
    /// EOS from tokenizer_config.json and generation_config.json.
    @Test func smolLMFolder() throws {
        let model = try TestData.defaultModel()
        let gguf = try GGUFFile(path: TestData.repoRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path)
        let pre: [String: Any] = ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true],
                                                                        ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]]]
        let f = try folder("smollm", files: [
            "tokenizer.json": try byteLevelJSON(gguf, preTokenizer: pre, pairs: true),
            "tokenizer_config.json": ["bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>", "add_bos_token": false,
                                      "chat_template": model.chatTemplateSource!],
            "generation_config.json": ["bos_token_id": 1, "eos_token_id": [2, 0]],
        ])
        let t = try Tokenizer.load(huggingFaceFolder: f)
        #expect(t.bosID == 1 && t.eosID == 2 && t.padID == 2 && !t.addBOSDefault)
        #expect(t.endOfGenerationIDs == [0, 2])
        #expect(t.encode("Hello, my name is") == [19556, 28, 957, 1462, 314])
        let ref = try TestData.json("reference/smollm2-ref-b_chat.json")
        let system = ChatTemplate.chatml.defaultSystemPrompt(jinja: t.chatTemplateSource)
        let segments = try ChatTemplate.chatml.render(messages: [ChatMessage(role: "user", content: "What is the capital of France?")],
                                                      addGenerationPrompt: true, defaultSystem: system)
        #expect(try t.encode(segments: segments) == ref["input_ids"] as? [Int])
    }

    @Test func llama3PreTokenizerFromJSON() throws {
        let gguf = try GGUFFile(path: TestData.shared("tokenizers/ggml-vocab-gpt-2.gguf"))
        let pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let pre: [String: Any] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]]
        let f = try folder("llama3-json", files: ["tokenizer.json": try byteLevelJSON(gguf, preTokenizer: pre, pairs: false)])
        guard case let .byteLevel(e) = try Tokenizer.load(huggingFaceFolder: f).encoder else {
            Issue.record("not byte-level")
            return
        }
        #expect(e.preTokenizer == .llama3)
    }

    // MARK: errors name the file and the problem

    func loadError(_ f: String) -> TokenizerError? {
        do {
            _ = try Tokenizer.load(huggingFaceFolder: f)
            return nil
        } catch {
            return error as? TokenizerError
        }
    }

    @Test func emptyFolder() throws {
        let f = try folder("empty", files: [:])
        #expect(loadError(f) == .noVocabulary(folder: f))
        #expect(loadError(f + "/missing") == .noVocabulary(folder: f + "/missing"))
    }

    @Test func malformedFiles() throws {
        let bad = try folder("bad-json", files: ["tokenizer.json": "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0,}}}"])
        #expect(loadError(bad) == .malformed(path: bad + "/tokenizer.json", detail: "invalid JSON at byte 43: expected a member name"))

        let wordPiece = try folder("wordpiece", files: ["tokenizer.json": ["model": ["type": "WordPiece", "vocab": ["a": 0]]]])
        #expect(loadError(wordPiece) == .unsupported(path: wordPiece + "/tokenizer.json", detail: "model type 'WordPiece' (supported: BPE)"))

        let gap = try folder("gap", files: ["tokenizer.json": ["model": ["type": "BPE", "vocab": ["a": 0, "b": 2], "merges": [String]()]]])
        #expect(loadError(gap) == .malformed(path: gap + "/tokenizer.json", detail: "token ids are not contiguous: 2 tokens, highest id 2"))

        let badMerge = try folder("bad-merge", files: ["tokenizer.json": ["model": ["type": "BPE", "vocab": ["a": 0], "merges": [["a"]]]]])
        #expect(loadError(badMerge) == .malformed(path: badMerge + "/tokenizer.json", detail: "merge 0 is neither \"a b\" nor [\"a\", \"b\"]"))

        let badBOS = try folder("bad-bos", files: [
            "tokenizer.json": ["model": ["type": "BPE", "vocab": ["a": 0], "merges": [String]()]],
            "tokenizer_config.json": ["bos_token": "<s>"],
        ])
        #expect(loadError(badBOS) == .malformed(path: badBOS + "/tokenizer_config.json", detail: "bos_token '<s>' is not in the vocabulary"))

        let badEOS = try folder("bad-eos", files: [
            "tokenizer.json": ["model": ["type": "BPE", "vocab": ["a": 0], "merges": [String]()]],
            "generation_config.json": ["eos_token_id": 7],
        ])
        #expect(loadError(badEOS) == .malformed(path: badEOS + "/generation_config.json", detail: "token id 7 is outside the vocabulary of 1 tokens"))

        let empty = try folder("empty-file", files: ["tokenizer.json": ""])
        #expect(loadError(empty) == .malformed(path: empty + "/tokenizer.json", detail: "the file is empty"))
    }

    @Test func malformedSentencePieceModel() throws {
        let model = try TestData.readBytes(TestData.shared("tokenizers/llama2-tokenizer.model"))
        let truncated = try folder("truncated-model", files: ["tokenizer.model": Array(model[..<1000])])
        let e = try #require(loadError(truncated))
        guard case let .malformed(path, detail) = e else {
            Issue.record("expected malformed, got \(e)")
            return
        }
        #expect(path == truncated + "/tokenizer.model")
        #expect(detail.hasPrefix("ModelProto: length"), "\(detail)")

        let notProto = try folder("not-a-model", files: ["tokenizer.model": Array("{\"version\": 1}".utf8)])
        guard case .malformed = try #require(loadError(notProto)) else {
            Issue.record("a JSON file is not a SentencePiece model")
            return
        }
    }
}

/// A JSON object with members in order, compared by bytes: a Swift dictionary would merge
/// canonically equivalent keys (the Llama-2 vocabulary has six such pairs).
struct JSONObject {
    let members: [(String, Any)]
    init(_ members: [(String, Any)]) { self.members = members }

    static func encode(_ v: Any) -> String {
        switch v {
        case let o as JSONObject: "{" + o.members.map { encode($0.0) + ":" + encode($0.1) }.joined(separator: ",") + "}"
        case let d as [String: Any]: encode(JSONObject(d.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        case let a as [Any]: "[" + a.map(encode).joined(separator: ",") + "]"
        case let b as Bool: b ? "true" : "false"
        case let i as Int: String(i)
        case let s as String: "\"" + s.unicodeScalars.map { c in
                switch c {
                case "\"": "\\\""
                case "\\": "\\\\"
                case "\n": "\\n"
                case _ where c.value < 0x20: "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16)
                default: String(c)
                }
            }.joined() + "\""
        default: fatalError("cannot encode \(v)")
        }
    }
}
