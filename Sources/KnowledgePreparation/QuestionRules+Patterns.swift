/// The questions of each kind of clause: be, have, modal, present and past verbs.
extension QuestionRules {
    static let locatives: Set<String> = ["located", "based", "situated", "headquartered", "housed", "found", "kept", "stored"]
    static let naming: Set<String> = ["called", "named", "known", "nicknamed", "titled"]
    static let irregularParticiples: Set<String> = ["built", "made", "written", "run", "held", "known", "given", "taken", "sold",
                                                    "shown", "begun", "driven", "grown", "drawn", "led", "kept", "paid", "brought",
                                                    "bought", "taught", "sent", "spent", "won", "set", "put", "cut", "born", "chosen",
                                                    "worn", "thrown", "hung", "struck", "found", "told", "dug", "lent", "spun", "fed", "flown", "ridden", "stolen", "lit", "sewn", "sown",
                                                    "laid", "woven", "frozen", "hidden", "eaten", "fallen", "spoken", "broken", "seen",
                                                    "done", "heard", "meant", "read", "left", "lost", "met", "shut", "split", "spread"]
    static let adjectivesWithFor: Set<String> = ["famous", "known", "free", "open", "available", "responsible", "popular", "suitable",
                                                 "ideal", "used", "closed", "eligible", "valid", "good", "designed", "made"]

    static func copulaQuestions(subject: String, be: String, predicate: [String], all: [String], _ add: (String, String) -> Void) {
        // "Smoking is not allowed": only its negation is a question (see `negations`).
        guard let raw = predicate.first, raw.lowercased() != "not" else { return }
        let first = SentenceFacts.bare(raw).lowercased(), x = lowerArticle(subject)
        let lowercaseWord = raw.first?.isLowercase == true
        if let many = countedSubject(subject) {
            add("How many \(many) \(be) \(predicate.prefix(4).map(SentenceFacts.bare).joined(separator: " "))?", "count-subject")
        }
        // "the motor is overheating": a state, not what the subject is.
        if lowercaseWord, first.hasSuffix("ing"), first.count > 5 { return }
        if lowercaseWord, naming.contains(first) {
            add("What \(be) \(x) called?", "called")
            add("What is the name of \(x)?", "called-name")
            return
        }
        if lowercaseWord, locatives.contains(first) {
            add("Where \(be) \(x) \(first)?", "located")
            if let _ = durationFor(predicate) { add("How long \(be) \(x) \(first)?", "passive-duration") }
            return
        }
        if lowercaseWord, ["in", "at", "on"].contains(first), let place = predicate.dropFirst().first,
           SentenceFacts.isCapitalised(place) || ["the", "a"].contains(place.lowercased()), !SentenceFacts.isTime(place) {
            add("Where \(be) \(x)?", "where")
            if let owner = officeOwner(subject) { add("Where is \(owner) based?", "where-based") }
            return
        }
        // "test-flown", "hand-made": the participle is the compound's last part.
        let participle = first.split(separator: "-").last.map(String.init) ?? first
        if lowercaseWord, participle.hasSuffix("ed") || irregularParticiples.contains(participle), !adjectivesWithFor.contains(first) || predicate.dropFirst().first?.lowercased() != "for" {
            passiveQuestions(x: x, be: be, participle: first, rest: Array(predicate.dropFirst()), all: all, add)
            return
        }
        let second = predicate.dropFirst().first.map { SentenceFacts.bare($0).lowercased() }
        if ["open", "closed", "available", "due"].contains(first), SentenceFacts.hasTime(predicate) {
            add("When \(be) \(x) \(first)?", "open-when")
            return
        }
        if lowercaseWord, adjectivesWithFor.contains(first), let second, ["for", "to", "in", "at", "with"].contains(second) {
            add("\(first == "free" || first == "open" || first == "available" ? "Who" : "What") \(be) \(x) \(first) \(second)?", "adjective")
            return
        }
        if lowercaseWord, predicate.count <= 3, !["a", "an", "the", "one"].contains(first), !SentenceFacts.isNumber(first) {
            add("\(capitalise(be)) \(x) \(predicate.map(SentenceFacts.bare).joined(separator: " "))?", "yes-no")
            return
        }
        // "Program 9 is Gluten Free" → "Which program is Gluten Free?"
        let named = subject.split(separator: " ").map(String.init)
        if isNumberedName(named), !["a", "an"].contains(first) {
            add("Which \(singular(named[0].lowercased())) \(be) \(predicateHead(predicate))?", "which-numbered-is")
        }
        let who = SentenceFacts.hasRole(subject) || (SentenceFacts.isPersonName(subject) && SentenceFacts.hasRole(predicateHead(predicate)))
        add("\(who ? "Who" : "What") \(be) \(x)?", "is")
        if let org = ledOrganisation(subject) ?? (SentenceFacts.isPersonName(subject) ? ledOrganisation(predicateHead(predicate)) : nil) {
            add("Who runs \(org)?", "runs")
        }
        if SentenceFacts.hasMoney(predicate) { add("How much \(be) \(x)?", "is-price") }
        let opener = subject.split(separator: " ").first.map(String.init) ?? ""
        if SentenceFacts.isCapitalised(subject), !["The", "A", "An", "All", "Every"].contains(opener), first == "the" || first == "one" {
            let head = predicateHead(predicate)
            if head.split(separator: " ").count >= 2 {
                add("\(SentenceFacts.hasRole(head) ? "Who" : "What") \(be) \(head)?", "is-reverse")
            }
        }
        if !"\"“'".contains(raw.first ?? " "), let name = leadingName(predicate), name != subject {
            add("\(who ? "Who" : "What") \(be) \(name)?", "is-name")
        }
    }

    /// "X was founded in 1987 by Y in Z" → when, who and where; "X is set with the Crust button" → how.
    static func passiveQuestions(x: String, be: String, participle: String, rest: [String], all: [String], _ add: (String, String) -> Void) {
        var asked = false
        // "sold only at the harbour office": the adverb does not change the question.
        var rest = Array(rest.drop { ["only", "also", "usually", "mostly", "always", "still", "now"].contains($0.lowercased()) })
        // "was set up in 1996 by ...": the particle belongs to the participle.
        var participle = participle
        if let particle = rest.first, ["up", "out", "off", "down"].contains(particle.lowercased()), rest.count > 1,
           ["in", "by", "at", "on", "during", "after", "before"].contains(rest[1].lowercased()) {
            participle += " " + particle.lowercased()
            rest.removeFirst()
        }
        let by = rest.firstIndex { $0.lowercased() == "by" }
        // "paid by 30 April" is a deadline, asked "When", below.
        if let by, by + 1 < rest.count, !SentenceFacts.isNumber(rest[by + 1]), !rest[(by + 1)...].prefix(2).contains(where: SentenceFacts.isTime) {
            if rest[(by + 1)...].prefix(4).contains(where: { SentenceFacts.isCapitalised($0) && !SentenceFacts.isUnit($0) }) || SentenceFacts.hasRole(rest[(by + 1)...].prefix(3).joined(separator: " ")) {
                add(participle.hasSuffix("ed") || participle.hasSuffix(" up") ? "Who \(participle) \(x)?" : "Who \(be) \(x) \(participle) by?", "passive-by")
            } else {
                add("What \(be) \(x) \(participle) by?", "passive-by-what")
            }
            asked = true
        }
        if SentenceFacts.hasTime(all) {
            add("When \(be) \(x) \(participle)?", "passive-when")
            asked = true
        }
        // The place opens the rest or follows its "by ..." name: "made by Halvard Appliances in Tampere".
        let placed = rest.indices.first { i in
            i + 1 < rest.count && (i == 0 || (by.map { $0 < i && !rest[$0..<i].contains { $0.hasSuffix(",") } } ?? false))
                && ["in", "at", "from", "near", "on"].contains(rest[i].lowercased()) && !SentenceFacts.isTime(rest[i + 1])
                && (SentenceFacts.isCapitalised(rest[i + 1]) || (i == 0 && rest[i].lowercased() != "on" && ["the", "a"].contains(rest[i + 1].lowercased())))
        }
        if let at = placed {
            let p = rest[at].lowercased()
            // "made by Halvard Appliances in Tampere": where the maker is.
            if let by, by < at, rest[(by + 1)..<at].allSatisfy(SentenceFacts.isCapitalised) {
                add("Where is \(phrase(Array(rest[(by + 1)..<at]))) based?", "maker-where")
            }
            add("Where \(be) \(x) \(participle)\(p == "from" ? " from" : "")?", "passive-where")
            if p == "from", !participle.hasPrefix("be ") {
                let thing = x.split(separator: " ").drop { ["all", "every", "each", "the", "most"].contains($0.lowercased()) }.joined(separator: " ")
                add("Where \(be == "are" || be == "were" ? "do" : "does") \(thing) come from?", "passive-from")
            }
            asked = true
        }
        if participle.hasSuffix("made"), ["of", "from"].contains(rest.first?.lowercased() ?? "") {
            add("What \(be) \(x) \(participle) \(rest[0].lowercased())?", "made-of")
            asked = true
        }
        if rest.contains(where: { ["every", "daily", "weekly", "monthly", "yearly", "annually"].contains(SentenceFacts.bare($0).lowercased()) }) {
            add("How often \(be) \(x) \(participle)?", "passive-often")
            asked = true
        }
        if rest.indices.dropLast().contains(where: { rest[$0].lowercased() == "in" && SentenceFacts.bare(rest[$0 + 1]).lowercased() == "advance" }) {
            add("How far in advance \(be) \(x) \(participle)?", "in-advance")
            asked = true
        }
        if durationFor(rest) != nil {
            add("How long \(be) \(x) \(participle)?", "passive-duration")
            // "Books are lent for three weeks": a borrower asks how long they may keep them.
            if ["lent", "loaned", "rented", "hired"].contains(participle.lowercased()) {
                add("How long can I keep \(x)?", "loan-keep")
                add("How long can I borrow \(x) for?", "loan-borrow")
            }
            asked = true
        }
        if rest.contains(where: { ["once", "twice", "times"].contains(SentenceFacts.bare($0).lowercased()) }) {
            add("How many times \(be) \(x) \(participle)?", "passive-times")
            asked = true
        }
        if SentenceFacts.hasMoney(rest) {
            add("How much \(be) \(x) \(participle) for?", "passive-price")
            // "Spare pans can be ordered ... for 34 euros": what they cost.
            add("How much \(isPlural(x) ? "do" : "does") \(x) cost?", "passive-cost")
            add("What is the price of \(x)?", "passive-price-of")
            asked = true
        }
        if !asked { add("How \(be) \(x) \(participle)?", "passive-how") }
    }

    /// "for up to three months", "for 28 days": where a duration follows "for".
    static func durationFor(_ words: [String]) -> Int? {
        words.indices.dropLast().first { words[$0].lowercased() == "for" && measure(after: words[($0 + 1)...]) == .duration }
    }

    static func haveQuestions(subject: String, plural: Bool, rest: [String], _ add: (String, String) -> Void) {
        let x = lowerArticle(subject), does = plural ? "do" : "does"
        if let (_, noun) = countedNoun(rest) {
            add("How many \(noun) \(does) \(x) have?", "have-number")
            // "three assistance modes: Eco, Tour and Boost" names them too.
            if rest.prefix(4).contains(where: { $0.hasSuffix(":") }) { add("What \(noun) \(does) \(x) have?", "have-list") }
        } else if rest.first?.lowercased() == "the", let code = rest.lastIndex(where: { SentenceFacts.isCapitalised($0) || $0.contains(where: \.isNumber) }), code > 1 {
            add("What \(rest[1..<code].joined(separator: " ")) \(does) \(x) have?", "have-named")
        } else if let (_, noun) = countedNoun(Array(rest.drop { !SentenceFacts.isNumber($0) }.prefix(2))), rest.contains(where: { $0.lowercased() == "of" }) {
            let measure = rest.prefix { $0.lowercased() != "of" }.last.map(SentenceFacts.bare) ?? noun
            add("What \(measure) \(does) \(x) have?", "have-measure")
        } else {
            add("What \(does) \(x) have?", "have")
        }
    }

    static func modalQuestions(subject: String, modal: String, rest: [String], all: [String], _ add: (String, String) -> Void) {
        guard let v = rest.first.map(SentenceFacts.bare) else { return }
        let x = lowerArticle(subject), after = Array(rest.dropFirst())
        // "must be at least 16 years old to use the gym" → "How old must members be to use the gym?"
        if v.lowercased() == "be", let old = after.firstIndex(where: { SentenceFacts.bare($0).lowercased() == "old" }), old > 0,
           after[..<old].contains(where: SentenceFacts.isNumber) {
            let purpose = old + 1 < after.count && after[old + 1].lowercased() == "to" ? " " + phrase(Array(after[(old + 1)...])) : ""
            add("How old \(modal) \(x) be\(purpose)?", "age")
            if isReader(subject) { add("How old do I have to be\(purpose)?", "age-reader") }
            return
        }
        if v.lowercased() == "be", let participle = after.first.map(SentenceFacts.bare) {
            passiveQuestions(x: x, be: modal, participle: "be " + participle, rest: Array(after.dropFirst()), all: all, add)
            return
        }
        if let many = countedSubject(subject) {
            add("How many \(many) \(modal) \(rest.prefix(4).joined(separator: " "))?", "count-subject")
        }
        // "The timer can run for up to 60 seconds": a duration is asked as "How long"; "arrive 20
        // minutes before departure" as "When".
        if let n = after.prefix(7).firstIndex(where: SentenceFacts.isNumber), measure(after: after[n...]) == .duration {
            let relative = after[n...].dropFirst(2).first.map { ["before", "after", "ahead", "early", "earlier"].contains(SentenceFacts.bare($0).lowercased()) } ?? false
            // The verb's object goes with it: "postpone the start by up to 13 hours" → "How long can X postpone the start?".
            let object = n > 0 && after.first?.lowercased() == "the" ? " " + phrase(Array(after[..<n].prefix { !["by", "for", "up", "to", "at", "in"].contains($0.lowercased()) })) : ""
            add("\(relative ? "When" : "How long") \(modal) \(x) \(v)\(object)?", "modal-duration")
        } else if let (_, noun) = countedNoun(after) {
            add("How many \(noun) \(modal) \(x) \(v)?", "modal-number")
        } else if SentenceFacts.hasMoney(after) {
            add("How much \(modal) \(x) \(v) \(objectHead(after))?", "modal-price")
        } else if after.count >= 1 {
            add("What \(modal) \(x) \(v)?", "modal")
        }
    }

    static func presentQuestions(subject: String, verb: String, plural: Bool, rest: [String], all: [String], _ add: (String, String) -> Void) {
        var base = plural ? SentenceFacts.bare(verb).lowercased() : lemma(SentenceFacts.bare(verb).lowercased())
        var rest = rest
        // "comes out when ...", "takes on up to 220 workers": the particle belongs to the verb.
        if let particle = rest.first, ["out", "off", "up", "down", "back", "away", "on"].contains(particle), rest.count > 1,
           ["when", "if", "after", "before", "every", "once"].contains(SentenceFacts.bare(rest[1]).lowercased())
            || (["take", "hand", "give", "set", "carry", "turn", "pick", "put", "switch", "shut"].contains(base)
                && (["up", "the", "a", "an", "about", "around"].contains(rest[1].lowercased()) || SentenceFacts.isNumber(rest[1]))) {
            base += " " + particle
            rest.removeFirst()
        }
        // "plans to replace four ferries by 2030": the infinitive is the action asked about.
        if ["plan", "aim", "intend", "hope", "expect", "want", "promise", "seek"].contains(base), rest.count > 2, rest[0] == "to",
           rest[1] == SentenceFacts.bare(rest[1]), rest[1].first?.isLowercase == true, !["be", "the", "a", "an"].contains(rest[1]) {
            base += " to " + rest[1]
            rest.removeFirst(2)
        }
        let x = lowerArticle(subject), does = plural ? "do" : "does"
        let next = rest.first.map { SentenceFacts.bare($0).lowercased() } ?? ""
        // "Settings 8 to 14 suit espresso" → "Which settings suit espresso?"
        let named = subject.split(separator: " ").map(String.init)
        if isNumberedName(named), case let object = objectHead(rest), !object.isEmpty {
            add("Which \(named[0].lowercased()) \(SentenceFacts.bare(verb).lowercased()) \(object)?", "which-numbered")
            // "Settings 8 to 14 suit espresso": asked as the one to choose.
            if ["suit", "fit", "match"].contains(base) {
                add("Which \(singular(named[0].lowercased())) is best for \(object)?", "which-best")
                add("Which \(singular(named[0].lowercased())) should I use for \(object)?", "which-use")
            }
        }
        if let many = countedSubject(subject) {
            add("How many \(many) \(base) \(phrase(Array(rest.prefix { !$0.hasSuffix(",") }.prefix(3))))?", "count-subject")
        }
        if base == "cost" || (SentenceFacts.hasMoney(rest) && ["charge", "pay", "earn", "raise", "sell"].contains(base)) {
            add("How much \(does) \(x) \(base)?", "price")
        } else if let n = rest.prefix(4).firstIndex(where: SentenceFacts.isNumber), measure(after: rest[n...]) == .duration,
                  rest.dropFirst(n + 2).first.map({ ["before", "after"].contains(SentenceFacts.bare($0).lowercased()) }) == true {
            // "closes 30 minutes before the centre": a time relative to another.
            add("When \(does) \(x) \(base)?", "present-relative-when")
        } else if ["take", "last"].contains(base), rest.contains(where: SentenceFacts.isNumber) {
            add("How long \(does) \(x) \(base)?", "duration")
        } else if let (_, noun) = countedNoun(rest) {
            add("How many \(noun) \(does) \(x) \(base)?", "present-number")
            // "The B7 offers 40 grind settings": asked as what it has.
            if ["offer", "include", "contain", "feature", "provide", "comprise"].contains(base), let n = rest.firstIndex(where: SentenceFacts.isNumber), measure(after: rest[n...]) == .count { add("How many \(noun) \(does) \(x) have?", "present-number-have") }
        } else if ["every", "each", "once", "twice"].contains(next) {
            add("How often \(does) \(x) \(base)?", "how-often")
        } else if ["when", "if", "whenever"].contains(next) {
            add("When \(does) \(x) \(base)?", "present-when")
        } else if ["with", "to", "from", "into", "through", "for", "about", "on"].contains(next) {
            add("What \(does) \(x) \(base) \(next)?", "present-prep")
        } else if !rest.isEmpty, !["in", "at", "there", "here"].contains(next) {
            add("What \(does) \(x) \(base)?", "present")
        }
        if SentenceFacts.hasTime(all) {
            let object = objectHead(rest)
            add("When \(does) \(x) \(base)\(object.isEmpty ? "" : " " + object)?", "present-when")
        }
        // "program 12 makes jam in 65 minutes", "folds in under 20 seconds": how long the action takes.
        if !["take", "last"].contains(base), let i = rest.prefix(6).firstIndex(where: { $0.lowercased() == "in" }), measure(after: rest[(i + 1)...]) == .duration {
            let action = ([base] + rest[..<i]).joined(separator: " ")
            add("How long \(does) \(x) take to \(action)?", "takes-to")
            add("How long does it take to \(action)?", "takes-to-it")
        }
        if ["in", "at"].contains(next), rest.count > 1, SentenceFacts.isCapitalised(rest[1]) || rest[1].lowercased() == "the", !SentenceFacts.isTime(rest[1]) {
            add("Where \(does) \(x) \(base)?", "present-where")
        }
        if let by = rest.firstIndex(where: { $0.lowercased() == "by" }), by > 0, !rest[..<by].contains(where: SentenceFacts.isNumber) {
            add("How \(does) \(x) \(base) \(phrase(Array(rest[..<by])))?", "present-how")
        }
    }

    static func pastQuestions(subject: String, verb: String, rest: [String], all: [String], _ add: (String, String) -> Void) {
        let v = SentenceFacts.bare(verb), object = objectHead(rest)
        guard !object.isEmpty else { return }
        // "took effect", "took place": an idiom, asked only with "When" ("What did the policy take?" asks nothing).
        let idiom = ["effect", "place", "part", "shape"].contains(object.lowercased())
        // People and organisations ("Tidewell Ceramics won ...") are asked with "Who".
        let words = subject.split(separator: " ").map(String.init)
        let named = words.allSatisfy(SentenceFacts.isCapitalised) && !["The", "A", "An", "This", "Its"].contains(words.first ?? "")
        if !idiom { add("\(SentenceFacts.hasRole(subject) || named ? "Who" : "What") \(v) \(object)?", "past-subject") }
        if let base = irregularPast[v.lowercased()], SentenceFacts.hasTime(all) {
            add("When did \(lowerArticle(subject)) \(base) \(object)?", "past-when")
        }
        if let base = irregularPast[v.lowercased()], !idiom {
            add("What did \(lowerArticle(subject)) \(base)?", "past-object")
        }
    }

    /// "the managing director of Tidewell Ceramics" → "Tidewell Ceramics": an organisation a
    /// leading role (director, chief executive, president, head, ...) runs.
    static func ledOrganisation(_ phrase: String) -> String? {
        let leading: Set<String> = ["director", "ceo", "executive", "president", "head", "chair", "chairman", "chairwoman",
                                    "chairperson", "manager", "owner", "principal", "mayor", "rector", "dean", "leader", "boss"]
        let words = phrase.split(separator: " ").map(String.init)
        guard let of = words.firstIndex(where: { $0.lowercased() == "of" }), of + 1 < words.count,
              words[..<of].contains(where: { leading.contains(SentenceFacts.bare($0).lowercased()) }) else { return nil }
        let org = QuestionRules.phrase(Array(words[(of + 1)...]))
        return org.isEmpty ? nil : lowerArticle(org)
    }

    /// "Tidewell Ceramics's headquarters" → "Tidewell Ceramics": whose offices a place sentence gives.
    static func officeOwner(_ subject: String) -> String? {
        for office in ["'s headquarters", "'s head office", "'s main office", "'s offices", "' headquarters"] where subject.hasSuffix(office) {
            return String(subject.dropLast(office.count))
        }
        return nil
    }

    /// "runs" → "run", "carries" → "carry", "watches" → "watch", "has" → "have".
    static func lemma(_ w: String) -> String {
        if w == "has" { return "have" }
        if w == "does" { return "do" }
        if w == "goes" { return "go" }
        if w.hasSuffix("ies") { return String(w.dropLast(3)) + "y" }
        if ["ches", "shes", "sses", "xes", "zes", "oes"].contains(where: w.hasSuffix) { return String(w.dropLast(2)) }
        return String(w.dropLast())
    }
}
