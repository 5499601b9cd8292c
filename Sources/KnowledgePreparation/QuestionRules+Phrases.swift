import Foundation

/// Noun phrases out of sentences: subjects, objects, names, counts.
extension QuestionRules {
    static let introWords: Set<String> = ["in", "on", "since", "from", "every", "each", "at", "during", "after", "before", "until",
                                          "by", "under", "for", "today", "currently", "now", "once", "twice", "also", "however", "besides",
                                          "together"]
    static let institutionNouns: Set<String> = ["company", "firm", "business", "museum", "library", "school", "park", "hotel", "city",
                                                "town", "village", "island", "club", "restaurant", "store", "shop", "centre", "center",
                                                "institute", "university", "college", "hospital", "organisation", "organization",
                                                "brand", "device", "product", "policy", "plan", "cafe", "café", "festival", "society",
                                                "foundation", "observatory", "garden", "gardens", "zoo", "theatre", "theater", "lab",
                                                "laboratory", "station", "farm", "bakery", "brewery", "studio", "clinic", "academy",
                                                "machine", "appliance", "charity", "trust", "team", "orchestra", "hall", "market"]
    static let fillers: Set<String> = ["about", "around", "over", "nearly", "almost", "exactly", "roughly", "more", "than", "less",
                                       "fewer", "up", "to", "some", "approximately", "just", "under", "a", "an", "the", "total", "of"]

    /// The noun counted by a number near the start of `words`: "about 9,000 blossoms a day" → "blossoms".
    static func countedNoun(_ words: [String]) -> (String, String)? {
        var i = 0
        while i < min(words.count, 6), fillers.contains(words[i].lowercased()) { i += 1 }
        guard i < words.count, SentenceFacts.isNumber(words[i]), !SentenceFacts.bare(words[i]).hasPrefix("$"), !SentenceFacts.isYear(words[i]) else { return nil }
        // "a 1.7-litre jug" measures the jug; it does not count jugs.
        let number = SentenceFacts.bare(words[i])
        if number.first?.isNumber == true, number.contains("-"), number.contains(where: \.isLetter) { return nil }
        var j = i + 1
        while j < words.count, SentenceFacts.isNumber(words[j]) { j += 1 }
        guard j < words.count, !SentenceFacts.currencies.contains(SentenceFacts.bare(words[j]).lowercased()) else { return nil }
        let noun = SentenceFacts.bare(words[j])
        guard noun.count > 1, noun.allSatisfy({ $0.isLetter || $0 == "-" }), !SentenceFacts.isTime(noun),
              !nonHeads.contains(noun.lowercased()), noun.first?.isLowercase == true else { return nil }
        // "40 grind settings", "12 guest rooms": a singular word before the plural noun it modifies.
        if !isPlural(noun), !words[j].hasSuffix(","), j + 1 < words.count, case let next = SentenceFacts.bare(words[j + 1]),
           next == words[j + 1] || [":", ","].contains(words[j + 1].dropFirst(next.count)),
           next.allSatisfy(\.isLetter), next.first?.isLowercase == true, isPlural(next), !notNouns.contains(next) {
            return (words[i], noun + " " + next)
        }
        return (words[i], noun)
    }

    /// Words ending in "s" after a counted noun that are verbs, not the noun's head: "one ticket costs".
    static let notNouns: Set<String> = ["is", "was", "has", "does", "costs", "takes", "lasts", "weighs", "needs", "uses", "holds",
                                        "makes", "runs", "means", "starts", "opens", "closes", "gets", "pays", "covers", "comes", "goes",
                                        "gives", "keeps", "shows", "sells", "serves", "includes", "contains", "offers", "allows", "always"]

    /// A subject that counts things, without its numbers: "About 28 staff and 60 volunteers" → "staff and volunteers".
    static func countedSubject(_ subject: String) -> String? {
        let words = subject.split(separator: " ").map(String.init)
        if isNumberedName(words) { return nil }
        // "a warranty of two years" measures, it does not count.
        guard words.indices.dropLast().contains(where: { SentenceFacts.isNumber(words[$0]) && !SentenceFacts.isYear(words[$0]) && !SentenceFacts.isNumber(words[$0 + 1])
                  && ($0 == 0 || words[$0 - 1].lowercased() != "of") && ($0 < 2 || !SentenceFacts.isCapitalised(words[$0 - 1])) })
        else { return nil }
        let kept = words.filter { !SentenceFacts.isNumber($0) && !fillers.contains($0.lowercased()) }
        return kept.isEmpty ? nil : kept.joined(separator: " ")
    }

    /// "Settings 8 to 14", "Program 5": things named by their numbers, not counted.
    static func isNumberedName(_ words: [String]) -> Bool {
        words.count >= 2 && words[0].allSatisfy(\.isLetter) && !fillers.contains(words[0].lowercased()) && SentenceFacts.isNumber(words[1])
    }

    /// A predicate's noun phrase up to a comma, relative clause or conjunction: "the chief executive of Quillfeather".
    static func predicateHead(_ predicate: [String]) -> String {
        var head = [String]()
        for w in predicate {
            let b = w.lowercased()
            if ["who", "which", "that", "and", "where", "since", "while", "because", "with"].contains(b) { break }
            head.append(w)
            if w.hasSuffix(",") || w.hasSuffix(";") || head.count >= 10 { break }
        }
        return phrase(head)
    }

    /// An object up to its first comma, preposition or time, at most six words.
    static func objectHead(_ words: [String]) -> String {
        var head = [String]()
        for (i, w) in words.enumerated() {
            let b = SentenceFacts.bare(w).lowercased()
            // "takes on up to 220 workers": a limit, not the object.
            if b == "up", i + 1 < words.count, words[i + 1].lowercased() == "to" { break }
            if ["in", "on", "at", "every", "each", "from", "during", "since", "until", "for", "which", "who", "that", "and", "to",
                "with", "by", "as", "after", "before"].contains(b) || SentenceFacts.isTime(w) { break }
            head.append(w)
            if w.hasSuffix(",") || head.count >= 6 { break }
        }
        return phrase(head)
    }

    /// The noun phrase a ", which ..." clause is about: the last "the ..." phrase or name before the comma.
    static func antecedentPhrase(_ words: [String]) -> String {
        guard let start = words.lastIndex(where: { ["the", "a", "an"].contains($0.lowercased()) }) else {
            let name = words.reversed().prefix { SentenceFacts.isCapitalised($0) }.reversed()
            return phrase(Array(name))
        }
        return phrase(Array(words[start...]))
    }

    /// A capitalised name at the start of a predicate ("the Lanternfish, an underwater robot" → "the Lanternfish").
    static func leadingName(_ predicate: [String]) -> String? {
        var words = predicate[...], article = ""
        if let f = words.first?.lowercased(), f == "the" { article = "the "; words = words.dropFirst() }
        var name = [String]()
        for w in words {
            guard SentenceFacts.isCapitalised(w) else { break }
            let isAbbreviation = DocumentText.abbreviations.contains(String(w.lowercased().dropLast()))
            name.append(isAbbreviation ? w : SentenceFacts.bare(w))
            if w.hasSuffix(",") || (w.hasSuffix(".") && !isAbbreviation) { break }
        }
        guard !name.isEmpty, name.count <= 5 else { return nil }
        return article + name.joined(separator: " ")
    }

    /// A leading "Since 2019", "Every autumn" or "In 2023," is about when, not who: dropped
    /// so that the subject is found (the whole sentence still decides "When" questions).
    static func dropIntro(_ words: [String]) -> [String] {
        guard let first = words.first.map({ SentenceFacts.bare($0).lowercased() }), introWords.contains(first) else { return words }
        if let comma = words.prefix(8).firstIndex(where: { $0.hasSuffix(",") }), words.count - comma > 3 {
            return Array(words[(comma + 1)...])
        }
        if ["also", "today", "currently", "now", "however", "together"].contains(first) { return words.count > 3 ? Array(words[1...]) : words }
        // "In Auto mode the DN-52 holds", "Under test conditions it removes": the subject starts
        // at the article or pronoun whose verb follows with no other article between.
        let openers: Set<String> = ["the", "a", "an", "its", "their", "his", "her", "our", "it", "they", "you", "we", "she", "he"]
        for k in words.indices.dropFirst().prefix(5) where openers.contains(words[k].lowercased()) {
            let rest = Array(words[k...])
            if let (v, _) = verb(in: rest), !(1..<v).contains(where: { openers.contains(rest[$0].lowercased()) && rest[$0 - 1].lowercased() != "of" }) {
                return rest
            }
        }
        var k = 1
        while k < min(words.count, 5),
              !(["the", "a", "an", "its", "their", "his", "her", "our"].contains(words[k].lowercased())
                || (SentenceFacts.isCapitalised(words[k]) && !SentenceFacts.isTime(words[k]))) {
            k += 1
        }
        return words.count - k >= 3 && k < 5 ? Array(words[k...]) : words
    }

    /// "The second product, the Thistle sensor," → "the Thistle sensor": an appositive with a
    /// name is what people ask about (but not "The planetarium, called the Starloft,").
    static func subjectPhrase(_ words: [String]) -> String {
        if let comma = words.firstIndex(where: { $0.hasSuffix(",") }), comma + 1 < words.count {
            let appositive = Array(words[(comma + 1)...])
            let named = naming.contains(appositive[0].lowercased())
            if !named, appositive.contains(where: SentenceFacts.isCapitalised) { return phrase(appositive) }
            return phrase(Array(words[...comma]))
        }
        return phrase(words)
    }

    /// A twin of a question about "the company" (or museum, library, ...) that names the
    /// topic instead: the part of the topic up to that noun ("Larkspur Valley Library"), or
    /// the whole topic when it names no such noun ("Tidewell Ceramics"). Where the document
    /// names its topic in its first sentence ("the Halvard B7"), "the grinder" and a shortened
    /// "the B7" become that name: people ask about the product, not the title.
    static func naming(_ topic: String, name: String?, in q: SynthesizedQuestion) -> SynthesizedQuestion? {
        let words = q.question.split(separator: " ").map(String.init)
        let bareName = name.map { $0.split(separator: " ").drop { ["the", "a", "an"].contains($0.lowercased()) }.map(String.init) } ?? []
        guard !q.question.contains(topic), bareName.isEmpty || !q.question.contains(bareName.joined(separator: " ")) else { return nil }
        // "the grinder" in a document titled "Halvard B7 Burr Grinder" is the topic as well.
        let topicWords = topic.split(separator: " ").map(String.init)
        let head = topicWords.last.map(nounKey)
        if let i = words.indices.dropLast().first(where: { words[$0] == "the" && (institutionNouns.contains(nounKey(words[$0 + 1])) || nounKey(words[$0 + 1]) == head) }) {
            let noun = nounKey(words[i + 1])
            let replacement: String
            if let at = topicWords.firstIndex(where: { $0.lowercased() == noun }) {
                replacement = at == topicWords.count - 1 ? name ?? topic : topicWords[...at].joined(separator: " ")
            } else if topicWords.contains(where: { institutionNouns.contains($0.lowercased()) }) {
                return nil
            } else {
                replacement = name ?? topic
            }
            return renamed(words, i...(i + 1), as: replacement, q)
        }
        // "the B7", "the Volt 7": the end of the name, shortened as documents do after the first mention.
        for n in (1..<max(bareName.count, 1)).reversed() {
            let alias = bareName.suffix(n)
            guard alias.contains(where: { $0.contains(where: \.isLetter) }) else { continue }
            if let i = words.indices.first(where: { i in
                words[i] == "the" && i + n < words.count && zip(alias, words[(i + 1)...(i + n)]).allSatisfy { $0 == SentenceFacts.bare($1).replacingOccurrences(of: "'s", with: "") }
            }), let name {
                return renamed(words, i...(i + n), as: name, q)
            }
        }
        return nil
    }

    /// The question with `range` of its words replaced by `name`, keeping a possessive and trailing punctuation.
    static func renamed(_ words: [String], _ range: ClosedRange<Int>, as name: String, _ q: SynthesizedQuestion) -> SynthesizedQuestion {
        let original = words[range.upperBound]
        let possessive = original.contains("'s") ? "'s" : ""
        let trailing = original.last.map { ",?".contains($0) } == true ? String(original.last!) : ""
        var twin = words
        twin.replaceSubrange(range, with: [name + possessive + trailing])
        return SynthesizedQuestion(question: twin.joined(separator: " "), answer: q.answer, rule: q.rule + "+topic")
    }

    static func nounKey(_ word: String) -> String {
        SentenceFacts.bare(word).lowercased().replacingOccurrences(of: "'s", with: "")
    }

    /// "To pause a program, hold the Start button." → "How do I pause a program?"
    static func howTo(_ words: [String]) -> String? {
        guard words.count > 3, words[0] == "To", let comma = words.prefix(8).firstIndex(where: { $0.hasSuffix(",") }), comma >= 1 else { return nil }
        return "How do I \(phrase(Array(words[1...comma])))?"
    }

    /// What a sentence no rule fits is about: its first name (a run of capitalised words not
    /// just the sentence's first word), else its first "the ..." noun phrase, else the topic.
    static func fallbackSubject(_ words: [String], topic: String?) -> String? {
        var runs = [[String]](), current = [String]()
        for w in words {
            if SentenceFacts.isCapitalised(w) { current.append(SentenceFacts.bare(w)) } else if !current.isEmpty { runs.append(current); current = [] }
            if w.hasSuffix(","), !current.isEmpty { runs.append(current); current = [] }
        }
        if !current.isEmpty { runs.append(current) }
        let openers: Set<String> = ["The", "A", "An", "All", "Every", "This", "These", "Our", "Each", "If", "When", "To", "Please", "Do", "Don't"]
        if let name = runs.first(where: { run in !(run.count == 1 && (words.first.map(SentenceFacts.bare) == run[0] || openers.contains(run[0]))) }) {
            return (openers.contains(name[0]) ? Array(name.dropFirst()) : name).joined(separator: " ")
        }
        if let the = words.firstIndex(where: { $0.lowercased() == "the" }), the + 1 < words.count {
            let np = objectHead(Array(words[(the + 1)...].prefix(3)))
            if !np.isEmpty { return "the " + np }
        }
        return topic
    }

    /// "There is a one-off joining fee of 15 pounds" → "What is the one-off joining fee?", "How much
    /// is the one-off joining fee?"; "There are 14 guest rooms in the west wing" → "How many guest
    /// rooms are there?". Nil when the sentence does not open with "There is/are".
    static func existential(_ words: [String]) -> [(question: String, rule: String)]? {
        guard words.count > 3, words[0] == "There", ["is", "are", "was", "were"].contains(words[1].lowercased()) else { return nil }
        let rest = Array(words[2...])
        if let (_, noun) = countedNoun(rest) {
            return [("How many \(noun) \(words[1].lowercased()) there?", "there-count")]
        }
        guard ["a", "an"].contains(rest[0].lowercased()) else { return [] }
        let np = rest.dropFirst().prefix { w in !["of", "for", "at", "in", "on", "which", "that", "with"].contains(w.lowercased()) && !w.hasSuffix(",") }
        guard !np.isEmpty, np.count <= 4 else { return [] }
        let noun = phrase(np.map(SentenceFacts.bare)).lowercased()
        var out = [("What is the \(noun)?", "there-what")]
        if SentenceFacts.hasMoney(Array(rest.dropFirst(1 + np.count).prefix(4))) { out.append(("How much is the \(noun)?", "there-price")) }
        return out
    }

    /// "What does error code E01 mean?" → "What does error code E01 mean on the KX-40?"; "for"
    /// where the question is about buying or ordering.
    static func asked(_ question: String, about product: String) -> String {
        let lower = question.lowercased()
        let buying = ["cost", "price", "order", "spare", "replacement", "buy", "part number"].contains { lower.contains($0) }
        return String(question.dropLast()) + (buying ? " for " : " on ") + product + "?"
    }

    /// "settings" → "setting", for "Which setting ...?".
    static func singular(_ noun: String) -> String { isPlural(noun) ? lemma(noun) : noun }

    /// "KP-417", "BP-40C", "E02": a part number or code, with a digit and a capital letter.
    static func isCode(_ word: String) -> Bool {
        let b = SentenceFacts.bare(word)
        return b.count >= 2 && b.contains(where: \.isNumber) && b.contains(where: \.isUppercase)
    }

    static func phrase(_ words: [String]) -> String {
        var s = words.joined(separator: " ")
        while let last = s.last, ",;:".contains(last) { s.removeLast() }
        return s
    }

    /// "The newest product" → "the newest product" inside a question.
    static func lowerArticle(_ subject: String) -> String {
        let words = subject.split(separator: " ", maxSplits: 1).map(String.init)
        guard let first = words.first, first.first?.isUppercase == true, first.dropFirst().allSatisfy(\.isLowercase),
              !SentenceFacts.isPersonName(subject), words.count > 1 || !SentenceFacts.nonPersonNames.contains(first.lowercased()) else {
            return subject
        }
        // A common word opening the sentence ("Visitors", "The"), not a name ("Tidewell", "Program 1").
        let common: Set<String> = ["the", "a", "an", "all", "every", "each", "this", "these", "visitors", "members", "children", "books",
                                   "guests", "customers", "users", "students", "residents", "parking", "membership", "fines", "complaints",
                                   "spare", "guided", "overdue", "most", "some", "many", "both", "staff", "employees", "lost", "new",
                                   "extra", "additional", "late", "single", "return", "error", "warning", "fault"]
        // "Cars cost", "Smoking is": a plural or a gerund opening the sentence is a common noun.
        let commonNoun = (first.hasSuffix("s") && !first.hasSuffix("ss")) || (words.count == 1 && first.hasSuffix("ing"))
        return common.contains(first.lowercased()) || commonNoun ? first.lowercased() + subject.dropFirst(first.count) : subject
    }

    static func tidy(_ q: String) -> String {
        var s = q.replacingOccurrences(of: " ,", with: ",").replacingOccurrences(of: ",?", with: "?")
        while s.contains("  ") { s = s.replacingOccurrences(of: "  ", with: " ") }
        return capitalise(s)
    }
}
