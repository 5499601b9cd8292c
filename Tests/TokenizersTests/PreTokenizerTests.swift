import Testing
@testable import Tokenizers

/// The hand-written split scanners against Hugging Face `tokenizers` 0.23 running the
/// regexes themselves (`ByteLevel(use_regex)`, `Digits(individual_digits)`, and `Split` with
/// Llama-3's pattern), on edge cases: runs of spaces before words, line breaks, digits,
/// apostrophes, non-ASCII letters and marks, Unicode spaces, emoji, NUL.
@Suite struct PreTokenizerTests {
    func check(_ pre: PreTokenizer, _ cases: [(String, [String])]) {
        for (text, expected) in cases {
            let utf8 = Array(text.utf8)
            let words = pre.split(text).map { String(decoding: utf8[$0], as: UTF8.self) }
            #expect(words == expected, "\(pre) split of \(String(reflecting: text))")
        }
    }

    @Test func gpt2() { check(.gpt2, Self.gpt2) }
    @Test func digitsThenGPT2() { check(.digitsThenGPT2, Self.digitsThenGPT2) }
    @Test func llama3() { check(.llama3, Self.llama3) }

    @Test func names() {
        #expect(PreTokenizer(ggufName: "gpt-2") == .gpt2)
        #expect(PreTokenizer(ggufName: "smollm") == .digitsThenGPT2)
        #expect(PreTokenizer(ggufName: "llama-bpe") == .llama3)
        #expect(PreTokenizer(ggufName: "no-such-pre") == .gpt2)
    }

    @Test func emptyText() {
        for pre in [PreTokenizer.gpt2, .digitsThenGPT2, .llama3] { #expect(pre.split("").isEmpty) }
    }

    static let gpt2: [(String, [String])] = [
        ("Hello world", ["Hello", " world"]),
        ("   Hello", ["  ", " Hello"]),
        ("Hello   world", ["Hello", "  ", " world"]),
        ("a\n\nb", ["a", "\n", "\n", "b"]),
        ("a \n b", ["a", " \n", " b"]),
        ("line1\r\nline2", ["line", "1", "\r", "\n", "line", "2"]),
        ("\n\n\n", ["\n\n\n"]),
        ("  \n  x", ["  \n ", " x"]),
        ("x  \n", ["x", "  \n"]),
        ("12345 678", ["12345", " 678"]),
        ("a1b22c333", ["a", "1", "b", "22", "c", "333"]),
        ("3.14", ["3", ".", "14"]),
        (" 42", [" 42"]),
        ("１２３", ["１２３"]),
        ("٣٤٥x", ["٣٤٥", "x"]),
        ("½ 7", ["½", " 7"]),
        ("I'm", ["I", "'m"]),
        ("we'VE", ["we", "'", "VE"]),
        ("don't", ["don", "'t"]),
        ("'s", ["'s"]),
        ("'''", ["'''"]),
        ("O'Neil's", ["O", "'", "Neil", "'s"]),
        ("rock'n'roll", ["rock", "'", "n", "'", "roll"]),
        ("I'LL", ["I", "'", "LL"]),
        ("naïve café", ["naïve", " café"]),
        ("Привет мир", ["Привет", " мир"]),
        ("日本語テキスト", ["日本語テキスト"]),
        ("e\u{301}te", ["e", "\u{301}", "te"]),
        ("🙂🙂 ok", ["🙂🙂", " ok"]),
        ("👨\u{200D}👩\u{200D}👧", ["👨\u{200D}👩\u{200D}👧"]),
        ("\tx", ["\t", "x"]),
        ("a\t\tb", ["a", "\t", "\t", "b"]),
        ("a\u{0}b", ["a", "\u{0}", "b"]),
        ("hi  ", ["hi", "  "]),
        ("a\u{A0}b", ["a", "\u{A0}", "b"]),
        ("a\u{3000} b", ["a", "\u{3000}", " b"]),
        ("a\u{2028}b", ["a", "\u{2028}", "b"]),
        ("...!!!", ["...!!!"]),
        (" (x)", [" (", "x", ")"]),
        ("$100", ["$", "100"]),
        ("foo-bar_baz", ["foo", "-", "bar", "_", "baz"]),
        (" ?!\n\nx", [" ?!", "\n", "\n", "x"]),
        ("a  \n\n  b", ["a", "  \n\n ", " b"]),
        (" ", [" "]),
        ("  ", ["  "]),
        ("x '", ["x", " '"]),
        ("\u{85}x", ["\u{85}", "x"]),
    ]
    static let digitsThenGPT2: [(String, [String])] = [
        ("Hello world", ["Hello", " world"]),
        ("   Hello", ["  ", " Hello"]),
        ("Hello   world", ["Hello", "  ", " world"]),
        ("a\n\nb", ["a", "\n", "\n", "b"]),
        ("a \n b", ["a", " \n", " b"]),
        ("line1\r\nline2", ["line", "1", "\r", "\n", "line", "2"]),
        ("\n\n\n", ["\n\n\n"]),
        ("  \n  x", ["  \n ", " x"]),
        ("x  \n", ["x", "  \n"]),
        ("12345 678", ["1", "2", "3", "4", "5", " ", "6", "7", "8"]),
        ("a1b22c333", ["a", "1", "b", "2", "2", "c", "3", "3", "3"]),
        ("3.14", ["3", ".", "1", "4"]),
        (" 42", [" ", "4", "2"]),
        ("１２３", ["１", "２", "３"]),
        ("٣٤٥x", ["٣", "٤", "٥", "x"]),
        ("½ 7", ["½", " ", "7"]),
        ("I'm", ["I", "'m"]),
        ("we'VE", ["we", "'", "VE"]),
        ("don't", ["don", "'t"]),
        ("'s", ["'s"]),
        ("'''", ["'''"]),
        ("O'Neil's", ["O", "'", "Neil", "'s"]),
        ("rock'n'roll", ["rock", "'", "n", "'", "roll"]),
        ("I'LL", ["I", "'", "LL"]),
        ("naïve café", ["naïve", " café"]),
        ("Привет мир", ["Привет", " мир"]),
        ("日本語テキスト", ["日本語テキスト"]),
        ("e\u{301}te", ["e", "\u{301}", "te"]),
        ("🙂🙂 ok", ["🙂🙂", " ok"]),
        ("👨\u{200D}👩\u{200D}👧", ["👨\u{200D}👩\u{200D}👧"]),
        ("\tx", ["\t", "x"]),
        ("a\t\tb", ["a", "\t", "\t", "b"]),
        ("a\u{0}b", ["a", "\u{0}", "b"]),
        ("hi  ", ["hi", "  "]),
        ("a\u{A0}b", ["a", "\u{A0}", "b"]),
        ("a\u{3000} b", ["a", "\u{3000}", " b"]),
        ("a\u{2028}b", ["a", "\u{2028}", "b"]),
        ("...!!!", ["...!!!"]),
        (" (x)", [" (", "x", ")"]),
        ("$100", ["$", "1", "0", "0"]),
        ("foo-bar_baz", ["foo", "-", "bar", "_", "baz"]),
        (" ?!\n\nx", [" ?!", "\n", "\n", "x"]),
        ("a  \n\n  b", ["a", "  \n\n ", " b"]),
        (" ", [" "]),
        ("  ", ["  "]),
        ("x '", ["x", " '"]),
        ("\u{85}x", ["\u{85}", "x"]),
    ]
    static let llama3: [(String, [String])] = [
        ("Hello world", ["Hello", " world"]),
        ("   Hello", ["  ", " Hello"]),
        ("Hello   world", ["Hello", "  ", " world"]),
        ("a\n\nb", ["a", "\n\n", "b"]),
        ("a \n b", ["a", " \n", " b"]),
        ("line1\r\nline2", ["line", "1", "\r\n", "line", "2"]),
        ("\n\n\n", ["\n\n\n"]),
        ("  \n  x", ["  \n", " ", " x"]),
        ("x  \n", ["x", "  \n"]),
        ("12345 678", ["123", "45", " ", "678"]),
        ("a1b22c333", ["a", "1", "b", "22", "c", "333"]),
        ("3.14", ["3", ".", "14"]),
        (" 42", [" ", "42"]),
        ("１２３", ["１２３"]),
        ("٣٤٥x", ["٣٤٥", "x"]),
        ("½ 7", ["½", " ", "7"]),
        ("I'm", ["I", "'m"]),
        ("we'VE", ["we", "'VE"]),
        ("don't", ["don", "'t"]),
        ("'s", ["'s"]),
        ("'''", ["'''"]),
        ("O'Neil's", ["O", "'Neil", "'s"]),
        ("rock'n'roll", ["rock", "'n", "'roll"]),
        ("I'LL", ["I", "'LL"]),
        ("naïve café", ["naïve", " café"]),
        ("Привет мир", ["Привет", " мир"]),
        ("日本語テキスト", ["日本語テキスト"]),
        ("e\u{301}te", ["e", "\u{301}te"]),
        ("🙂🙂 ok", ["🙂🙂", " ok"]),
        ("👨\u{200D}👩\u{200D}👧", ["👨\u{200D}👩\u{200D}👧"]),
        ("\tx", ["\tx"]),
        ("a\t\tb", ["a", "\t", "\tb"]),
        ("a\u{0}b", ["a", "\u{0}b"]),
        ("hi  ", ["hi", "  "]),
        ("a\u{A0}b", ["a", "\u{A0}b"]),
        ("a\u{3000} b", ["a", "\u{3000}", " b"]),
        ("a\u{2028}b", ["a", "\u{2028}b"]),
        ("...!!!", ["...!!!"]),
        (" (x)", [" (", "x", ")"]),
        ("$100", ["$", "100"]),
        ("foo-bar_baz", ["foo", "-bar", "_baz"]),
        (" ?!\n\nx", [" ?!\n\n", "x"]),
        ("a  \n\n  b", ["a", "  \n\n", " ", " b"]),
        (" ", [" "]),
        ("  ", ["  "]),
        ("x '", ["x", " '"]),
        ("\u{85}x", ["\u{85}x"]),
    ]
}
