import Foundation

/// "What does the document say about the boat access?": a sentence keyed on the common noun
/// phrases it holds, not only on its subject and names. An adapter trained on the other rules
/// answered its own training questions (77 of 80 on a policy it had learnt) but, asked in other
/// words ("When will my boat access be suspended if I still haven't paid?"), answered with another
/// sentence that shared a word with the question. Noun phrases are found without parsing: a
/// determiner, then up to four words up to a function word, number or punctuation.
extension QuestionRules {
    static let determiners: Set<String> = ["the", "a", "an", "its", "their", "your", "our", "his", "her", "any", "each", "every"]
    /// Words that end a noun phrase: prepositions, verbs of being and having, modals, joiners, relatives.
    static let phraseEnds: Set<String> = prepositions.union(copulas).union(auxiliaries).union(modals).union(pronouns)
        .union(["and", "or", "but", "which", "who", "whom", "whose", "where", "when", "while", "as", "if", "be", "been", "not", "up", "per",
                "until", "unless", "because", "since", "so", "that", "than", "do", "does", "did"])
    /// Participles that do not end in "-ed": "their locker access withdrawn".
    static let participles = Set(irregularPast.keys).union(["withdrawn", "given", "taken", "written", "chosen", "known", "shown", "drawn",
                                                           "grown", "thrown", "driven", "broken", "done", "seen", "found", "told", "lost", "begun"])
    /// Words too general to lead to one sentence on their own ("the day"; "the membership year" does).
    static let generalHeads: Set<String> = ["day", "days", "time", "times", "year", "years", "month", "months", "week", "weeks", "way",
                                            "end", "rest", "start", "first", "last", "number", "same", "other", "others", "one", "ones",
                                            "part", "lot", "top", "side", "hour", "hours", "minute", "minutes", "morning", "evening",
                                            "document", "policy", "company", "manual", "page"]

    /// At most `limit` questions, each answered with the sentence (its pronoun resolved).
    public static func keyPhrases(for sentence: String, context: SentenceContext, limit: Int = 3) -> [SynthesizedQuestion] {
        let answer = resolvePronoun(sentence.trimmingCharacters(in: .whitespaces), context)
        guard !answer.hasSuffix("?") else { return [] }
        let words = answer.split(separator: " ").map(String.init)
        var out = [SynthesizedQuestion]()
        for phrase in nounPhrases(in: words) where out.count < limit {
            let q = "What does the document say about the \(phrase)?"
            if !out.contains(where: { $0.question == q }) { out.append(SynthesizedQuestion(question: q, answer: answer, rule: "key-phrase")) }
        }
        return out
    }

    /// The words after each determiner up to the phrase's end, lower-case and without the
    /// determiner: "their boat access suspended until" → "boat access" (a participle or adverb
    /// does not end a phrase). Phrases that run into a name (`named` asks those) or a number are left out.
    static func nounPhrases(in words: [String]) -> [String] {
        var out = [String]()
        for i in words.indices where determiners.contains(words[i].lowercased()) && !words[i].contains(where: { ",;:.".contains($0) }) {
            var phrase = [String]()
            var partOfName = false
            for w in words[(i + 1)...].prefix(4) {
                let b = SentenceFacts.bare(w), lower = b.lowercased()
                // A capital or a digit next: the phrase runs into a name or a measure ("the
                // compulsory six-session Learn to Row course"), which other rules ask about.
                if b.first?.isUppercase == true || b.contains(where: \.isNumber) { partOfName = true; break }
                guard !b.isEmpty, !phraseEnds.contains(lower), b.allSatisfy({ $0.isLetter || $0 == "-" }),
                      !baseVerbs.contains(lower), !(lower.hasSuffix("s") && baseVerbs.contains(String(lower.dropLast()))) else { break }
                phrase.append(b)
                if b != w { break } // punctuation after it ends the phrase
            }
            if partOfName { continue }
            while let last = phrase.last, last.hasSuffix("ed") || last.hasSuffix("ly") || participles.contains(last) { phrase.removeLast() }
            guard let head = phrase.last, head.count >= 3, !phrase.allSatisfy(generalHeads.contains), !SentenceFacts.isUnit(head),
                  !SentenceFacts.isNumber(phrase[0]) else { continue }
            let text = phrase.joined(separator: " ")
            if !out.contains(text) { out.append(text) }
        }
        return out
    }
}
