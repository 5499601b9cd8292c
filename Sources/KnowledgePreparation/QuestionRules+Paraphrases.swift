/// Second phrasings of a fact, the way people ask rather than the way documents state: a small
/// model learns a fact under the words it was asked with, so "It weighs 6.4 kilograms" must
/// also be asked as "How heavy is it?", "visitors pay an annual fee of 25 euros" as "What is
/// the annual fee for visitors?", "members may borrow" as "can I borrow", "must not be washed"
/// as "Can it be washed?" (answered "No").
extension QuestionRules {
    enum Measure { case money, duration, weight, power, length, speed, count }

    static let measureUnits: [Measure: Set<String>] = [
        .duration: ["second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months",
                    "year", "years", "decade", "decades"],
        .weight: units(of: [.weight]).union(["ton", "tons", "ounces"]),
        .power: units(of: [.power]).union(["megawatts", "mw", "horsepower"]),
        .length: units(of: [.length, .distance]).union(["millimetres", "millimeters", "centimetres", "centimeters", "yards"]),
    ]
    static func units(of dimensions: Set<SentenceFacts.Dimension>) -> Set<String> {
        Set(SentenceFacts.units.filter { dimensions.contains($0.value) }.keys)
    }
    /// What a number with this unit answers: "How heavy ...?", "How long ...?".
    /// "up to 65 kilometres", "at least 16": the number's qualifier does not change what it measures.
    static let qualifiers: Set<String> = ["up", "to", "about", "around", "over", "under", "nearly", "almost", "approximately", "roughly",
                                          "more", "less", "fewer", "than", "at", "least", "most", "just"]

    static func measure(after words: ArraySlice<String>) -> Measure? {
        let words = words.drop { qualifiers.contains($0.lowercased()) }
        // "the policy of 2019", "one of the founders": a date or a part, not a measure.
        guard let first = words.first, SentenceFacts.isNumber(first), !SentenceFacts.isYear(first),
              words.dropFirst().first?.lowercased() != "of" else { return nil }
        if SentenceFacts.hasMoney([first]) { return .money }
        let unit = words.dropFirst().first { !SentenceFacts.isNumber($0) }.map { SentenceFacts.bare($0).lowercased() } ?? ""
        if SentenceFacts.currencies.contains(unit) { return .money }
        let after = words.dropFirst(2).prefix(2).map { SentenceFacts.bare($0).lowercased() }
        if ["km/h", "mph", "kph"].contains(unit) || (measureUnits[.length]!.contains(unit) && after.count == 2 && ["per", "an", "a"].contains(after[0]) && after[1] == "hour") {
            return .speed
        }
        return measureUnits.first { $0.value.contains(unit) }?.key ?? .count
    }

    /// People a rule asks about in the third person, whom a reader asks about as "I".
    static let readers: Set<String> = ["members", "visitors", "customers", "users", "guests", "residents", "students", "passengers",
                                       "readers", "patrons", "owners", "adults", "buyers", "clients", "tenants", "employees",
                                       "staff", "participants", "applicants", "subscribers", "you"]
    /// "Members", "Each member", "All visitors": people the reader is one of.
    static func isReader(_ subject: String) -> Bool {
        let words = subject.split(separator: " ").map { SentenceFacts.bare($0).lowercased() }.drop { ["each", "every", "all", "any"].contains($0) }
        guard let head = words.first else { return false }
        return readers.contains(head) || readers.contains(head + "s")
    }

    /// Nouns too vague to ask for on their own: "a maximum of 6 euros".
    static let vagueNouns: Set<String> = ["maximum", "minimum", "total", "average", "number", "lot", "couple", "pair", "range",
                                          "set", "group", "series", "sum", "amount", "piece", "part", "share", "rest", "one"]

    static func paraphrases(_ words: [String], answer: String, _ add: (String, String) -> Void, _ addAnswered: (String, String, String) -> Void) {
        guard let (k, kind) = verb(in: words) else { return }
        let subject = subjectPhrase(Array(words[..<k]))
        guard !subject.isEmpty, !pronouns.contains(subject.lowercased()) else { return }
        let x = lowerArticle(subject), plural = isPlural(subject, verb: words[k]), does = plural ? "do" : "does", be = plural ? "are" : "is"
        let rest = Array(words[(k + 1)...])
        let person = isReader(subject)
        valueOfQuestions(rest, owner: x, person: person, add)
        // The main verb's and any verb joined to it: "weighs 6.4 kilograms and draws 650 watts".
        let verbs = (kind == .present ? [k] : []) + rest.indices.dropLast().filter { i in
            rest[i].lowercased() == "and" && (isPresentVerb(rest[i + 1]) || (plural && baseVerbs.contains(rest[i + 1].lowercased())))
        }.map { k + 2 + $0 }
        for v in verbs {
            let word = SentenceFacts.bare(words[v]).lowercased()
            verbQuestions(lemma: plural ? word : lemma(word), x: x, does: does, be: be, rest: Array(words[(v + 1)...]), add)
            countedPlace(lemma: plural ? word : lemma(word), x: x, does: does, rest: Array(words[(v + 1)...]), add)
        }
        if kind == .modal, person, let v = rest.first, v.lowercased() != "be", v.lowercased() != "not" {
            let after = Array(rest.dropFirst())
            if let (_, noun) = countedNoun(after) {
                add("How many \(noun) can I \(SentenceFacts.bare(v))?", "reader-number")
            } else if let object = after.first, !["at", "in", "on", "before", "after", "by", "to", "from", "for", "with", "early", "late"].contains(object.lowercased()) {
                add("What can I \(SentenceFacts.bare(v))?", "reader")
            }
        }
        codeQuestions(rest, owner: x, add)
        // "Error code E02 means ..." → "What does E02 mean?"
        if kind == .present, SentenceFacts.bare(words[k]).lowercased() == "means", let code = subject.split(separator: " ").last.map(String.init),
           subject.contains(" "), isCode(code) {
            add("What does \(code) mean?", "means-code")
        }
        negations(words, verbAt: k, subject: x, be: be, answer: answer, addAnswered)
        hours(words, x: x, be: be, add)
        commencement(words, x: x, plural: plural, add)
    }

    /// "X took effect on 1 September 2024" (or came into force, applies from, is valid from) →
    /// "When did X start to apply?", "When did X come into force?", "Since when has X applied?".
    static func commencement(_ words: [String], x: String, plural: Bool, _ add: (String, String) -> Void) {
        let lower = words.map { SentenceFacts.bare($0).lowercased() }
        let started = lower.indices.dropLast().contains { i in
            (lower[i] == "took" && lower[i + 1] == "effect")
                || (["came", "entered"].contains(lower[i]) && lower[i + 1] == "into" && i + 2 < lower.count && ["force", "effect"].contains(lower[i + 2]))
        } || (lower.contains { ["apply", "applies", "valid", "effective"].contains($0) }
              && lower.indices.dropLast().contains { lower[$0] == "from" && (SentenceFacts.isTime(words[$0 + 1]) || SentenceFacts.isNumber(words[$0 + 1])) })
        guard started, SentenceFacts.hasTime(words) else { return }
        add("When did \(x) start to apply?", "commencement")
        add("When did \(x) come into force?", "commencement")
        add("Since when \(plural ? "have" : "has") \(x) applied?", "commencement")
    }

    /// "a warranty of three years" → "What is the warranty of X?", "How long is the warranty of X?";
    /// "an annual fee of 25 euros" (of visitors) → "What is the annual fee for visitors ...?".
    static func valueOfQuestions(_ rest: [String], owner: String, person: Bool, _ add: (String, String) -> Void) {
        for of in rest.indices.dropFirst().dropLast() where rest[of].lowercased() == "of" {
            guard let measure = measure(after: rest[(of + 1)...]), !rest[of - 1].hasSuffix(","),
                  let start = rest[..<of].lastIndex(where: { ["a", "an", "the", "its", "their"].contains($0.lowercased()) }),
                  (1...3).contains(of - start - 1) else { continue }
            let nounWords = rest[(start + 1)..<of].map(SentenceFacts.bare)
            // "a range of 65 kilometres" is a distance; "a range of 20 products" is vague.
            guard let head = nounWords.last?.lowercased(), !vagueNouns.contains(head) || (head == "range" && measure == .length), nounWords.allSatisfy({ $0.allSatisfy { $0.isLetter || $0 == "-" } })
            else { continue }
            let noun = "the " + nounWords.joined(separator: " ").lowercased()
            let owned = "\(noun) \(person ? "for" : "of") \(owner)"
            add("What is \(owned)?", "value-of")
            switch measure {
            case .money: add("How much is \(owned)?", "value-of-price")
            case .duration: add("How long is \(owned)?", "value-of-duration")
            case .weight: add("How heavy is \(owned)?", "value-of-weight")
            case .power: add("How powerful is \(owned)?", "value-of-power")
            case .count, .length, .speed: break
            }
        }
    }

    /// "has the part number KP-417", "under the code BP-40C" → "What is the part number of X?",
    /// "What is the code for X?" (and "the order code" where the sentence orders).
    static func codeQuestions(_ rest: [String], owner x: String, _ add: (String, String) -> Void) {
        let lower = rest.map { SentenceFacts.bare($0).lowercased() }
        guard let c = lower.indices.dropFirst().first(where: { i in ["code", "number"].contains(lower[i]) && i + 1 < rest.count && isCode(rest[i + 1]) }),
              let the = lower[..<c].lastIndex(where: { ["the", "a", "an", "its", "their"].contains($0) }), c - the <= 3 else { return }
        let noun = lower[(the + 1)...c].joined(separator: " ")
        if noun != "code" { add("What is the \(noun) of \(x)?", "code-of") }
        add("What is the \(noun) for \(x)?", "code-for")
        if noun == "code", lower.contains(where: { $0.hasPrefix("order") }) { add("What is the order code for \(x)?", "code-order") }
    }

    /// Other words for what a verb with a measure states: weighs → heavy, draws watts → power, costs → price.
    static func verbQuestions(lemma: String, x: String, does: String, be: String, rest: [String], _ add: (String, String) -> Void) {
        guard let n = rest.prefix(6).firstIndex(where: SentenceFacts.isNumber), let measure = measure(after: rest[n...]) else { return }
        switch (lemma, measure) {
        case ("weigh", _):
            fallthrough
        case (_, .weight) where ["have", "be"].contains(lemma):
            add("How heavy \(be) \(x)?", "heavy")
            add("What \(does) \(x) weigh?", "weigh")
        case (_, .power) where ["draw", "use", "consume", "need", "require", "have", "take"].contains(lemma):
            add("How much power \(does) \(x) use?", "power")
            add("What is the power consumption of \(x)?", "power-consumption")
        case ("cost", .money):
            add("What is the price of \(x)?", "price-of")
            add("How much \(be) \(x)?", "how-much")
            chargeQuestions(charged: x, by: nil, does: does, rest: rest, add)
        case ("charge", .money):
            chargeQuestions(charged: chargedItem(rest), by: x, does: does, rest: rest, add)
        case ("employ", .count):
            add("How many people work at \(x)?", "work-at")
            add("How many employees \(does) \(x) have?", "employees")
        case ("measure", .length):
            add("How big \(be) \(x)?", "size")
        case (_, .duration) where ["take", "last", "run"].contains(lemma):
            add("How long \(be) \(x)?", "how-long")
        case (_, .speed):
            // "stops assisting at 25 kilometres per hour" → "At what speed does X stop assisting?"
            let action = rest[..<n].prefix { !["at", "up", "to", "of", "about", "around"].contains($0.lowercased()) }
            add("At what speed \(does) \(x) \(([lemma] + action).joined(separator: " "))?", "speed")
        default:
            break
        }
    }

    /// "sells its pottery in 31 countries" → "In how many countries does X sell its pottery?".
    static func countedPlace(lemma: String, x: String, does: String, rest: [String], _ add: (String, String) -> Void) {
        guard let i = rest.prefix(6).firstIndex(where: { ["in", "across"].contains($0.lowercased()) }), i > 0,
              let (_, noun) = countedNoun(Array(rest[(i + 1)...].prefix(3))), measure(after: rest[(i + 1)...]) == .count,
              !rest[..<i].contains(where: { $0.hasSuffix(",") }) else { return }
        add("In how many \(noun) \(does) \(x) \(lemma) \(phrase(Array(rest[..<i])))?", "counted-place")
    }

    /// A charge is asked as its fee, or its fine when it is for lateness: "The library charges 20 cents
    /// per day for each overdue book, with a maximum of 6 euros per item" → "How much does the library
    /// charge for an overdue book?", "What is the fine for an overdue book?", "What is the maximum fine?".
    static func chargeQuestions(charged item: String?, by charger: String?, does: String, rest: [String], _ add: (String, String) -> Void) {
        let lower = rest.map { SentenceFacts.bare($0).lowercased() }
        let late = (item?.split(separator: " ") ?? []).contains { ["overdue", "late", "lost", "damaged", "missed", "cancelled"].contains($0.lowercased()) }
        let fee = late ? "fine" : "fee"
        if let item {
            if let charger { add("How much \(does) \(charger) charge for \(item)?", "charge-for") }
            add("What is the \(fee) for \(item)?", "fee-for")
            add("How much is the \(fee) for \(item)?", "fee-for-price")
        }
        if let m = lower.firstIndex(where: { $0 == "maximum" || $0 == "minimum" }), m + 1 < lower.count, lower[m + 1] == "of",
           SentenceFacts.hasMoney(Array(rest[(m + 2)...].prefix(3))) {
            add("What is the \(lower[m]) \(late ? "fine" : charger == nil ? "price" : "charge")\(item.map { " for " + $0 } ?? "")?", "charge-limit")
        }
    }

    /// "… for each overdue book" → "an overdue book"; "… per night" → nil (a rate, not an item).
    static func chargedItem(_ rest: [String]) -> String? {
        let lower = rest.map { SentenceFacts.bare($0).lowercased() }
        guard let f = lower.indices.dropLast().first(where: { lower[$0] == "for" && ["each", "every", "a", "an"].contains(lower[$0 + 1]) }) else { return nil }
        var words = [String]()
        for w in rest[(f + 2)...].prefix(4) {
            if ["with", "and", "or", "if", "unless", "per", "at", "in"].contains(w.lowercased()) { break }
            words.append(w)
            if w.hasSuffix(",") || w.hasSuffix(".") { break }
        }
        let noun = phrase(words.map(SentenceFacts.bare)).lowercased()
        guard !noun.isEmpty, noun.allSatisfy({ $0.isLetter || $0 == " " || $0 == "-" || $0 == "'" }) else { return nil }
        return ("aeiou".contains(noun.first!) ? "an " : "a ") + noun
    }

    /// "X must not be washed in a dishwasher" → "Can X be washed in a dishwasher?" — "No. …";
    /// "X does not cover Y" → "Does X cover Y?"; "X are not allowed in Y" → "Are X allowed in Y?";
    /// "X is closed on Sundays" → "Is X open on Sundays?" — "No. …".
    static func negations(_ words: [String], verbAt k: Int, subject: String, be: String, answer: String, _ add: (String, String, String) -> Void) {
        let lower = words.map { SentenceFacts.bare($0).lowercased() }
        let no = "No. " + answer
        // The main verb's negation or a verb joined to it by "and", not one of a clause inside
        // ("means the hopper is not locked" does not say the light is not locked).
        for i in lower.indices.dropLast() where i == k || (i > k && lower[i - 1] == "and") {
            let asked: String
            let verbAt: Int
            if lower[i] == "cannot" {
                (asked, verbAt) = ("can", i + 1)
            } else if lower[i + 1] == "not", modals.contains(lower[i]) || ["does", "do", "did"].contains(lower[i]) || copulas.contains(lower[i]) {
                // Any modal asks "Can ...?": "must not be washed" → "Can it be washed?".
                (asked, verbAt) = (modals.contains(lower[i]) ? "can" : lower[i], i + 2)
            } else {
                continue
            }
            let phrase = verbAt < words.count ? actionPhrase(words[verbAt...]) : ""
            guard !phrase.isEmpty else { continue }
            add("\(capitalise(asked)) \(subject) \(phrase)?", "negative-\(asked)", no)
            return
        }
        if let closed = lower.firstIndex(of: "closed"), closed > 0, copulas.contains(lower[closed - 1]), closed + 2 < lower.count, lower[closed + 1] == "on",
           SentenceFacts.days.contains(lower[closed + 2]) {
            add("\(capitalise(be)) \(subject) open on \(SentenceFacts.bare(words[closed + 2]))?", "closed-day", no)
        }
    }

    /// Opening hours per day: "X is open from 9 am to 8 pm on weekdays and from 10 am to 4 pm on Saturdays"
    /// → "What are the opening hours of X?", "When does X open on Saturdays?".
    static func hours(_ words: [String], x: String, be: String, _ add: (String, String) -> Void) {
        let lower = words.map { SentenceFacts.bare($0).lowercased() }
        guard lower.contains("open"), lower.contains(where: { w in ["am", "pm"].contains(w) || (w.first?.isNumber == true && (w.hasSuffix("am") || w.hasSuffix("pm"))) })
        else { return }
        add("What are the opening hours of \(x)?", "opening-hours")
        for i in lower.indices.dropLast() where lower[i] == "on" && SentenceFacts.days.contains(lower[i + 1]) && lower[i + 1] != "am" && lower[i + 1] != "pm" {
            add("When \(be == "are" ? "do" : "does") \(x) open on \(SentenceFacts.bare(words[i + 1]))?", "open-day")
        }
    }
}
