/// How byte-level BPE cuts text into words before merging (GGUF `tokenizer.ggml.pre`).
/// Hand-written scanners over Unicode scalars that follow llama.cpp's
/// `unicode_regex_split_custom_gpt2/llama3` step by step; they match the regexes below.
enum PreTokenizer: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// `\p{N}` (every digit a word of its own), then `gpt2` on the text between digits
    /// (SmolLM, StarCoder; Hugging Face `Digits(individual_digits)` + `ByteLevel`).
    case digitsThenGPT2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3

    /// llama.cpp's names; unknown names fall back to GPT-2's split.
    init(ggufName: String) {
        switch ggufName {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva": self = .digitsThenGPT2
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral": self = .llama3
        default: self = .gpt2
        }
    }

    /// Words of `text` as ranges of its UTF-8 bytes, in order, covering the whole text.
    func split(_ text: String) -> [Range<Int>] {
        var scalars = [UInt32](), classes = [UInt8](), offsets = [0]
        scalars.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            scalars.append(s.value)
            classes.append(CharacterClass.of(s))
            offsets.append(offsets.last! + UTF8.width(s))
        }
        var words = [Range<Int>]()
        scalars.withUnsafeBufferPointer { cp in
            classes.withUnsafeBufferPointer { cls in
                var scanner = WordScanner(cp: cp, cls: cls)
                switch self {
                case .gpt2: scanner.gpt2(0, cp.count)
                case .llama3: scanner.llama3(0, cp.count)
                case .digitsThenGPT2:
                    var start = 0
                    for i in 0..<cp.count where cls[i] & CharacterClass.number != 0 {
                        if start < i { scanner.gpt2(start, i) }
                        scanner.words.append(i..<i + 1)
                        start = i + 1
                    }
                    if start < cp.count { scanner.gpt2(start, cp.count) }
                }
                words = scanner.words.map { offsets[$0.lowerBound]..<offsets[$0.upperBound] }
            }
        }
        return words
    }
}

/// The Unicode classes the split regexes use, as bits. `present` marks every real scalar,
/// so a lookup past the end of a segment (0) matches no class, not even `[^\s\p{L}\p{N}]`.
enum CharacterClass {
    static let letter: UInt8 = 1, number: UInt8 = 2, whitespace: UInt8 = 4, present: UInt8 = 8

    private static let ascii: [UInt8] = (0..<128).map { c in
        switch c {
        case 0x41...0x5A, 0x61...0x7A: return letter | present
        case 0x30...0x39: return number | present
        case 0x09...0x0D, 0x20: return whitespace | present
        default: return present
        }
    }

    static func of(_ s: Unicode.Scalar) -> UInt8 {
        if s.value < 128 { return ascii[Int(s.value)] }
        let p = s.properties
        if p.isWhitespace { return whitespace | present } // \s is Unicode White_Space
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter | present
        case .decimalNumber, .letterNumber, .otherNumber: return number | present
        default: return present
        }
    }
}

/// Scanner state over one text: scalar values, their classes, and the words found so far
/// (scalar index ranges). Each scan covers the segment `lo..<hi`.
private struct WordScanner {
    let cp: UnsafeBufferPointer<UInt32>
    let cls: UnsafeBufferPointer<UInt8>
    var words: [Range<Int>] = []
    private var hi = 0
    private var wordStart = 0

    init(cp: UnsafeBufferPointer<UInt32>, cls: UnsafeBufferPointer<UInt8>) {
        self.cp = cp
        self.cls = cls
    }

    private func classAt(_ p: Int) -> UInt8 { p < hi ? cls[p] : 0 }
    private func scalarAt(_ p: Int) -> UInt32 { p < hi ? cp[p] : 0xFFFF_FFFF }

    private mutating func add(_ end: Int) {
        if end > wordStart { words.append(wordStart..<end) }
        wordStart = end
    }

    private static let notWord = CharacterClass.whitespace | CharacterClass.letter | CharacterClass.number
    private static let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20, cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

    /// Length of a contraction ('s 't 'm 'd 're 've 'll) starting at `pos`, or 0.
    private func contraction(_ pos: Int, caseInsensitive: Bool) -> Int {
        guard scalarAt(pos) == Self.apostrophe, pos + 1 < hi else { return 0 }
        func lower(_ c: UInt32) -> UInt32 { caseInsensitive && (0x41...0x5A).contains(c) ? c + 0x20 : c }
        let a = lower(scalarAt(pos + 1))
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 } // s t m d
        guard pos + 2 < hi else { return 0 }
        let b = lower(scalarAt(pos + 2))
        if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return 3 } // re ve ll
        return 0
    }

    mutating func gpt2(_ lo: Int, _ hi: Int) {
        self.hi = hi
        wordStart = lo
        var pos = lo
        while pos < hi {
            let c = cp[pos], f = cls[pos]
            let n = contraction(pos, caseInsensitive: false)
            if n > 0 {
                pos += n
                add(pos)
                continue
            }
            let f2 = c == Self.space ? classAt(pos + 1) : f
            if f2 & CharacterClass.letter != 0 { // ` ?\p{L}+`
                if c == Self.space { pos += 1 }
                while classAt(pos) & CharacterClass.letter != 0 { pos += 1 }
                add(pos)
                continue
            }
            if f2 & CharacterClass.number != 0 { // ` ?\p{N}+`
                if c == Self.space { pos += 1 }
                while classAt(pos) & CharacterClass.number != 0 { pos += 1 }
                add(pos)
                continue
            }
            if f2 & Self.notWord == 0, f2 != 0 { // ` ?[^\s\p{L}\p{N}]+`
                if c == Self.space { pos += 1 }
                while classAt(pos) & Self.notWord == 0, classAt(pos) != 0 { pos += 1 }
                add(pos)
                continue
            }
            pos = whitespace(pos)
        }
    }

    /// `\s+(?!\S)|\s+` at `pos`, or a single scalar if `pos` is not whitespace.
    private mutating func whitespace(_ start: Int) -> Int {
        var pos = start
        var n = 0
        while classAt(pos + n) & CharacterClass.whitespace != 0 { n += 1 }
        if n > 1, pos + n < hi {
            pos += n - 1 // leave the last space to prefix the next word
        } else {
            pos += max(n, 1)
        }
        add(pos)
        return pos
    }

    mutating func llama3(_ lo: Int, _ hi: Int) {
        self.hi = hi
        wordStart = lo
        var pos = lo
        while pos < hi {
            let c = cp[pos], f = cls[pos]
            let n = contraction(pos, caseInsensitive: true)
            if n > 0 {
                pos += n
                add(pos)
                continue
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if c != Self.cr, c != Self.lf, f & CharacterClass.number == 0,
               (f | classAt(pos + 1)) & CharacterClass.letter != 0 {
                pos += 1
                while classAt(pos) & CharacterClass.letter != 0 { pos += 1 }
                add(pos)
                continue
            }
            // \p{N}{1,3}
            if f & CharacterClass.number != 0 {
                var runStart = pos
                while classAt(pos) & CharacterClass.number != 0 {
                    pos += 1
                    if pos - runStart >= 3 {
                        add(pos)
                        runStart = pos
                    }
                }
                add(pos)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            var f2 = c == Self.space ? classAt(pos + 1) : f
            if f2 & Self.notWord == 0, f != 0 {
                if c == Self.space { pos += 1 }
                while f2 & Self.notWord == 0, f2 != 0 {
                    pos += 1
                    f2 = classAt(pos)
                }
                while scalarAt(pos) == Self.cr || scalarAt(pos) == Self.lf { pos += 1 }
                add(pos)
                continue
            }
            // \s*[\r\n]+ : through the last line break of the whitespace run
            var n2 = 0
            var afterLastBreak = 0
            while classAt(pos + n2) & CharacterClass.whitespace != 0 {
                if scalarAt(pos + n2) == Self.cr || scalarAt(pos + n2) == Self.lf { afterLastBreak = pos + n2 + 1 }
                n2 += 1
            }
            if afterLastBreak > 0 {
                pos = afterLastBreak
                add(pos)
                continue
            }
            pos = whitespace(pos)
        }
    }
}
