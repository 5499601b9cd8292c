import Testing
@testable import Tokenizers

@Suite struct JSONValueTests {
    func parse(_ s: String) throws -> JSONValue { try Array(s.utf8).withUnsafeBytes { try JSONValue.parse($0) } }

    @Test func values() throws {
        let v = try parse(#" {"a": [1, -2.5e1, true, false, null, "x"], "b": {"c": "\"\\\/\b\f\n\r\t\u00e9\ud83e\udd99"}} "#)
        #expect(v["a"]?.array?.count == 6)
        #expect(v["a"]?.array?[0].int == 1 && v["a"]?.array?[1].int == -25 && v["a"]?.array?[2].bool == true)
        #expect(v["b"]?["c"]?.string == "\"\\/\u{8}\u{c}\n\r\té🦙")
        #expect(v["missing"] == nil && v["a"]?["a"] == nil)
        #expect(try parse("[1.5]").array?[0].int == nil)
    }

    /// Members are kept apart by bytes: canonically equivalent keys stay distinct.
    @Test func keysCompareByBytes() throws {
        let v = try parse("{\"é\": 1, \"e\u{301}\": 2}")
        #expect(v.members?.count == 2)
        #expect(v["é"]?.int == 1 && v["e\u{301}"]?.int == 2)
    }

    @Test func loneSurrogatesAndInvalidUTF8BecomeReplacement() throws {
        #expect(try parse(#"["\ud800x", "\udc00", "\ud800\u0041"]"#).array?.map(\.string) == ["\u{FFFD}x", "\u{FFFD}", "\u{FFFD}A"])
        let bytes: [UInt8] = Array("[\"a".utf8) + [0xFF] + Array("\"]".utf8)
        let v = try bytes.withUnsafeBytes { try JSONValue.parse($0) }
        #expect(v.array?[0].string == "a\u{FFFD}")
    }

    @Test func errors() {
        let cases: [(String, JSONParseError)] = [
            ("", JSONParseError(offset: 0, message: "unexpected end of file")),
            ("[1,]", JSONParseError(offset: 3, message: "unexpected character")),
            ("{\"a\" 1}", JSONParseError(offset: 5, message: "expected :")),
            ("\"abc", JSONParseError(offset: 4, message: "unterminated string")),
            ("[1] x", JSONParseError(offset: 4, message: "unexpected text after the document")),
            ("\"\\x\"", JSONParseError(offset: 2, message: "invalid escape")),
            ("\"\\u12\"", JSONParseError(offset: 3, message: "invalid \\u escape")),
            (String(repeating: "[", count: 300), JSONParseError(offset: 256, message: "nested too deeply")),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(text.prefix(20))") { try parse(text) }
        }
    }
}
