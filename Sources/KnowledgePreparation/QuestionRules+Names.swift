import Foundation

/// Questions keyed on what a sentence names, whatever its grammar: its names and codes,
/// the price beside a name, its years, phone numbers and e-mail addresses. Measured on six
/// documents the rules had not seen: the grammatical rules missed sentences like "Beginners ...
/// usually start with the Gullwing Trainer (£89)", and asked "What's the price of the Gullwing
/// Trainer?" the adapter answered with the one sentence it had learnt a price from. A question
/// that names the thing leads the model to the sentence that holds it.
extension QuestionRules {
    public static func named(for sentence: String, context: SentenceContext) -> [SynthesizedQuestion] {
        let answer = resolvePronoun(sentence.trimmingCharacters(in: .whitespaces), context)
        guard !answer.hasSuffix("?") else { return [] }
        let words = answer.split(separator: " ").map(String.init)
        guard words.count >= 4 else { return [] }
        let own = [context.topic, context.name].compactMap { $0?.lowercased() }
        var out = [SynthesizedQuestion]()
        func add(_ q: String, _ rule: String, answer: String = answer) {
            if !out.contains(where: { $0.question == q }) { out.append(SynthesizedQuestion(question: q, answer: answer, rule: rule)) }
        }
        let prices = words.indices.filter { SentenceFacts.hasMoney([words[$0]]) && words[$0].contains(where: \.isNumber) || isCurrency(after: $0, words) }
        let found = names(in: words)
        // A price belongs to the first name of its clause ("Seaweed Kimchi, made with dulse from the
        // Calder coast, costs £7.25"), else of the clause before ("Ember Kraut ...; a jar retails at £6.50").
        var priced = [String: Int]()
        let starts = clauseStarts(words)
        // "A single adult ticket to Mullagh costs 12 pounds": the name ends the priced thing, not is it.
        func endsSubject(_ range: ClosedRange<Int>) -> Bool {
            let before = range.lowerBound - (range.lowerBound > 0 && words[range.lowerBound - 1].lowercased() == "the" ? 2 : 1), next = range.upperBound + 1
            guard before >= 0, next < words.count else { return false }
            return ["to", "for", "of", "from", "at", "in", "on", "with"].contains(words[before].lowercased())
                && (copulas.contains(words[next]) || isPresentVerb(words[next]))
        }
        for p in prices {
            for start in starts.filter({ $0 < p }).reversed() {
                if let (range, name) = found.first(where: { $0.0.lowerBound >= start && $0.0.upperBound < p }) {
                    if priced[name] == nil, !endsSubject(range) { priced[name] = p }
                    break
                }
            }
        }
        for (range, name) in found.prefix(5) where !own.contains(where: { $0.contains(name.lowercased()) }) {
            let code = !name.contains(" ") && isCode(name)
            let person = SentenceFacts.isPersonName(name) && isPerson(at: range, words)
            let the = range.lowerBound > 0 && words[range.lowerBound - 1].lowercased() == "the" ? "the " + name : name
            if person {
                add("Who is \(name)?", "name-person")
            } else if code {
                add("What is \(name)?", "name-code")
            }
            add("What does the document say about \(the)?", "name")
            if let p = priced[name], !person {
                // Answered with the price alone: "The Marrowtail costs £42." Two products priced in one
                // sentence taught the adapter to answer either.
                let cost = capitalise(the) + " costs " + price(at: p, words) + "."
                add("How much is \(the)?", "name-price", answer: cost)
                add("What is the price of \(the)?", "name-price", answer: cost)
            }
        }
        for year in Set(words.map(SentenceFacts.bare).filter { SentenceFacts.isYear($0) && !$0.hasSuffix("s") }).sorted() {
            add("What happened in \(year)?", "year")
        }
        if words.contains(where: { $0.contains("@") && $0.contains(".") }) { add("What is the e-mail address?", "email") }
        if phone(in: words) { add("What phone number do I call?", "phone") }
        return out
    }

    /// A clause of the sentence with one of its facts replaced by the question word that asks for
    /// it, in place: "Seaweed Kimchi, made with dulse gathered on the Calder coast, costs how
    /// much?", "Brindlecote Fermentary began in what year in a converted dairy ...?". No parsing,
    /// so it works where the grammatical rules do not, and keeps the words a reader's question shares
    /// with the sentence. At most `limit` per sentence: prices, counts, years, then names. They
    /// repeat the sentence in the question, the longest examples there are: beyond the first of a
    /// sentence they were 17 % of the 29 fixtures' question and view characters.
    public static func inPlace(for sentence: String, context: SentenceContext, limit: Int = 1) -> [SynthesizedQuestion] {
        let answer = resolvePronoun(sentence.trimmingCharacters(in: .whitespaces), context)
        guard !answer.hasSuffix("?") else { return [] }
        var words = answer.split(separator: " ").map(String.init)
        while let last = words.last, let end = last.last, ".!;:".contains(end) { words[words.count - 1].removeLast(); if words[words.count - 1].isEmpty { words.removeLast() } }
        guard words.count >= 5 else { return [] }
        let starts = clauseStarts(words)
        let found = names(in: words)
        var spans = [(ClosedRange<Int>, String)]()
        for i in words.indices {
            let w = SentenceFacts.bare(words[i])
            if SentenceFacts.hasMoney([words[i]]) && w.contains(where: \.isNumber) { spans.append((i...i, "how much")) }
            else if isCurrency(after: i, words) { spans.append((i...(i + 1), "how much")) }
            else if SentenceFacts.isYear(w), !w.hasSuffix("s") {
                let prep = i > 0 && ["in", "since", "by"].contains(words[i - 1].lowercased())
                spans.append((prep ? (i - 1)...i : i...i, prep ? "\(words[i - 1].lowercased()) what year" : "what year"))
            } else if SentenceFacts.isNumber(words[i]), !SentenceFacts.isTime(words[i]), i + 1 < words.count, !words[i].hasSuffix(","),
                      !w.contains("%"), !(w.contains("-") && w.contains(where: \.isLetter) && w.first?.isNumber == true),
                      SentenceFacts.bare(words[i + 1]).first?.isLetter == true, !SentenceFacts.isNumber(words[i + 1]) {
                spans.append((i...(i + 1), "how many \(SentenceFacts.bare(words[i + 1]))"))
            }
        }
        for (range, name) in found where !spans.contains(where: { $0.0.overlaps(range) }) {
            let previous = range.lowerBound > 0 ? words[range.lowerBound - 1].lowercased() : ""
            let person = SentenceFacts.isPersonName(name) && isPerson(at: range, words)
            let wh = person ? "who" : ["in", "at", "near", "from", "on"].contains(previous) ? "where" : "what"
            spans.append((previous == "the" || (wh == "where" && range.lowerBound > 0) ? (range.lowerBound - 1)...range.upperBound : range, wh))
        }
        var out = [SynthesizedQuestion]()
        for (range, wh) in spans.prefix(limit) {
            let clauseStart = starts.last { $0 <= range.lowerBound } ?? 0
            let clauseEnd = (starts.first { $0 > range.upperBound } ?? words.count) - 1
            var clause = Array(words[clauseStart...clauseEnd])
            let local = (range.lowerBound - clauseStart)...(range.upperBound - clauseStart)
            let tail = clause[local.upperBound].last.map { ",;".contains($0) } == true ? String(clause[local.upperBound].last!) : ""
            clause.replaceSubrange(local, with: [wh + tail])
            if let first = clause.first, clauseJoiners.contains(first.lowercased()) { clause.removeFirst() }
            while let last = clause.last, let end = last.last, ",;".contains(end) { clause[clause.count - 1].removeLast() }
            guard clause.count >= 3 else { continue }
            let q = capitalise(clause.joined(separator: " ")) + "?"
            // Answered by its own clause: a short answer holds one fact, where a sentence with two
            // products' prices taught the adapter to answer either.
            let own = clauseStart == 0 && clauseEnd == words.count - 1 ? answer : capitalise(phrase(Array(words[clauseStart...clauseEnd].drop { clauseJoiners.contains($0.lowercased()) }))) + "."
            if !out.contains(where: { $0.question == q }) { out.append(SynthesizedQuestion(question: q, answer: own, rule: "in-place")) }
        }
        return out
    }

    /// "£6.50 for a 400-gram jar", "34 euros a year": the price at `p` and what it is for.
    static func price(at p: Int, _ words: [String]) -> String {
        var end = isCurrency(after: p, words) ? p + 1 : p
        // "£1.1 million"
        if end + 1 < words.count, ["million", "billion", "thousand", "m", "bn"].contains(SentenceFacts.bare(words[end + 1]).lowercased()) { end += 1 }
        if !words[end].hasSuffix(","), end + 1 < words.count, ["for", "per", "a", "an", "each"].contains(words[end + 1].lowercased()) {
            var j = end + 1
            while j + 1 < words.count, j - end < 5, !words[j].hasSuffix(","), !words[j].hasSuffix(")") { j += 1 }
            end = j
        }
        // "four hundred pounds": the number words before the one beside the currency.
        var start = p
        while start > 0, SentenceFacts.numberWords.contains(SentenceFacts.bare(words[start - 1]).lowercased()) { start -= 1 }
        return words[start...end].map(SentenceFacts.bare).joined(separator: " ")
    }

    static let clauseJoiners: Set<String> = ["and", "while", "whereas", "but"]

    /// Where the sentence's clauses start: after a semicolon, or at ", and" / ", while" / ", but".
    static func clauseStarts(_ words: [String]) -> [Int] {
        [0] + words.indices.dropFirst().filter { i in
            words[i - 1].hasSuffix(";") || (words[i - 1].hasSuffix(",") && clauseJoiners.contains(words[i].lowercased()))
        }
    }

    /// Whether a name is a person's by its neighbours: a role beside it ("the head fermenter, Ilse
    /// Marchbanks"), "by" or a title before it, or "who" after it. "Seaweed Kimchi" reads as a name too.
    static func isPerson(at range: ClosedRange<Int>, _ words: [String]) -> Bool {
        let before = words[max(0, range.lowerBound - 4)..<range.lowerBound].joined(separator: " ")
        let after = words[(range.upperBound + 1)..<min(words.count, range.upperBound + 5)].joined(separator: " ")
        let previous = range.lowerBound > 0 ? SentenceFacts.bare(words[range.lowerBound - 1]).lowercased() : ""
        let next = range.upperBound + 1 < words.count ? SentenceFacts.bare(words[range.upperBound + 1]).lowercased() : ""
        return SentenceFacts.hasRole(before) || SentenceFacts.hasRole(after) || next == "who"
            || ["by", "dr", "mr", "mrs", "ms", "professor", "brothers", "sisters", "founders"].contains(previous)
    }

    /// "34 euros", "£89": a number with its currency word after it.
    static func isCurrency(after i: Int, _ words: [String]) -> Bool {
        i + 1 < words.count && SentenceFacts.isNumber(words[i]) && SentenceFacts.currencies.contains(SentenceFacts.bare(words[i + 1]).lowercased())
    }

    /// "0800 614 2290", "01632 448 310": groups of digits, the first starting with 0.
    static func phone(in words: [String]) -> Bool {
        words.indices.dropLast().contains { i in
            let a = SentenceFacts.bare(words[i]), b = SentenceFacts.bare(words[i + 1])
            return a.hasPrefix("0") && a.count >= 3 && a.allSatisfy(\.isNumber) && b.count >= 3 && b.allSatisfy(\.isNumber)
        }
    }

    /// Runs of capitalised words ("Gullwing Trainer", "Pellham Prize for Coastal Craft"), a number
    /// after one ("Skyreel 4") and codes, with their word ranges. A sentence's capitalised first
    /// word counts only as part of a longer run: "Beginners" is capitalised by position.
    static func names(in words: [String]) -> [(ClosedRange<Int>, String)] {
        let joiners: Set<String> = ["of", "for", "the", "de", "on"]
        let skip: Set<String> = ["I", "The", "A", "An", "It", "Its", "Our", "We", "This", "These", "Each", "Every", "All", "If", "When",
                                 "Before", "After", "In", "On", "At", "For", "From", "Since", "Once", "While", "To", "Please", "Do", "Never"]
        var out = [(ClosedRange<Int>, String)]()
        var i = 0
        while i < words.count {
            let w = SentenceFacts.bare(words[i])
            let startsRun = SentenceFacts.isCapitalised(w) && !skip.contains(w) && !SentenceFacts.isTime(w) && !SentenceFacts.isUnit(w)
            guard startsRun || isCode(w) else { i += 1; continue }
            var end = i
            while end + 1 < words.count, !words[end].hasSuffix(","), !words[end].hasSuffix("'s") {
                let next = SentenceFacts.bare(words[end + 1])
                let joined = joiners.contains(next) && end + 2 < words.count && SentenceFacts.isCapitalised(words[end + 2])
                guard (SentenceFacts.isCapitalised(next) && !SentenceFacts.isTime(next)) || joined
                        || (next.first?.isNumber == true && next.count <= 4 && !SentenceFacts.isYear(next)) else { break }
                end += joined ? 2 : 1
            }
            var name = words[i...end].map(SentenceFacts.bare).joined(separator: " ")
            if name.hasSuffix("'s") { name.removeLast(2) }
            if !(i == 0 && end == 0 && !isCode(w)) { out.append((i...end, name)) }
            i = end + 1
        }
        return out
    }
}
