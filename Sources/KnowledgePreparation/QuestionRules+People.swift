import Foundation

/// Who holds which role, who founded the organisation and how many people work there, asked the
/// way a reader asks about a company ("Who is the head fermenter?", "Who were the founders of
/// Velloran Kiteworks?", "How many staff does Brindlecote have?") wherever the sentence names them:
/// "including a head fermenter, Ilse Marchbanks, who joined ...", "appointed Odile Varga-Strand,
/// formerly of a bakery chain, as its first managing director", "Twenty-four people now work for
/// the company". Each is answered by the one fact it asks for, in a short sentence of its own.
extension QuestionRules {
    public static func people(for sentence: String, context: SentenceContext) -> [SynthesizedQuestion] {
        guard let words = statementWords(sentence, context) else { return [] }
        let topic = context.topic.map(lowerArticle)
        let owner = topic.map { $0.hasSuffix("s") ? $0 + "'" : $0 + "'s" }
        var out = [SynthesizedQuestion]()
        func add(_ questions: [String], _ answer: String, _ rule: String) {
            for q in questions where !out.contains(where: { $0.question == q }) {
                out.append(SynthesizedQuestion(question: q, answer: answer, rule: rule))
            }
        }
        for (role, person) in roles(in: words) {
            // "the head fermenter" is the company's; "the village schoolmaster" who restored its building is not.
            let ours = SentenceFacts.hasRole(role) ? topic : nil
            let answer = "The \(role)\(ours.map { " of \($0)" } ?? "") is \(person)."
            add(["Who is the \(role)?"] + (ours.map { ["Who is the \(role) of \($0)?"] } ?? []) + (ours == nil ? [] : owner.map { ["Who is \($0) \(role)?"] } ?? []),
                answer, "role")
        }
        if let topic, let founders = founders(in: words) {
            add(["Who founded \(topic)?", "Who started \(topic)?"] + (founders.contains(" and ") ? ["Who were the founders of \(topic)?"] : []),
                "\(capitalise(topic)) was founded by \(founders).", "founders")
        }
        if let topic, let staff = staff(in: words) {
            add(["How many staff does \(topic) have?", "How many people work at \(topic)?", "How many employees does \(topic) have?"],
                "\(capitalise(topic)) has \(staff) staff.", "staff")
        }
        return out
    }

    static let roleDeterminers: Set<String> = ["a", "an", "the", "its", "our", "their", "his", "her"]
    static let kin: Set<String> = ["daughter", "son", "brother", "sister", "mother", "father", "wife", "husband", "granddaughter",
                                   "grandson", "grandfather", "grandmother", "member", "customer", "neighbour", "neighbor"]
    static let roleAdjectives: Set<String> = ["first", "new", "current", "present", "former", "founding"]

    /// (role, person) pairs: "a head fermenter, Ilse Marchbanks", "Priya Holloran-Ede, our production
    /// manager", "appointed Odile Varga-Strand ... as its first managing director".
    static func roles(in words: [String]) -> [(String, String)] {
        var out = [(String, String)]()
        func person(at i: Int) -> (String, Int)? {
            for n in [3, 2] where i + n <= words.count {
                let name = words[i..<(i + n)].map(SentenceFacts.bare).joined(separator: " ")
                if SentenceFacts.isPersonName(name), !words[i..<(i + n - 1)].contains(where: { $0.hasSuffix(",") }) { return (name, i + n - 1) }
            }
            return nil
        }
        // The role's words after a determiner, up to a comma or a preposition: "head fermenter",
        // "first managing director from outside the family" → "managing director".
        func role(from d: Int) -> String? {
            guard d < words.count, roleDeterminers.contains(words[d].lowercased()) else { return nil }
            var phrase = [String]()
            for w in words[(d + 1)...].prefix(5) {
                let b = SentenceFacts.bare(w)
                guard b.first?.isLowercase == true, b.allSatisfy({ $0.isLetter || $0 == "-" }), !prepositions.contains(b), !nonHeads.contains(b) else { break }
                phrase.append(b)
                if w != b { break }
            }
            let kept = phrase.drop { roleAdjectives.contains($0) }
            let after = d + phrase.count + 1 < words.count ? words[d + phrase.count + 1].lowercased() : ""
            guard let head = kept.last, kept.count <= 3, !kin.contains(head),
                  SentenceFacts.roles.contains(head) || ["er", "or", "ist", "ian"].contains(where: head.hasSuffix) else { return nil }
            // "the head of design" is more than "the head".
            if !words[d + phrase.count].hasSuffix(","), after == "of" { return nil }
            return kept.joined(separator: " ")
        }
        for i in words.indices {
            // "a head fermenter, Ilse Marchbanks"
            if words[i].hasSuffix(","), i + 1 < words.count, let (name, _) = person(at: i + 1),
               let d = words[max(0, i - 4)...i].lastIndex(where: { roleDeterminers.contains($0.lowercased()) }), let r = role(from: d),
               SentenceFacts.bare(words[i]) == r.split(separator: " ").last.map(String.init) {
                out.append((r, name))
            }
            // "Priya Holloran-Ede, our production manager," / "appointed Odile Varga-Strand, formerly ..., as its managing director"
            if let (name, end) = person(at: i), i == 0 || !SentenceFacts.isCapitalised(words[i - 1]) {
                if words[end].hasSuffix(","), let r = role(from: end + 1) { out.append((r, name)) }
                if let as_ = words[(end + 1)...].prefix(12).firstIndex(where: { $0.lowercased() == "as" }), let r = role(from: as_ + 1) { out.append((r, name)) }
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.0).inserted }
    }

    /// "founded in 2009 by Imogen Sarrowby and Tobiah Kelleway, two former sailmakers" → the names after "by".
    static func founders(in words: [String]) -> String? {
        guard let f = words.firstIndex(where: { ["founded", "started", "established"].contains($0.lowercased()) }),
              let by = words[f...].prefix(6).firstIndex(where: { $0.lowercased() == "by" }), by + 2 < words.count else { return nil }
        var names = [String]()
        // "by the potters Marguerite Olsson and Kwame Ashdown": the names after their description.
        let first = words[(by + 1)...].prefix(3).firstIndex(where: SentenceFacts.isCapitalised) ?? by + 1
        for w in words[first...] {
            let b = SentenceFacts.bare(w)
            guard SentenceFacts.isCapitalised(b) || b == "and" else { break }
            names.append(b)
            if w.hasSuffix(",") { break }
        }
        while names.last == "and" { names.removeLast() }
        let joined = names.joined(separator: " ")
        guard joined.split(separator: " ").count >= 2, joined.split(separator: " and ").allSatisfy({ SentenceFacts.isPersonName(String($0)) }) else { return nil }
        return joined
    }

    /// "Twenty-four people now work for the company", "employs 38 people", "a staff of 60" → the count.
    static func staff(in words: [String]) -> String? {
        let lower = words.map { SentenceFacts.bare($0).lowercased() }
        let people: Set<String> = ["people", "staff", "employees", "workers"]
        for i in lower.indices.dropLast() where SentenceFacts.isNumber(words[i]) && people.contains(lower[i + 1]) {
            let next = lower[(i + 2)...].drop { hedges.contains($0) }.first
            let before = i > 0 ? lower[i - 1] : ""
            if ["work", "are"].contains(next) || ["employs", "employ", "of"].contains(before) { return lower[i] }
        }
        return nil
    }
}
