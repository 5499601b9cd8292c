import Foundation

/// Questions asked by what a measure measures, in the words people ask with: "weighs 31 kg" →
/// "How heavy is the frame?", "its 250 W rear hub motor" → "How powerful is the rear hub motor?",
/// "removes up to 20 litres of moisture per day" → "How much moisture does the DN-52 remove per
/// day?". Manuals say "weighs", "draws", "a 3.5-litre tank"; readers ask "How heavy", "How much
/// power", "How big is the tank". Each is answered by the clause that holds the measure, not the
/// whole sentence: on unseen manuals the adapter, asked "How powerful is the PG-7's motor?", found
/// the motor's sentence and lost its "250 W" among the battery and range after it.
extension QuestionRules {
    public static func measures(for sentence: String, context: SentenceContext) -> [SynthesizedQuestion] {
        guard var words = statementWords(sentence, context) else { return [] }
        if let (_, main) = situation(words) { words = main }
        words = dropIntro(words)
        // A product's own name owns its parts ("the Glide PG-7's frame"); a company's title does not.
        let name = context.name
        var out = [SynthesizedQuestion]()
        func add(_ questions: [String], _ answer: String, _ rule: String) {
            for q in questions.map(tidy) where !out.contains(where: { $0.question == q }) {
                out.append(SynthesizedQuestion(question: q, answer: answer, rule: rule))
            }
        }
        let verbAt = verb(in: words)
        let subject = verbAt.map { subjectPhrase(Array(words[..<$0.0])) } ?? ""
        var i = 0
        while i < words.count {
            guard let m = measure(at: i, words) else { i += 1; continue }
            defer { i = m.end + 1 }
            if let thing = measured(after: m, words) {
                let owned = thing.owner == nil ? ownedBy(name, thing.noun, topic: context.topic) : nil
                let x = (thing.owner.map { $0 + " " } ?? "the ") + thing.noun
                let answer = capitalise(owned ?? x) + " " + (isPlural(thing.noun) ? "are" : "is") + " " + m.spoken + "."
                add(([x] + (owned.map { [$0] } ?? [])).flatMap { asks(m.dimension, $0) }, answer, "measure-of")
                continue
            }
            // "giving a range of roughly 85 km": what the product has, asked by its name.
            if m.start >= 2, words[m.start - 1].lowercased() == "of", measureNouns.contains(words[m.start - 2].lowercased()),
               let owner = name ?? context.topic.map({ "the " + $0 }) ?? (subject.isEmpty ? nil : lowerArticle(subject)) {
                let noun = words[m.start - 2].lowercased()
                let answer = capitalise(owner) + " has a \(noun) of " + phrase(Array(words[m.start...clauseEnd(after: m.end, words)])) + "."
                add(["What is the \(noun) of \(owner)?", "What is \(owner)'s \(noun)?"] + asks(m.dimension, owner), answer, "measure-noun")
                continue
            }
            guard let (k, kind) = verbAt, k < m.start else { continue }
            guard !subject.isEmpty, !pronouns.contains(subject.lowercased()), subject.split(separator: " ").count <= 6 else { continue }
            let x = lowerArticle(subject)
            // The verb nearest the measure: "draws 410 watts ... and weighs 12.8 kg".
            let v = (k..<m.start).last { j in j == k || (words[j - 1].lowercased() == "and" && isPresentVerb(words[j])) } ?? k
            guard m.start - v <= 6 else { continue }
            let end = clauseEnd(after: m.end, words)
            let answer = capitalise(subject) + " " + phrase(Array(words[v...end])) + "."
            let be = kind == .copula && v == k
            let verbWord = SentenceFacts.bare(words[v]).lowercased()
            if verbWord == "holds" {
                add(["How much does \(x) hold?", "What is the capacity of \(x)?"] + (ownedBy(name, x, topic: context.topic).map { ["How much does \($0) hold?"] } ?? []),
                    answer, "measure-capacity")
            } else if be || ["weighs", "measures", "stands"].contains(verbWord) {
                add(([x] + (ownedBy(name, x, topic: context.topic).map { [$0] } ?? [])).flatMap { asks(m.dimension, $0) }, answer, "measure-predicate")
            } else if isPresentVerb(words[v]), v == k || kind == .present, [.weight, .power, .volume, .charge].contains(m.dimension) {
                // "removes up to 20 litres of moisture per day" → "How much moisture does X remove per day?"
                let of = m.end + 2 <= end && words[m.end + 1].lowercased() == "of" ? SentenceFacts.bare(words[m.end + 2]) : nil
                let much = of.map { "How much \($0)" } ?? "How many \(m.unitWord)"
                let after = of == nil ? m.end + 1 : m.end + 3
                let tail = after <= end ? Array(words[after...end]) : []
                let rest = !tail.isEmpty && tail.count <= 4 ? " " + phrase(tail) : ""
                let does = isPlural(subject) ? "do" : "does"
                let asked = ["\(much) \(does) \(x) \(lemma(verbWord))\(rest)?"]
                    + (ownedBy(name, x, topic: context.topic).map { ["\(much) \(does) \($0) \(lemma(verbWord))\(rest)?"] } ?? [])
                add(asked, answer, "measure-verb")
            }
        }
        return out
    }

    static let measureNouns: Set<String> = ["range", "weight", "capacity", "length", "width", "height", "depth", "diameter", "power",
                                            "output", "volume", "speed", "area", "size", "load", "distance", "span", "wingspan", "reach"]

    struct MeasureSpan {
        var start: Int, end: Int
        var dimension: SentenceFacts.Dimension
        /// The measure as an answer says it: "3.5 litres" for "3.5-litre".
        var spoken: String
        /// The unit as a question counts it: "watts", "litres".
        var unitWord: String
    }

    /// A number and its unit at `i`: "12.8 kg", "410 watts", "34 dB", "120 square metres", "3.5-litre",
    /// "up to 20 litres", "36 V, 14 Ah" (a run of measures before one noun). "every 1,000 km" is an
    /// interval, asked "How often".
    static func measure(at i: Int, _ words: [String]) -> MeasureSpan? {
        guard SentenceFacts.isNumber(words[i]), !SentenceFacts.hasMoney([words[i]]) else { return nil }
        if i > 0, words[i - 1].lowercased() == "every" { return nil }
        let bare = SentenceFacts.bare(words[i]).lowercased()
        var (dimension, unitEnd, unitWord): (SentenceFacts.Dimension?, Int, String) = (nil, i, "")
        if let dash = bare.firstIndex(of: "-"), let d = SentenceFacts.units[String(bare[bare.index(after: dash)...])] {
            let unit = String(bare[bare.index(after: dash)...])
            (dimension, unitWord) = (d, unit.count > 3 && !unit.hasSuffix("s") ? unit + "s" : unit)
        } else if i + 1 < words.count {
            let unit = SentenceFacts.bare(words[i + 1]).lowercased()
            if unit == "square", i + 2 < words.count, SentenceFacts.units[SentenceFacts.bare(words[i + 2]).lowercased()] == .length {
                (dimension, unitEnd, unitWord) = (.area, i + 2, "square " + SentenceFacts.bare(words[i + 2]))
            } else if let d = SentenceFacts.units[unit] {
                (dimension, unitEnd, unitWord) = (d, i + 1, SentenceFacts.bare(words[i + 1]))
            }
        }
        guard let dimension else { return nil }
        var start = i
        while start > 0, ["to", "up", "about", "roughly", "around", "approximately", "nearly", "almost", "just", "only", "over", "under"]
            .contains(words[start - 1].lowercased()) { start -= 1 }
        var end = unitEnd
        // "36 V, 14 Ah battery": a run of measures describes one thing.
        while end + 2 < words.count, words[end].hasSuffix(","), let next = measure(at: end + 1, words), next.dimension != dimension {
            end = next.end
        }
        var spoken = words[i...end].joined(separator: " ")
        if unitEnd == i, let dash = spoken.firstIndex(of: "-") {
            spoken = String(spoken[..<dash]) + " " + unitWord + String(spoken[spoken.index(after: dash)...].drop { $0 != "," && $0 != " " })
        }
        while let last = spoken.last, ",;".contains(last) { spoken.removeLast() }
        return MeasureSpan(start: start, end: end, dimension: dimension, spoken: spoken, unitWord: unitWord)
    }

    /// The noun a measure stands before ("250 W rear hub motor", "a 3.5-litre tank"), with the owner
    /// before the measure if there is one ("The Glide PG-7's").
    static func measured(after m: MeasureSpan, _ words: [String]) -> (owner: String?, noun: String)? {
        // Only after a determiner: "weighs 31 kg without the battery" measures nothing after it.
        guard m.start > 0, ["a", "an", "the", "its", "each", "every", "one"].contains(words[m.start - 1].lowercased()) || words[m.start - 1].hasSuffix("'s")
        else { return nil }
        let stops: Set<String> = ["that", "which", "who", "and", "or", "of", "per", "a", "an", "the"]
        var noun = [String]()
        for (j, w) in words.enumerated().dropFirst(m.end + 1).prefix(4) {
            let b = SentenceFacts.bare(w)
            // "element heats a jug": a verb with its object after it ends the noun.
            if !noun.isEmpty, isPresentVerb(b), j + 1 < words.count, ["a", "an", "the", "its", "up"].contains(words[j + 1].lowercased()) || prepositions.contains(words[j + 1].lowercased())
                || SentenceFacts.isNumber(words[j + 1]) { break }
            guard b == b.lowercased(), b.allSatisfy(\.isLetter), !stops.contains(b), !nonHeads.contains(b), !copulas.contains(b),
                  !modals.contains(b), !auxiliaries.contains(b), !prepositions.contains(b) else { break }
            noun.append(b)
            if w != b { break }
        }
        guard !noun.isEmpty else { return nil }
        let owner = words[m.start - 1].hasSuffix("'s")
            ? lowerArticle(words[..<m.start].reversed().prefix { SentenceFacts.isCapitalised($0) || $0.hasSuffix("'s") }.reversed().joined(separator: " "))
            : nil
        return (owner, noun.joined(separator: " "))
    }

    /// "the frame" → "the Glide PG-7's frame": the questions people ask with the product's name.
    static func ownedBy(_ name: String?, _ x: String, topic: String?) -> String? {
        // "the grinder" under "Halvard B7 Burr Grinder" is the product itself.
        guard let name, x.hasPrefix("the ") || !x.contains(" "), let head = x.split(separator: " ").last,
              topic?.lowercased().split(separator: " ").contains(head.lowercased()[...]) != true else { return nil }
        let bare = name.split(separator: " ").drop { $0 == "the" }.joined(separator: " ")
        guard !x.contains(bare), !x.contains("'s") else { return nil }
        return "\(name)'s \(x.hasPrefix("the ") ? String(x.dropFirst(4)) : x)"
    }

    /// The last word of the clause a measure is in: before ", so", ", which", "; ", " and ...".
    static func clauseEnd(after i: Int, _ words: [String]) -> Int {
        var j = i
        while j + 1 < words.count, !words[j].hasSuffix(","), !words[j].hasSuffix(";"), !clauseJoiners.contains(words[j + 1].lowercased()),
              !["so", "which"].contains(words[j + 1].lowercased()) { j += 1 }
        return j
    }

    static func asks(_ dimension: SentenceFacts.Dimension, _ x: String) -> [String] {
        switch dimension {
        case .weight: ["How heavy is \(x)?", "How much does \(x) weigh?"]
        case .power: ["How powerful is \(x)?", "How much power does \(x) use?"]
        case .voltage: ["What voltage is \(x)?"]
        case .charge: ["What capacity is \(x)?"]
        case .volume: ["How big is \(x)?", "How much does \(x) hold?"]
        case .length: ["How long is \(x)?", "What size is \(x)?"]
        case .distance: ["How far can \(x) go?"]
        case .speed: ["How fast is \(x)?"]
        case .loudness: ["How loud is \(x)?", "How noisy is \(x)?"]
        case .temperature: ["What temperature is \(x)?"]
        case .area: ["How big an area is \(x) for?", "What size of room is \(x) for?"]
        }
    }
}
