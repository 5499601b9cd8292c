/// A model's tokenizer: text ↔ token ids, exactly as llama.cpp tokenizes with the same
/// vocabulary. Plain text never produces control tokens; those come only from
/// `.special` prompt segments, so text typed by a user cannot inject "<|im_start|>".
public final class Tokenizer: Sendable {
    enum Encoder: Sendable {
        case sentencePiece(SentencePieceBPE)
        case byteLevel(ByteLevelBPE)
        case metaspace(MetaspaceBPE)
    }

    public let vocabularySize: Int
    public let bosID: Int?
    public let eosID: Int?
    /// Padding token for batches, if the model names one.
    public let padID: Int?
    /// Whether the model expects a BOS token before a prompt.
    public let addBOSDefault: Bool
    /// Whether the model's tokenizer appends EOS to encoded text (rare; training data).
    public let addEOSDefault: Bool
    /// SentencePiece-style: a "▁" goes before text at the start of a prompt (and after
    /// special tokens), which decoding may strip again.
    public var addSpacePrefix: Bool { spacePrefix != .none }
    /// Tokens that end an assistant turn: EOS plus tokens such as `<|im_end|>` or `<|eot_id|>`.
    public let endOfGenerationIDs: Set<Int>
    /// The model's Jinja chat template, if its files carry one.
    public let chatTemplateSource: String?

    let encoder: Encoder
    let spacePrefix: SpacePrefix
    let pieces: [String]
    let types: [TokenType]
    /// Bytes each token decodes to (empty for control tokens): token i is
    /// `decodedBytes[decodedStarts[i] ..< decodedStarts[i + 1]]`.
    let decodedBytes: [UInt8]
    let decodedStarts: [Int]
    /// Control and user-defined tokens by piece: what `.special` segments may name.
    let specials: ByteStringTable

    static let endOfTurnPieces: Set<String> = [
        "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "</s>", "<|endoftext|>", "<|end_of_text|>", "<end_of_turn>", "<EOT>",
    ]

    init(_ d: TokenizerDescription) throws {
        let n = d.pieces.count
        guard n > 0 else { throw TokenizerError.malformed(path: d.source, detail: "the vocabulary is empty") }
        guard d.types.count == n else {
            throw TokenizerError.malformed(path: d.source, detail: "\(d.types.count) token types for \(n) tokens")
        }
        for (name, id) in [("BOS", d.bosID), ("EOS", d.eosID), ("unknown", d.unknownID), ("padding", d.padID)] + d.extraEndIDs.map({ ("end-of-turn", $0) }) {
            if let id, !(0..<n).contains(id) {
                throw TokenizerError.malformed(path: d.source, detail: "\(name) token id \(id) is outside the vocabulary of \(n) tokens")
            }
        }
        vocabularySize = n
        pieces = d.pieces
        types = d.types
        bosID = d.bosID
        eosID = d.eosID
        padID = d.padID
        addBOSDefault = d.addBOS && d.bosID != nil
        addEOSDefault = d.addEOS && d.eosID != nil
        chatTemplateSource = d.chatTemplate

        let all = ByteStringTable(d.pieces.enumerated().map { (Array($1.utf8), $0) })
        let text = ByteStringTable(d.pieces.enumerated().filter { d.types[$0.offset].isText }.map { (Array($1.utf8), $0) })
        specials = ByteStringTable(d.pieces.enumerated().filter { [.control, .userDefined].contains(d.types[$0.offset]) }.map { (Array($1.utf8), $0) })
        let byteTokens: [Int32] = (0..<256).map { b in Int32(all.value(Self.bytePiece(UInt8(b))) ?? -1) }

        func rules(_ merges: [(String, String)]) -> [(left: Int, right: Int, result: Int)] {
            merges.compactMap { a, b in
                guard let l = text.value(a), let r = text.value(b), let m = text.value(a + b) else { return nil }
                return (l, r, m)
            }
        }
        switch d.algorithm {
        case let .sentencePiece(scores):
            guard scores.count == n else { throw TokenizerError.malformed(path: d.source, detail: "\(scores.count) scores for \(n) tokens") }
            let unk = Int32(d.unknownID ?? -1)
            encoder = .sentencePiece(SentencePieceBPE(pieces: text, scores: scores, byteTokens: byteTokens.map { $0 >= 0 ? $0 : unk }))
            spacePrefix = d.spacePrefix
        case let .byteLevel(merges, pre, ignoreMerges):
            encoder = .byteLevel(ByteLevelBPE(preTokenizer: pre, merges: RankedBPE(rules: rules(merges)),
                                              byteTokens: ByteLevel.characters.map { Int32(text.value($0) ?? -1) },
                                              wholeWords: ignoreMerges ? text : nil))
            spacePrefix = .none
        case let .metaspace(merges, byteFallback, split):
            encoder = .metaspace(MetaspaceBPE(merges: RankedBPE(rules: rules(merges)), characters: text,
                                              byteTokens: byteFallback ? byteTokens : nil, unknownID: d.unknownID, splitAtSpaces: split))
            spacePrefix = d.spacePrefix
        }

        (decodedBytes, decodedStarts) = Self.decodedPieces(d)

        var ends = Set(d.extraEndIDs)
        if let e = d.eosID { ends.insert(e) }
        for (i, p) in d.pieces.enumerated() where Self.endOfTurnPieces.contains(p) && [.control, .userDefined].contains(d.types[i]) {
            ends.insert(i)
        }
        endOfGenerationIDs = ends
    }

    // MARK: encoding

    /// Tokenizes `text` as plain text: special-token spellings in it are ordinary characters.
    public func encode(_ text: String, addBOS: Bool = false) -> [Int] {
        var out = [Int]()
        if addBOS, let b = bosID { out.append(b) }
        encodeText(text, atStart: true, into: &out)
        return out
    }

    /// Tokenizes a prompt of text and special tokens (as rendered by `ChatTemplate`).
    /// Throws `unknownSpecialToken` for a name that is not a control or user-defined token.
    public func encode(segments: [PromptSegment], addBOS: Bool = false) throws -> [Int] {
        var out = [Int]()
        if addBOS, let b = bosID { out.append(b) }
        var pending = ""
        var atStart = true
        for segment in segments {
            switch segment {
            case let .text(t): pending += t
            case let .special(name):
                guard let id = specials.value(name) else { throw TokenizerError.unknownSpecialToken(name) }
                encodeText(pending, atStart: atStart, into: &out)
                pending = ""
                out.append(id)
                atStart = false
            }
        }
        encodeText(pending, atStart: atStart, into: &out)
        return out
    }

    /// Encodes one text run: text at the start of the prompt (`atStart`) or after a special token.
    private func encodeText(_ text: String, atStart: Bool, into out: inout [Int]) {
        guard !text.isEmpty else { return }
        let prefix = switch spacePrefix {
        case .none: false
        case .everyRun: true
        case .everyRunNotStartingWithSpace: !Self.startsWithSpace(text)
        case .firstRunNotStartingWithSpace: atStart && !Self.startsWithSpace(text)
        }
        switch encoder {
        case let .sentencePiece(e): e.encode(escapedText(text, prefix: prefix), into: &out)
        case let .metaspace(e): e.encode(escapedText(text, prefix: prefix), into: &out)
        case let .byteLevel(e): e.encode(text, into: &out)
        }
    }

    /// By bytes: a space followed by a combining mark is not a " " Character.
    private static func startsWithSpace(_ text: String) -> Bool { text.utf8.first == 0x20 || text.utf8.starts(with: [0xE2, 0x96, 0x81]) }

    /// Spaces as "▁" (U+2581), optionally after one "▁".
    private func escapedText(_ text: String, prefix: Bool) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + 16)
        if prefix { out.append(contentsOf: [0xE2, 0x96, 0x81]) }
        for b in text.utf8 {
            if b == 0x20 { out.append(contentsOf: [0xE2, 0x96, 0x81]) } else { out.append(b) }
        }
        return out
    }

    // MARK: decoding

    /// The token's text as stored in the vocabulary ("▁Hello", "Ġworld", "<0x0A>", "<s>").
    public func tokenPiece(_ id: Int) -> String? { pieces.indices.contains(id) ? pieces[id] : nil }

    public func tokenType(_ id: Int) -> TokenType? { types.indices.contains(id) ? types[id] : nil }

    /// The id of a control or user-defined token, by its piece.
    public func specialTokenID(_ piece: String) -> Int? { specials.value(piece) }

    /// Text of `ids`. Control tokens decode to "" unless `renderSpecial`; ids outside the
    /// vocabulary are skipped; invalid UTF-8 becomes U+FFFD. `stripLeadingSpace` removes
    /// the space a SentencePiece tokenizer put before the first word (no effect for
    /// tokenizers that add no space prefix).
    public func decode(_ ids: [Int], stripLeadingSpace: Bool = false, renderSpecial: Bool = false) -> String {
        var d = makeStreamingDecoder(stripLeadingSpace: stripLeadingSpace, renderSpecial: renderSpecial)
        var bytes = [UInt8]()
        for id in ids { bytes += d.bytes(of: id) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes one token stands for, special tokens as their piece (OpenAI's logprob `bytes`).
    public func tokenBytes(_ id: Int) -> [UInt8] {
        var out = [UInt8]()
        appendBytes(of: id, renderSpecial: true, to: &out)
        return out
    }

    public func makeStreamingDecoder(stripLeadingSpace: Bool = false, renderSpecial: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, stripLeadingSpace: stripLeadingSpace && addSpacePrefix, renderSpecial: renderSpecial)
    }

    func appendBytes(of id: Int, renderSpecial: Bool, to out: inout [UInt8]) {
        guard (0..<vocabularySize).contains(id) else { return }
        if renderSpecial, types[id] == .control || types[id] == .unknown {
            out.append(contentsOf: pieces[id].utf8)
        } else {
            out.append(contentsOf: decodedBytes[decodedStarts[id]..<decodedStarts[id + 1]])
        }
    }

    // MARK: helpers

    /// What each token decodes to. Unused tokens decode as text: the SentencePiece merges
    /// can produce them (as in llama.cpp), and text must survive a round trip.
    private static func decodedPieces(_ d: TokenizerDescription) -> (bytes: [UInt8], starts: [Int]) {
        var bytes = [UInt8](), starts = [0]
        for (piece, type) in zip(d.pieces, d.types) {
            switch type {
            case .control, .unknown: break
            case .userDefined: bytes.append(contentsOf: piece.utf8)
            case .byte:
                if let b = byteValue(piece) { bytes.append(b) } else { bytes.append(contentsOf: piece.utf8) }
            case .normal, .unused:
                if case .byteLevel = d.algorithm {
                    bytes.append(contentsOf: ByteLevel.decode(piece))
                } else {
                    bytes.append(contentsOf: piece.utf8)
                    unescapeSpaces(&bytes, from: starts.last!)
                }
            }
            starts.append(bytes.count)
        }
        return (bytes, starts)
    }

    static func bytePiece(_ b: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "<0x\(hex[Int(b >> 4)])\(hex[Int(b & 15)])>"
    }

    /// The byte a `<0xXX>` piece stands for.
    static func byteValue(_ piece: String) -> UInt8? {
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        let u = Array(piece.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E, let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
        return hi << 4 | lo
    }

    /// Replaces each "▁" in `bytes[from...]` with a space.
    private static func unescapeSpaces(_ bytes: inout [UInt8], from start: Int) {
        var r = start, w = start
        while r < bytes.count {
            if r + 2 < bytes.count, bytes[r] == 0xE2, bytes[r + 1] == 0x96, bytes[r + 2] == 0x81 {
                bytes[w] = 0x20
                r += 3
            } else {
                bytes[w] = bytes[r]
                r += 1
            }
            w += 1
        }
        bytes.removeLast(r - w)
    }
}
