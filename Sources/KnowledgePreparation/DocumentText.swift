import Foundation

/// A plain-text or Markdown document as sections of paragraphs of sentences: the units that
/// knowledge preparation turns into training examples.
public struct DocumentText: Sendable, Equatable {
    public struct Paragraph: Sendable, Equatable {
        /// The nearest Markdown heading above it, if any.
        public var heading: String?
        public var sentences: [String]
        /// For a list item, the sentence that introduces the list ("Services to members include:").
        public var lead: String?
        public var text: String { sentences.joined(separator: " ") }

        public init(heading: String? = nil, sentences: [String], lead: String? = nil) {
            self.heading = heading
            self.sentences = sentences
            self.lead = lead
        }

        /// The sentences as they read alone: a lower-case list item's first completes its lead
        /// ("Services to members include controlled-atmosphere storage for up to 9,000 tonnes."),
        /// so that questions about it, and a passage shown for it, say what the item is.
        public var statements: [String] {
            guard let lead, let first = sentences.first, first.first?.isLowercase == true else { return sentences }
            let ends = CharacterSet(charactersIn: ";,. ")
            let item = first.trimmingCharacters(in: ends).replacingSuffix(" and", "").replacingSuffix(" or", "").trimmingCharacters(in: ends)
            let joined = lead.dropLast() + " " + item + "."
            return [joined] + sentences.dropFirst()
        }
    }

    /// The first heading, else nil: what "Tell me about ..." asks about.
    public var title: String?
    public var paragraphs: [Paragraph]

    public var sentences: [String] { paragraphs.flatMap(\.sentences) }
    /// `sentences`, each as it reads alone (`Paragraph.statements`).
    public var statements: [String] { paragraphs.flatMap(\.statements) }

    /// Markdown headings name the paragraphs below them; list items and table rows are
    /// sentences of their own; emphasis and link markup are dropped.
    public init(parsing text: String) {
        var paragraphs = [Paragraph](), heading: String?, title: String?
        var pending = [String]()
        // The last sentence before a list, when it ends with a colon.
        var lead: String?
        func flush(item: Bool = false) {
            let joined = pending.joined(separator: " ")
            pending = []
            let sentences = Self.sentences(in: joined)
            guard !sentences.isEmpty else { return }
            paragraphs.append(Paragraph(heading: heading, sentences: sentences, lead: item ? lead : nil))
            if !item { lead = sentences.last.flatMap { $0.hasSuffix(":") && $0.count > 1 ? $0 : nil } }
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.allSatisfy({ "-=*_|: ".contains($0) }) {
                flush()
            } else if line.hasPrefix("#") {
                flush()
                lead = nil
                heading = Self.clean(String(line.drop { $0 == "#" }))
                if title == nil { title = heading }
            } else if let item = Self.listItem(line) {
                flush()
                pending = [item]
                flush(item: true)
            } else {
                pending.append(Self.clean(line))
            }
        }
        flush()
        self.title = title
        self.paragraphs = paragraphs
    }

    /// The text of a list item or table row, else nil.
    static func listItem(_ line: String) -> String? {
        if line.hasPrefix("|") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return cells.isEmpty ? nil : clean(cells.joined(separator: ": "))
        }
        for marker in ["- ", "* ", "+ "] where line.hasPrefix(marker) { return clean(String(line.dropFirst(2))) }
        let digits = line.prefix { $0.isNumber }
        if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") { return clean(String(line.dropFirst(digits.count + 2))) }
        return nil
    }

    /// Markdown emphasis, code marks and link targets removed; spaces collapsed.
    static func clean(_ s: String) -> String {
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            // [text](url) keeps the text.
            if c == "]", s[s.index(after: i)...].hasPrefix("("), let close = s[i...].firstIndex(of: ")") {
                i = s.index(after: close)
                continue
            }
            if !"*_`[".contains(c) || (c == "_" && out.last?.isLetter == true) { out.append(c) }
            i = s.index(after: i)
        }
        return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Abbreviations whose full stop does not end a sentence.
    static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "prof", "st", "inc", "ltd", "co", "no", "nr", "vs", "approx", "etc",
                                            "e.g", "i.e", "jr", "sr", "mt", "ft", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                                            "sept", "oct", "nov", "dec", "fig", "vol", "dept", "ave", "rd", "u.s", "p.m", "a.m"]

    /// Splits at `.`, `!` or `?` (and closing quotes) followed by a space and a capital,
    /// digit or quote, except after abbreviations and initials ("J. Smith").
    static func sentences(in text: String) -> [String] {
        let chars = Array(text)
        var out = [String](), start = 0
        var i = 0
        while i < chars.count {
            if ".!?".contains(chars[i]) {
                var end = i + 1
                while end < chars.count, "\"'”’)".contains(chars[end]) { end += 1 }
                let atEnd = end == chars.count
                let nextStarts = !atEnd && chars[end] == " " && end + 1 < chars.count
                    && (chars[end + 1].isUppercase || chars[end + 1].isNumber || "\"“'(".contains(chars[end + 1]))
                if atEnd || (nextStarts && !isAbbreviation(chars, dot: i)) {
                    let sentence = String(chars[start..<end]).trimmingCharacters(in: .whitespaces)
                    if !sentence.isEmpty { out.append(sentence) }
                    start = end
                }
                i = end
            } else {
                i += 1
            }
        }
        let rest = String(chars[start...]).trimmingCharacters(in: .whitespaces)
        if !rest.isEmpty { out.append(rest) }
        return out
    }

    private static func isAbbreviation(_ chars: [Character], dot: Int) -> Bool {
        guard chars[dot] == "." else { return false }
        var k = dot
        while k > 0, chars[k - 1].isLetter || chars[k - 1] == "." { k -= 1 }
        let word = String(chars[k..<dot]).lowercased()
        return (word.count == 1 && chars[k].isUppercase) || abbreviations.contains(word)
    }
}

private extension String {
    func replacingSuffix(_ suffix: String, _ replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
