import Foundation

/// Asides that split a subject from its verb, which the question rules would otherwise read as
/// part of the subject or miss the verb behind: "The library, which is housed in the old bus
/// depot, is open on Tuesdays", "Under test conditions (30 °C, 80% humidity) it removes 20
/// litres a day", "New members also pay a deposit of £20". Questions are made of the sentence
/// without them; the answer stays the whole sentence.
extension QuestionRules {
    /// Adverbs that never change which question a sentence answers.
    static let prepositions: Set<String> = ["on", "in", "at", "to", "of", "for", "with", "from", "by", "into", "onto", "under", "over",
                                            "behind", "near", "after", "before", "than", "about", "through", "during"]
    static let hedges: Set<String> = ["also", "only", "usually", "always", "normally", "generally", "typically", "still", "then",
                                      "often", "mostly", "currently", "now"]

    /// The words of a statement, its pronoun resolved, without its closing punctuation and asides;
    /// nil for a question.
    static func statementWords(_ sentence: String, _ context: SentenceContext) -> [String]? {
        var body = resolvePronoun(sentence.trimmingCharacters(in: .whitespaces), context)
        guard !body.hasSuffix("?") else { return nil }
        while let last = body.last, ".!;:".contains(last) { body.removeLast() }
        return withoutAsides(body.split(separator: " ").map(String.init)).words
    }

    /// `words` without parenthesised remarks, without a relative clause between the subject and
    /// its verb, and without hedging adverbs after the first word; and that relative clause as a
    /// sentence of its own ("The library is housed in the old bus depot"), if there was one.
    static func withoutAsides(_ words: [String]) -> (words: [String], relative: [String]?) {
        var out = [String]()
        var depth = 0
        for w in words {
            let opens = w.filter { $0 == "(" }.count, closes = w.filter { $0 == ")" }.count
            if depth == 0, opens == 0 {
                out.append(w)
            } else if depth + opens - closes <= 0, let last = w.lastIndex(of: ")") {
                // "depot)," gives its trailing comma back to the word before the remark.
                let tail = w[w.index(after: last)...]
                if !tail.isEmpty, let previous = out.popLast() { out.append(previous + tail) }
            }
            depth = max(0, depth + opens - closes)
        }
        out = out.enumerated().filter { i, w in i == 0 || !hedges.contains(w.lowercased()) }.map(\.element)
        guard let open = out.indices.dropFirst().first(where: { out[$0 - 1].hasSuffix(",") && ["which", "who", "where"].contains(out[$0].lowercased()) }),
              open <= 8, verb(in: Array(out[..<open])) == nil,
              let close = out[open...].firstIndex(where: { $0.hasSuffix(",") }), close + 1 < out.count
        else { return (out, nil) }
        var subject = Array(out[..<open])
        subject[subject.count - 1].removeLast()
        var clause = Array(out[(open + 1)...close])
        clause[clause.count - 1].removeLast()
        let relative = out[open].lowercased() == "where" ? nil : subject + clause
        return (subject + out[(close + 1)...], relative)
    }

    /// The situation a sentence opens with ("Before storing the unit for the summer, drain the
    /// tank", "Once a tool is three weeks overdue it is treated as lost"), in the reader's words
    /// ("before storing the unit for the summer", "if I hear ..."), and the main clause after it.
    /// The clause ends at its comma or, without one, at the first article or pronoun after its verb.
    static func situation(_ words: [String]) -> (clause: String, main: [String])? {
        guard let first = words.first.map({ SentenceFacts.bare($0).lowercased() }),
              ["before", "after", "if", "when", "once", "while", "whenever"].contains(first) else { return nil }
        // Without a comma (or before it: "Once a tool is three weeks overdue it is treated as lost,
        // and ..."), the main clause starts at the first article or pronoun after the clause's verb
        // that does not follow a preposition.
        let openers: Set<String> = ["the", "a", "an", "it", "they", "you", "we", "she", "he", "this"]
        let comma = words.prefix(14).firstIndex { $0.hasSuffix(",") }
        let verbAt = verb(in: Array(words.dropFirst())).map { $0.0 + 1 }
        let opener = verbAt.flatMap { v in
            words.indices.dropFirst(v + 1).prefix(10).first { openers.contains(words[$0].lowercased()) && !prepositions.contains(words[$0 - 1].lowercased()) }
        }
        guard let end = [comma, opener.map { $0 - 1 }].compactMap({ $0 }).min() else { return nil }
        guard end >= 2, end + 3 < words.count else { return nil }
        let reader: [String: String] = ["you": "I", "your": "my", "yours": "mine", "you're": "I'm", "yourself": "myself"]
        let clause = words[...end].enumerated().map { i, w in
            let bare = SentenceFacts.bare(w)
            return i == 0 ? bare.lowercased() : reader[bare.lowercased()] ?? bare
        }
        var main = Array(words[(end + 1)...])
        // "Once a tool is ... overdue it is treated as lost": "it" is the clause's subject.
        if let v = verbAt, v <= 4, v < end, ["it", "they"].contains(main[0].lowercased()) {
            let subject = words[1..<v].map { $0.lowercased() == "a" || $0.lowercased() == "an" ? "the" : $0 }
            main = subject + main.dropFirst()
        }
        return (clause.joined(separator: " "), main)
    }

    /// "Holding the TIMER button for three seconds locks the control panel" → "How do I lock the
    /// control panel?" and "What does holding the TIMER button for three seconds do?".
    static func gerund(_ words: [String]) -> [String]? {
        guard let first = words.first, first.count > 5, first.hasSuffix("ing"), SentenceFacts.isCapitalised(first),
              let (k, kind) = verb(in: words), kind == .present, k + 1 < words.count else { return nil }
        let does = lemma(SentenceFacts.bare(words[k]).lowercased())
        return ["How do I \(does) \(actionPhrase(words[(k + 1)...]))?",
                "What does \(first.lowercased()) \(phrase(Array(words[1..<k]))) do?"]
    }
}
