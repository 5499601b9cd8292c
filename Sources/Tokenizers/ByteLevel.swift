/// GPT-2's reversible byte ↔ character mapping: printable Latin-1 bytes stand for themselves,
/// the other 68 bytes map to U+0100… in byte order, so every byte string is a printable string.
enum ByteLevel {
    /// `characters[b]` is the UTF-8 of the character standing for byte `b`.
    static let characters: [[UInt8]] = (0..<256).map { Array(String(Unicode.Scalar(scalar(for: UInt8($0)))!).utf8) }

    /// Inverse map, indexed by scalar value (< 0x144); -1 for scalars that stand for no byte.
    static let bytes: [Int16] = {
        var t = [Int16](repeating: -1, count: 0x144)
        for b in 0..<256 { t[Int(scalar(for: UInt8(b)))] = Int16(b) }
        return t
    }()

    private static func isPrintable(_ b: UInt8) -> Bool {
        (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
    }

    private static func scalar(for b: UInt8) -> UInt32 {
        if isPrintable(b) { return UInt32(b) }
        var n: UInt32 = 0
        for x in 0..<Int(b) where !isPrintable(UInt8(x)) { n += 1 }
        return 0x100 + n
    }

    /// Bytes a byte-level token's text stands for. Characters outside the mapping (not
    /// produced by GPT-2 style vocabularies) are kept as their own UTF-8.
    static func decode(_ text: String) -> [UInt8] {
        var out = [UInt8]()
        for s in text.unicodeScalars {
            let v = Int(s.value)
            if v < bytes.count, bytes[v] >= 0 { out.append(UInt8(bytes[v])) } else { out.append(contentsOf: String(s).utf8) }
        }
        return out
    }
}
