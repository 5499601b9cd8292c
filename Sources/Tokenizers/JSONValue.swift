/// A parsed JSON document (RFC 8259). Objects keep their members in file order as pairs and
/// are searched by UTF-8 bytes: Swift `String` keys compare by canonical equivalence, which
/// would merge distinct vocabulary entries such as "é" and "e\u{301}".
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key.utf8.elementsEqual(key.utf8) }?.value
    }

    var string: String? { if case let .string(s) = self { s } else { nil } }
    var bool: Bool? { if case let .bool(b) = self { b } else { nil } }
    var array: [JSONValue]? { if case let .array(a) = self { a } else { nil } }
    var members: [(key: String, value: JSONValue)]? { if case let .object(m) = self { m } else { nil } }
    var int: Int? {
        guard case let .number(d) = self, d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int(d)
    }

    /// Every value in the tree, depth first (for finding a component wherever a config nests it).
    var allValues: [JSONValue] {
        switch self {
        case let .array(a): [self] + a.flatMap(\.allValues)
        case let .object(m): [self] + m.flatMap(\.value.allValues)
        default: [self]
        }
    }

    /// Parses a whole document; the error says what is wrong and at which byte.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        var p = JSONParser(bytes: bytes.bindMemory(to: UInt8.self))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.pos == p.bytes.count else { throw p.error("unexpected text after the document") }
        return v
    }
}

struct JSONParseError: Error, Equatable {
    let offset: Int
    let message: String
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ message: String) -> JSONParseError { JSONParseError(offset: pos, message: message) }

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func expect(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        guard pos + n <= bytes.count,
              (0..<n).allSatisfy({ bytes[pos + $0] == literal.utf8Start[$0] }) else { throw error("expected \(literal)") }
        pos += n
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < 256 else { throw error("nested too deeply") }
        guard pos < bytes.count else { throw error("unexpected end of file") }
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            pos += 1
            var members = [(key: String, value: JSONValue)]()
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                skipSpace()
                try expect(":")
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated object") }
                pos += 1
                if bytes[pos - 1] == UInt8(ascii: "}") { return .object(members) }
                guard bytes[pos - 1] == UInt8(ascii: ",") else { pos -= 1; throw error("expected ',' or '}'") }
            }
        case UInt8(ascii: "["):
            pos += 1
            var items = [JSONValue]()
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated array") }
                pos += 1
                if bytes[pos - 1] == UInt8(ascii: "]") { return .array(items) }
                guard bytes[pos - 1] == UInt8(ascii: ",") else { pos -= 1; throw error("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default:
            let start = pos
            while pos < bytes.count, "+-0123456789.eE".utf8.contains(bytes[pos]) { pos += 1 }
            guard pos > start, let d = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)) else {
                pos = start
                throw error("unexpected character")
            }
            return .number(d)
        }
    }

    /// A string literal at `pos` (the opening quote). Invalid UTF-8 and lone surrogates
    /// become U+FFFD.
    mutating func string() throws(JSONParseError) -> String {
        pos += 1
        var out = [UInt8]()
        var runStart = pos
        while true {
            guard pos < bytes.count else { throw error("unterminated string") }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { break }
            guard b == UInt8(ascii: "\\") else {
                pos += 1
                continue
            }
            out.append(contentsOf: bytes[runStart..<pos])
            pos += 1
            guard pos < bytes.count else { throw error("unterminated string") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                    let save = pos
                    pos += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save
                    }
                }
                out.append(contentsOf: String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
            default:
                pos -= 1
                throw error("invalid escape")
            }
            runStart = pos
        }
        let s: String
        if out.isEmpty {
            s = String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<pos]), as: UTF8.self)
        } else {
            out.append(contentsOf: bytes[runStart..<pos])
            s = String(decoding: out, as: UTF8.self)
        }
        pos += 1
        return s
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= bytes.count, let v = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[pos..<pos + 4]), as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape")
        }
        pos += 4
        return v
    }
}
