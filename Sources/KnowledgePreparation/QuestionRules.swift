import Foundation

/// A question a person might ask, answered by a fact of the document.
public struct SynthesizedQuestion: Sendable, Equatable, CustomStringConvertible {
    public var question: String
    public var answer: String
    /// The rule (or generator) that wrote it, for the prepared file's readers.
    public var rule: String

    public init(question: String, answer: String, rule: String) {
        self.question = question
        self.answer = answer
        self.rule = rule
    }

    public var description: String { "\(rule): \(question) → \(answer)" }
}

/// What the sentences before this one name: a leading "It"/"Its" stands for the previous
/// sentence's subject (else the topic), "She"/"He" for the last person named.
public struct SentenceContext: Sendable, Equatable {
    /// The document's title, cut at a colon: "Corvane KX-40 Bread Maker".
    public var topic: String?
    /// What the document's first sentence calls the thing the title names: "the Halvard B7" in
    /// "Halvard B7 Burr Grinder: User Guide". People ask with this name, not the title's.
    public var name: String?
    public var previousSubject: String?
    public var person: String?

    public init(topic: String? = nil, name: String? = nil, previousSubject: String? = nil, person: String? = nil) {
        self.topic = topic
        self.name = name
        self.previousSubject = previousSubject
        self.person = person
    }
}

/// Rule-based question synthesis from declarative English sentences, offline and for any
/// model: the sentence's subject and verb decide the question ("X is Y" → "What is X?",
/// "X was founded in Y by Z" → "When was X founded?", "Who founded X?", numbers → "How
/// many ...?", prices → "How much ...?", times → "When ...?", "every ..." → "How often ...?").
/// Every answer is the sentence itself with its leading pronoun resolved, so each fact is
/// restated in full. Sentences no rule fits get "What does the document say about X?".
public enum QuestionRules {
    public static func questions(for sentence: String, topic: String? = nil) -> [SynthesizedQuestion] {
        questions(for: sentence, context: SentenceContext(topic: topic))
    }

    public static func questions(for sentence: String, context: SentenceContext) -> [SynthesizedQuestion] {
        // "Check the tyre pressure every week; the correct pressure is 4.5 bar": each clause is
        // asked on its own and answered with the whole sentence.
        let parts = sentence.components(separatedBy: "; ").filter { !$0.isEmpty }
        if parts.count > 1 {
            let whole = resolvePronoun(sentence.trimmingCharacters(in: .whitespaces), context)
            var out = [SynthesizedQuestion]()
            let isInstruction = { (part: String) in part.split(separator: " ").first.map { instructionVerbs.contains(String($0)) } ?? false }
            for (i, part) in parts.enumerated() {
                // "...; switch the grinder off and wait 15 minutes": an instruction is asked with its signal, below.
                if i > 0, isInstruction(part) { continue }
                for q in questions(for: part, context: context) where !out.contains(where: { $0.question == q.question }) {
                    out.append(SynthesizedQuestion(question: q.question, answer: q.answer.hasPrefix("No. ") ? "No. " + whole : whole, rule: q.rule))
                }
            }
            if let signal = signal(parts[0]), parts.dropFirst().contains(where: isInstruction) {
                for q in ["What should I do if I see \(signal)?", "What should I do when \(signal) appears?"] {
                    out.append(SynthesizedQuestion(question: q, answer: whole, rule: "signal-action"))
                }
            }
            return out
        }
        let answer = resolvePronoun(sentence.trimmingCharacters(in: .whitespaces), context)
        guard !answer.hasSuffix("?"), answer.split(separator: " ").count >= 3 else { return [] }
        var out = [SynthesizedQuestion]()
        let addAnswered: (String, String, String) -> Void = { q, rule, a in
            let q = tidy(q)
            if !out.contains(where: { $0.question == q }) { out.append(SynthesizedQuestion(question: q, answer: a, rule: rule)) }
        }
        let add: (String, String) -> Void = { q, rule in addAnswered(q, rule, answer) }
        var body = answer
        while let last = body.last, ".!;:".contains(last) { body.removeLast() }
        let (all, relative) = withoutAsides(body.split(separator: " ").map(String.init))
        var words = dropIntro(all)
        if let (clause, main) = situation(all) {
            let instruction = [capitalise(main[0])] + main.dropFirst()
            if let asked = instructions(instruction, answer: answer) {
                add("What should I do \(clause)?", "instruction-situation")
                for q in asked { addAnswered(q.question, q.rule, q.answer) }
                return out
            }
            add("What happens \(clause)?", "situation")
            words = main
        }
        if let first = words.first, ["it", "its"].contains(first.lowercased()), context.topic != nil {
            words = resolvePronoun(words.joined(separator: " ").prefix(1).uppercased() + words.joined(separator: " ").dropFirst(), context)
                .split(separator: " ").map(String.init)
        }
        if let asked = gerund(all) {
            for q in asked { add(q, "gerund") }
            return out
        }
        if let there = existential(all) {
            for q in there { add(q.question, q.rule) }
            return out
        }
        if let how = howTo(all) {
            add(how, "how-to")
            return out
        }
        if let asked = instructions(all, answer: answer) {
            for q in asked { addAnswered(q.question, q.rule, q.answer) }
            return out
        }
        let subject = clauses(words, all: all, add)
        if let relative { clauses(relative, all: relative, add) }
        paraphrases(words, answer: answer, add, addAnswered)
        for role in roleAppositives(all) { add("Who is \(role)?", "role-name") }
        if out.isEmpty, let about = subject ?? fallbackSubject(words, topic: context.topic) {
            add("What does the document say about \(lowerArticle(about))?", "fallback")
        }
        if let topic = context.topic {
            out += out.compactMap { naming(topic, name: context.name, in: $0) }.filter { twin in !out.contains { $0.question == twin.question } }
        }
        return out
    }

    /// Questions of the main clause, of a verb joined to it by "and" ("... has twelve pieces
    /// and costs 189 pounds"), and of a ", which ..." clause about the noun before it.
    /// Returns the main clause's subject.
    @discardableResult
    static func clauses(_ words: [String], all: [String], _ add: (String, String) -> Void) -> String? {
        guard let (k, kind) = verb(in: words) else { return nil }
        let subject = subjectPhrase(Array(words[..<k]))
        guard !subject.isEmpty, !pronouns.contains(subject.lowercased()) else { return nil }
        var rest = Array(words[(k + 1)...])
        var joined: [String]?
        let plural = isPlural(subject, verb: words[k])
        var clause: [String]?
        if let and = rest.indices.dropFirst().first(where: { rest[$0].lowercased() == "and" && rest[$0 - 1].hasSuffix(",") }) {
            clause = Array(rest[(and + 1)...])
            rest = Array(rest[..<and])
        }
        if let and = rest.indices.dropFirst().first(where: { i in
            rest[i].lowercased() == "and" && i + 1 < rest.count && (isPresentVerb(rest[i + 1]) || (plural && baseVerbs.contains(rest[i + 1].lowercased())))
        }) {
            joined = Array(rest[(and + 1)...])
            rest = Array(rest[..<and])
        }
        var relative: [String]?
        if let w = rest.indices.first(where: { $0 > 0 && rest[$0 - 1].hasSuffix(",") && ["which", "who"].contains(rest[$0].lowercased()) }) {
            let antecedent = antecedentPhrase(Array(rest[..<w]))
            if !antecedent.isEmpty, w + 1 < rest.count { relative = antecedent.split(separator: " ").map(String.init) + rest[(w + 1)...] }
        }
        // "X does not cover Y": only its negation is a question (see `negations`).
        if ["does", "do", "did"].contains(words[k].lowercased()) { return subject }
        switch kind {
        case .copula, .perfectBe:
            let be = kind == .perfectBe ? (plural ? "are" : "is") : words[k].lowercased()
            copulaQuestions(subject: subject, be: be, predicate: kind == .perfectBe ? Array(rest.dropFirst()) : rest, all: all, add)
        case .have:
            haveQuestions(subject: subject, plural: plural, rest: rest, add)
        case .modal:
            modalQuestions(subject: subject, modal: words[k].lowercased(), rest: rest, all: all, add)
        case .present:
            presentQuestions(subject: subject, verb: words[k], plural: plural, rest: rest, all: all, add)
        case .past:
            pastQuestions(subject: subject, verb: words[k], rest: rest, all: all, add)
        }
        if let joined, let v = joined.first {
            presentQuestions(subject: subject, verb: v, plural: plural, rest: Array(joined.dropFirst()), all: joined, add)
        }
        if let relative { clauses(relative, all: relative, add) }
        if let clause { clauses(clause, all: clause, add) }
        // "The planetarium, called the Starloft, has ..." also says what the planetarium is called.
        if let comma = words[..<k].firstIndex(where: { $0.hasSuffix(",") }), comma + 1 < k, naming.contains(words[comma + 1].lowercased()) {
            let named = lowerArticle(phrase(Array(words[...comma])))
            add("What \(plural ? "are" : "is") \(named) \(words[comma + 1].lowercased())?", "called")
            add("What is the name of \(named)?", "called-name")
        }
        return subject
    }

    /// "A steady orange light means ...", "Error code E01 means ...": the signal a sentence explains.
    static func signal(_ clause: String) -> String? {
        let words = clause.split(separator: " ").map(String.init)
        guard let (k, _) = verb(in: words), ["means", "indicates", "shows"].contains(words[k].lowercased()) else { return nil }
        let subject = subjectPhrase(Array(words[..<k]))
        return subject.isEmpty || pronouns.contains(subject.lowercased()) ? nil : lowerArticle(subject)
    }

    enum VerbKind { case copula, perfectBe, have, modal, present, past }

    static let copulas: Set<String> = ["is", "are", "was", "were"]
    static let auxiliaries: Set<String> = ["has", "have", "had"]
    static let modals: Set<String> = ["can", "will", "may", "must", "should", "could", "would", "cannot"]
    static let pronouns: Set<String> = ["she", "he", "they", "we", "you", "i", "it", "this", "that", "there", "these", "those"]
    /// Common verbs in their base form, for plural subjects: "Guided tours start at 9 pm".
    static let baseVerbs: Set<String> = ["pay", "cost", "start", "work", "open", "close", "need", "take", "last", "visit", "cover", "apply",
                                         "run", "require", "receive", "get", "include", "offer", "use", "go", "come", "begin",
                                         "end", "leave", "arrive", "reach", "return", "charge", "serve", "sell", "make", "hold",
                                         "keep", "show", "give", "live", "meet", "weigh", "contain", "measure", "produce", "earn",
                                         "cross", "connect", "lead", "host", "grow", "teach", "study", "provide", "allow", "carry", "suit",
                                         "buy", "deliver", "own", "choose", "want", "farm", "employ"]
    /// Irregular past forms and their base forms: "When did X win Y?".
    static let irregularPast: [String: String] = ["took": "take", "made": "make", "won": "win", "began": "begin", "became": "become",
                                                  "grew": "grow", "built": "build", "sold": "sell", "bought": "buy", "gave": "give",
                                                  "led": "lead", "left": "leave", "met": "meet", "wrote": "write", "ran": "run",
                                                  "held": "hold", "kept": "keep", "brought": "bring", "came": "come", "went": "go",
                                                  "got": "get", "drew": "draw", "chose": "choose", "rose": "rise", "fell": "fall",
                                                  "spent": "spend", "taught": "teach", "sent": "send", "paid": "pay", "set": "set"]
    /// Things known by a number: "program 12", "gate 5", "level 3".
    static let numberedNouns: Set<String> = ["program", "programme", "setting", "level", "mode", "room", "gate", "platform", "route",
                                             "bus", "line", "floor", "step", "stage", "option", "zone", "track", "door", "channel",
                                             "button", "slot", "bay", "exit", "lane", "block", "unit", "phase", "chapter", "section",
                                             "article", "page", "tier", "grade", "type", "position", "plan", "hall", "wing", "court",
                                             "pool", "studio", "station", "entrance", "terminal", "berth", "pier", "ward", "seat", "row"]
    /// Words that cannot end a subject noun phrase before a verb.
    static let nonHeads: Set<String> = ["the", "a", "an", "of", "and", "or", "in", "on", "at", "for", "with", "to", "by", "from",
                                        "its", "their", "his", "her", "our", "this", "that", "these", "those", "every", "each", "all",
                                        "under", "over", "about", "than", "more", "most", "very"]
    /// Words a subject noun phrase does not contain: where one appears, the verb was missed.
    static let notInSubjects: Set<String> = ["in", "after", "before", "over", "since", "during", "which", "who", "that", "with",
                                             "when", "while", "because", "if", "until", "into", "through"]

    /// The first word that ends a plausible subject and is a verb: be, has/have (been), a
    /// modal, a third-person present ("measures"), a base form after a plural ("tours start")
    /// or a past ("reported", "won").
    static func verb(in words: [String]) -> (Int, VerbKind)? {
        for k in words.indices.dropFirst().prefix(12) {
            let w = words[k].lowercased(), previous = SentenceFacts.bare(words[k - 1]).lowercased()
            if notInSubjects.contains(previous) { return nil }
            guard w == SentenceFacts.bare(w), words[k].first?.isLowercase == true, !nonHeads.contains(previous) else { continue }
            if copulas.contains(w) { return (k, .copula) }
            if auxiliaries.contains(w) {
                return k + 1 < words.count && words[k + 1].lowercased() == "been" ? (k, .perfectBe) : (k, .have)
            }
            if modals.contains(w) { return (k, .modal) }
            let next = k + 1 < words.count ? words[k + 1].lowercased() : ""
            if baseVerbs.contains(w), !words[k - 1].hasSuffix(","), !copulas.contains(next), isPlural(words[..<k].joined(separator: " ")) { return (k, .present) }
            // "three seconds", "The planetarium, called ...": nouns after numbers, participles after commas
            // ("The Volt 7 weighs", "program 12 makes": a number in a name is not a count).
            let named = k >= 2 && (numberedNouns.contains(SentenceFacts.bare(words[k - 2]).lowercased()) || (k >= 3 && SentenceFacts.isCapitalised(words[k - 2])))
            if (SentenceFacts.isNumber(words[k - 1]) && !named) || words[k - 1].hasSuffix(",") { continue }
            // "Quillfeather robots are", "Its headquarters are": a plural noun, not a verb.
            guard !(copulas.contains(next) || modals.contains(next) || auxiliaries.contains(next) || baseVerbs.contains(next)),
                  !previous.hasSuffix("'s") else { continue }
            if isPresentVerb(words[k]) { return (k, .present) }
            if irregularPast[w] != nil || (w.hasSuffix("ed") && w.count >= 5 && w.allSatisfy(\.isLetter)) {
                // "Items returned late are charged": a participle describing the subject.
                if words[(k + 1)...].prefix(2).contains(where: { copulas.contains($0.lowercased()) || modals.contains($0.lowercased()) }) { continue }
                return (k, .past)
            }
        }
        return nil
    }

    static func isPresentVerb(_ word: String) -> Bool {
        let w = word.lowercased()
        guard w == SentenceFacts.bare(w), w.count >= 4, w.allSatisfy(\.isLetter), w.hasSuffix("s") else { return false }
        return !w.hasSuffix("ss") && !w.hasSuffix("us") && !w.hasSuffix("is") && !w.hasSuffix("ics")
    }

    /// Whether a subject's head noun (before any "of ...") is plural: "Visitors from outside", "About 28 staff and 60 volunteers".
    static func isPlural(_ subject: String) -> Bool {
        let words = subject.split(separator: " ").map { SentenceFacts.bare($0).lowercased() }
        if words.contains("and") { return true }
        // "Settings 8 to 14": the noun, not its numbers.
        let head = words.prefix { !["of", "from", "under", "with", "in", "at", "for", "about", "on"].contains($0) }
            .last { !SentenceFacts.isNumber($0) && $0 != "to" } ?? ""
        if ["people", "children", "staff", "men", "women", "police", "they", "we", "you"].contains(head) { return true }
        return head.hasSuffix("s") && !head.hasSuffix("ss") && !head.hasSuffix("us") && !head.hasSuffix("'s") && head.count > 3
    }

    /// `isPlural(subject)` unless its verb says it is one thing: "Brightwater Ferries has nine vessels".
    static func isPlural(_ subject: String, verb: String) -> Bool {
        let v = SentenceFacts.bare(verb).lowercased()
        return isPlural(subject) && !["is", "was", "has", "does"].contains(v) && !(isPresentVerb(v) && v.hasSuffix("s") && !v.hasSuffix("ss"))
    }

    /// "It" → the previous subject or the topic, "Its" → "<topic>'s", "She"/"He" → the last person named.
    static func resolvePronoun(_ sentence: String, _ context: SentenceContext) -> String {
        let short = context.previousSubject.flatMap { $0.split(separator: " ").count <= 6 ? $0 : nil }
        let it = short ?? context.name ?? context.topic
        var replacements = [(String, String)]()
        if let it { replacements.append(("It ", capitalise(it) + " ")) }
        if let owner = context.name ?? context.topic { replacements.append(("Its ", capitalise(owner) + "'s ")) }
        if let person = context.person { replacements += [("She ", person + " "), ("He ", person + " ")] }
        // "It was Ember Kraut, a sauerkraut ..., that put the company on the map": a cleft's "It" stands for nothing.
        // A cleft opens on what it stresses, a name or a time, not on a verb ("It was formed in 1987,
        // when 11 families pooled savings to buy a store that ...").
        let words = sentence.split(separator: " ")
        if words.count > 2, words[0] == "It", ["is", "was"].contains(words[1]), words.dropFirst(3).contains(where: { $0 == "that" || $0 == "who" }),
           SentenceFacts.isCapitalised(String(words[2])) || ["in", "on", "at", "only", "not", "because", "during", "after", "before"].contains(words[2]) {
            replacements.removeAll { $0.0 == "It " }
        }
        for (pronoun, replacement) in replacements where sentence.hasPrefix(pronoun) {
            return replacement + sentence.dropFirst(pronoun.count)
        }
        // "Today it has 146 member farms", "Besides the packhouse at Stane Cross, it runs ...": the
        // main clause's "it" after an opening adverb or prepositional phrase.
        let adverbs: Set<String> = ["today", "now", "currently", "nowadays", "also", "still", "later"]
        let prepositions: Set<String> = ["in", "on", "at", "since", "from", "during", "after", "before", "until", "by", "under", "for", "besides", "apart", "outside"]
        if let it, let first = words.first.map({ SentenceFacts.bare($0).lowercased() }),
           let j = words.prefix(12).firstIndex(of: "it"), j + 1 < words.count, words[j + 1].first?.isLowercase == true,
           (j == 1 && adverbs.contains(first)) || (j > 1 && words[j - 1].hasSuffix(",") && prepositions.contains(first)) {
            return (words[..<j] + [Substring(lowerArticle(it))] + words[(j + 1)...]).joined(separator: " ")
        }
        return sentence
    }

    /// "the head librarian, Ottoline Wexford" → "the head librarian": a role named by the person after it.
    static func roleAppositives(_ words: [String]) -> [String] {
        words.indices.compactMap { i in
            guard words[i].hasSuffix(","), i + 2 < words.count, SentenceFacts.isPersonName(words[(i + 1)...(i + 2)].map(SentenceFacts.bare).joined(separator: " ")),
                  let the = words[..<i].lastIndex(where: { $0.lowercased() == "the" }), i - the <= 4 else { return nil }
            let role = phrase(Array(words[the...i]))
            return SentenceFacts.hasRole(role) ? role : nil
        }
    }

    static func capitalise(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
}
