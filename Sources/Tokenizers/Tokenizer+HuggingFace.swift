#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ModelFormats

extension Tokenizer {
    /// The tokenizer of a Hugging Face model folder: the vocabulary from `tokenizer.model`
    /// (SentencePiece) if present, else from `tokenizer.json` (BPE, byte-level or "▁" style);
    /// chat template, BOS/EOS and `add_bos_token` from `tokenizer_config.json`; further EOS
    /// ids from `generation_config.json` and `config.json`.
    public static func load(huggingFaceFolder folder: String) throws -> Tokenizer {
        let files = ModelFolder(path: folder)
        let config = try files.json("tokenizer_config.json")
        let tokenizerJSON = try files.json("tokenizer.json")
        let added = try addedTokens(tokenizerJSON, config)

        var d: TokenizerDescription
        if let model = try files.read("tokenizer.model") {
            d = try sentencePieceDescription(model, added: added)
        } else if let (path, json) = tokenizerJSON {
            d = try tokenizerJSONDescription(json, path: path)
        } else {
            throw TokenizerError.noVocabulary(folder: folder)
        }

        let all = ByteStringTable(d.pieces.enumerated().map { (Array($1.utf8), $0) })
        if let (path, c) = config {
            func tokenID(_ key: String) throws -> Int? {
                // "<s>" or {"content": "<s>", ...}; null when the model has none
                guard let v = c[key], let piece = v.string ?? v["content"]?.string else { return nil }
                guard let id = all.value(piece) else { throw TokenizerError.malformed(path: path, detail: "\(key) '\(piece)' is not in the vocabulary") }
                return id
            }
            d.bosID = try tokenID("bos_token") ?? d.bosID
            d.eosID = try tokenID("eos_token") ?? d.eosID
            d.unknownID = try tokenID("unk_token") ?? d.unknownID
            d.padID = try tokenID("pad_token") ?? d.padID
            d.addBOS = c["add_bos_token"]?.bool ?? d.addBOS
            d.addEOS = c["add_eos_token"]?.bool ?? d.addEOS
            if let t = c["chat_template"]?.string {
                d.chatTemplate = t
            } else if let named = c["chat_template"]?.array { // [{"name": "default", "template": "..."}, ...]
                d.chatTemplate = (named.first { $0["name"]?.string == "default" } ?? named.first)?["template"]?.string
            }
        }
        if d.chatTemplate == nil, let file = try files.read("chat_template.jinja") {
            d.chatTemplate = file.file.withBytes { String(decoding: $0, as: UTF8.self) }
        }
        for name in ["generation_config.json", "config.json"] {
            guard let (path, c) = try files.json(name) else { continue }
            let eos = c["eos_token_id"].map { $0.array?.compactMap(\.int) ?? [$0.int].compactMap { $0 } } ?? []
            let bos = c["bos_token_id"]?.int, pad = c["pad_token_id"]?.int
            for id in eos + [bos, pad].compactMap({ $0 }) where !(0..<d.pieces.count).contains(id) {
                throw TokenizerError.malformed(path: path, detail: "token id \(id) is outside the vocabulary of \(d.pieces.count) tokens")
            }
            d.extraEndIDs += eos
            d.eosID = d.eosID ?? eos.first
            d.bosID = d.bosID ?? bos
            d.padID = d.padID ?? pad
        }
        return try Tokenizer(d)
    }

    /// Tokens added on top of the base vocabulary (chat markers and the like), by id,
    /// from `tokenizer.json` `added_tokens` and `tokenizer_config.json` `added_tokens_decoder`.
    private static func addedTokens(_ tokenizerJSON: (String, JSONValue)?, _ config: (String, JSONValue)?) throws -> [Int: (content: String, special: Bool)] {
        var out = [Int: (content: String, special: Bool)]()
        func add(_ id: Int?, _ token: JSONValue, _ path: String) throws {
            guard let id, id >= 0, let content = token["content"]?.string else {
                throw TokenizerError.malformed(path: path, detail: "added token \(id.map(String.init) ?? "?") has no valid id or content")
            }
            out[id] = (content, token["special"]?.bool ?? false)
        }
        if let (path, json) = tokenizerJSON {
            for t in json["added_tokens"]?.array ?? [] { try add(t["id"]?.int, t, path) }
        }
        if let (path, c) = config {
            for (key, t) in c["added_tokens_decoder"]?.members ?? [] { try add(Int(key), t, path) }
        }
        return out
    }

    private static func sentencePieceDescription(_ file: (path: String, file: MappedFile),
                                                 added: [Int: (content: String, special: Bool)]) throws -> TokenizerDescription {
        let path = file.path
        let sp = try file.file.withBytes { try SentencePieceModel(bytes: $0, path: path) }
        guard sp.modelType == .bpe else {
            throw TokenizerError.unsupported(path: path, detail: "SentencePiece model type \(sp.modelType) (supported: BPE)")
        }
        var pieces = sp.pieces.map(\.text), types = sp.pieces.map(\.type), scores = sp.pieces.map(\.score)
        for id in added.keys.sorted() where id >= sp.pieces.count {
            guard id == pieces.count else {
                throw TokenizerError.malformed(path: path, detail: "added token id \(id) leaves a gap after the \(pieces.count) tokens before it")
            }
            pieces.append(added[id]!.content)
            types.append(added[id]!.special ? .control : .userDefined)
            scores.append(0)
        }
        func valid(_ id: Int) -> Int? { (0..<pieces.count).contains(id) ? id : nil } // -1 = none
        return TokenizerDescription(source: path, pieces: pieces, types: types, algorithm: .sentencePiece(scores: scores),
                                    bosID: valid(sp.bosID), eosID: valid(sp.eosID), unknownID: valid(sp.unknownID),
                                    addBOS: true, spacePrefix: sp.addDummyPrefix ? .everyRun : .none)
    }

    /// A `tokenizer.json` BPE model. Byte-level if its pre-tokenizer or decoder is
    /// `ByteLevel`; otherwise SentencePiece-like text with "▁" for spaces.
    private static func tokenizerJSONDescription(_ json: JSONValue, path: String) throws -> TokenizerDescription {
        func malformed(_ detail: String) -> TokenizerError { .malformed(path: path, detail: detail) }
        guard let model = json["model"] else { throw malformed("no 'model'") }
        let type = model["type"]?.string ?? "BPE"
        guard type == "BPE" else { throw TokenizerError.unsupported(path: path, detail: "model type '\(type)' (supported: BPE)") }
        guard let vocab = model["vocab"]?.members else { throw malformed("model.vocab is not an object") }

        let added = json["added_tokens"]?.array ?? []
        var byID = [Int: String]()
        for (piece, v) in vocab {
            guard let id = v.int, id >= 0 else { throw malformed("vocab entry '\(piece)' has id \(v), not a token id") }
            byID[id] = piece
        }
        var specials = [Int: Bool]()
        for t in added {
            guard let id = t["id"]?.int, id >= 0, let content = t["content"]?.string else { throw malformed("an added token has no valid id or content") }
            byID[id] = content
            specials[id] = t["special"]?.bool ?? false
        }
        let n = (byID.keys.max() ?? -1) + 1
        guard byID.count == n else { throw malformed("token ids are not contiguous: \(byID.count) tokens, highest id \(n - 1)") }
        let pieces = (0..<n).map { byID[$0]! }
        var types = (0..<n).map { specials[$0].map { $0 ? TokenType.control : .userDefined } ?? .normal }

        var merges = [(String, String)]()
        for m in model["merges"]?.array ?? [] {
            if let s = m.string, let sep = s.utf8.dropFirst().firstIndex(of: 0x20) {
                merges.append((String(s[..<sep]), String(s[s.utf8.index(after: sep)...])))
            } else if let pair = m.array?.compactMap(\.string), pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else {
                throw malformed("merge \(merges.count) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }

        let unk = model["unk_token"]?.string.flatMap { u in pieces.firstIndex { $0.utf8.elementsEqual(u.utf8) } }
        if let unk { types[unk] = .unknown }
        let preNodes = json["pre_tokenizer"]?.allValues ?? []
        let nodes = preNodes + (json["decoder"]?.allValues ?? []) + (json["normalizer"]?.allValues ?? [])
        func component(_ type: String) -> [JSONValue] { nodes.filter { $0["type"]?.string == type } }

        // A post-processor that puts a special token before the text adds BOS (Llama-3).
        let template = (json["post_processor"]?.allValues ?? []).first { $0["type"]?.string == "TemplateProcessing" }
        let addsBOS = template?["single"]?.array?.first?["SpecialToken"] != nil

        let algorithm: TokenizerDescription.Algorithm
        var spacePrefix = SpacePrefix.none
        if !component("ByteLevel").isEmpty {
            if preNodes.contains(where: { $0["type"]?.string == "ByteLevel" && $0["add_prefix_space"]?.bool == true }) {
                throw TokenizerError.unsupported(path: path, detail: "ByteLevel with add_prefix_space")
            }
            let pre: PreTokenizer
            if preNodes.contains(where: { $0["type"]?.string == "Digits" && $0["individual_digits"]?.bool == true }) {
                pre = .digitsThenGPT2
            } else if preNodes.contains(where: { $0["pattern"]?["Regex"]?.string?.contains(#"\p{N}{1,3}"#) == true }) {
                pre = .llama3
            } else {
                pre = .gpt2
            }
            algorithm = .byteLevel(merges: merges, preTokenizer: pre, ignoreMerges: model["ignore_merges"]?.bool ?? false)
        } else {
            let byteFallback = model["byte_fallback"]?.bool ?? false
            if byteFallback {
                for (i, p) in pieces.enumerated() where types[i] == .normal && byteValue(p) != nil { types[i] = .byte }
            }
            let metaspace = component("Metaspace").first
            if component("Prepend").contains(where: { $0["prepend"]?.string == "▁" }) {
                spacePrefix = .everyRun
            } else if let metaspace {
                // `prepend_scheme`, or before tokenizers 0.14 `add_prefix_space` (= "always")
                switch metaspace["prepend_scheme"]?.string ?? (metaspace["add_prefix_space"]?.bool == false ? "never" : "always") {
                case "first": spacePrefix = .firstRunNotStartingWithSpace
                case "never": spacePrefix = .none
                default: spacePrefix = .everyRunNotStartingWithSpace
                }
            }
            algorithm = .metaspace(merges: merges, byteFallback: byteFallback, splitAtSpaces: metaspace?["split"]?.bool ?? (metaspace != nil))
        }
        return TokenizerDescription(source: path, pieces: pieces, types: types, algorithm: algorithm, unknownID: unk,
                                    addBOS: addsBOS, spacePrefix: spacePrefix)
    }
}

/// Files of a model folder; missing files are nil, unreadable or malformed ones are errors.
private struct ModelFolder {
    let path: String

    func read(_ name: String) throws -> (path: String, file: MappedFile)? {
        let p = path + "/" + name
        var st = stat()
        guard stat(p, &st) == 0 else { return nil }
        do {
            return (p, try MappedFile(path: p))
        } catch let ModelFormatError.cannotOpen(_, reason) {
            throw TokenizerError.cannotRead(path: p, reason: reason)
        } catch ModelFormatError.truncated {
            throw TokenizerError.malformed(path: p, detail: "the file is empty")
        }
    }

    func json(_ name: String) throws -> (path: String, value: JSONValue)? {
        guard let (p, file) = try read(name) else { return nil }
        do {
            return (p, try file.withBytes { try JSONValue.parse($0) })
        } catch let e as JSONParseError {
            throw TokenizerError.malformed(path: p, detail: "invalid JSON at byte \(e.offset): \(e.message)")
        }
    }
}

extension MappedFile {
    fileprivate func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeRawBufferPointer(start: base, count: count)) }
    }
}
