/// Turns generated ids into text one token at a time. A UTF-8 character split across tokens
/// (byte-fallback or byte-level pieces) is held back until its last byte arrives, so every
/// returned string is complete; the concatenation of all returns and `finish()` equals
/// `decode` of the same ids.
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    private var stripLeadingSpace: Bool
    private var pending: [UInt8] = []

    init(tokenizer: Tokenizer, stripLeadingSpace: Bool, renderSpecial: Bool) {
        self.tokenizer = tokenizer
        self.stripLeadingSpace = stripLeadingSpace
        self.renderSpecial = renderSpecial
    }

    /// Adds one token; returns the text it completes (often "", never a partial character).
    public mutating func append(_ id: Int) -> String {
        pending += bytes(of: id)
        let keep = Self.incompleteSuffixLength(pending)
        guard keep < pending.count else { return "" }
        let text = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// The text still held back; bytes that never completed a character become U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The token's bytes, without the sequence's first space if asked to drop it.
    mutating func bytes(of id: Int) -> [UInt8] {
        var b = [UInt8]()
        tokenizer.appendBytes(of: id, renderSpecial: renderSpecial, to: &b)
        if stripLeadingSpace, !b.isEmpty {
            if b[0] == 0x20 { b.removeFirst() }
            stripLeadingSpace = false
        }
        return b
    }

    /// Length of the tail of `b` that begins a UTF-8 character which later bytes could
    /// still complete; 0 if the tail is complete or can never become valid.
    static func incompleteSuffixLength(_ b: [UInt8]) -> Int {
        // A lead byte at most 3 bytes from the end, followed only by continuation bytes.
        var i = b.count - 1
        while i >= 0, b.count - i <= 3, b[i] & 0xC0 == 0x80 { i -= 1 }
        guard i >= 0, b.count - i <= 3 else { return 0 }
        let lead = b[i], have = b.count - i
        let need: Int
        switch lead {
        case 0xC2...0xDF: need = 2
        case 0xE0...0xEF: need = 3
        case 0xF0...0xF4: need = 4
        default: return 0
        }
        guard have < need else { return 0 }
        if have >= 2 { // the second byte's range depends on the lead (no overlongs, surrogates, > U+10FFFF)
            let second = b[i + 1]
            switch lead {
            case 0xE0: if second < 0xA0 { return 0 }
            case 0xED: if second > 0x9F { return 0 }
            case 0xF0: if second < 0x90 { return 0 }
            case 0xF4: if second > 0x8F { return 0 }
            default: break
            }
        }
        return have
    }
}
