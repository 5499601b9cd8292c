import Foundation
import Retrieval

/// Turns one document into knowledge examples: fact-level views (windows from each sentence
/// boundary, paragraphs reordered), synthesised questions with full-sentence answers (rules,
/// and the model's own when `writeQuestions` is given), and "Tell me about X" overviews.
/// The same document and settings give the same examples, in the same order.
public struct KnowledgePreparer {
    /// Sentences per fact view.
    public static let viewSentences = 3
    /// Orders of the paragraphs besides the document's own.
    public static let paragraphOrders = 2

    /// Model-written pairs for a paragraph (see `ModelQuestionWriter`), or nil for rules only.
    public var writeQuestions: ((_ paragraph: String, _ title: String?) throws -> [SynthesizedQuestion])?

    /// Whether a question (the user's message) and its answer fit one training sequence; a
    /// grounded question that would not is asked plain. Nil: all fit.
    public var fits: ((_ question: String, _ answer: String) -> Bool)?

    public init(writeQuestions: ((String, String?) throws -> [SynthesizedQuestion])? = nil, fits: ((String, String) -> Bool)? = nil) {
        self.writeQuestions = writeQuestions
        self.fits = fits
    }

    public func prepare(document text: String, path: String) throws -> [PreparedExample] {
        let document = DocumentText(parsing: text)
        guard !document.paragraphs.isEmpty else { throw KnowledgePreparationError.nothingToLearn(path: path) }
        let topic = Self.topic(of: document)
        var out = [PreparedExample]()
        for paragraph in document.paragraphs {
            let s = paragraph.sentences
            for i in s.indices {
                out.append(.passage(s[i..<min(i + Self.viewSentences, s.count)].joined(separator: " "), .factView))
            }
        }
        out += paragraphViews(document, topic: topic)
        out += Self.grounded(Self.ruleQuestions(document), sentences: document.statements, fits: fits ?? { _, _ in true })
        if let writeQuestions {
            for paragraph in document.paragraphs {
                for q in try writeQuestions(paragraph.text, topic) { out.append(.chat(q.question, q.answer, .question, generator: q.rule)) }
            }
        }
        out += overviews(document, topic: topic)
        return out
    }

    /// What the document is about: its title's name part, else its first sentence's subject.
    static func topic(of document: DocumentText) -> String? {
        document.title.map(Self.topic(ofTitle:)) ?? document.sentences.first.flatMap(Self.subject(of:))
    }

    /// The rule-synthesised questions of each statement (`document.statements`' order and count),
    /// as `prepare` trains them; what grounding indexes each sentence by as well.
    public static func ruleQuestions(_ document: DocumentText) -> [[PreparedExample]] {
        let topic = topic(of: document)
        let name = Self.name(of: document, topic: topic)
        let names = name.map { [$0] + (Self.shortName(of: document, name: $0).map { [$0] } ?? []) } ?? []
        let bareNames = names.map { $0.split(separator: " ").drop { $0 == "the" }.joined(separator: " ") }
        var context = SentenceContext(topic: topic, name: name)
        var mentioned = 0
        var namedAsked = Set<String>()
        var out = [[PreparedExample]]()
        for paragraph in document.paragraphs {
            context.previousSubject = nil
            // A list item's questions name something of the item: the lead's alone ("What does the
            // company operate?") would be asked of every item, each time with another answer.
            let item = paragraph.lead == nil ? nil : Set(paragraph.sentences[0].split(separator: " ").map { SentenceFacts.bare($0).lowercased() }.filter { $0.count > 3 || $0.contains(where: \.isNumber) })
            func ofItem(_ q: SynthesizedQuestion) -> Bool {
                item.map { !$0.isDisjoint(with: q.question.split(separator: " ").map { SentenceFacts.bare($0).lowercased() }) } ?? true
            }
            for sentence in paragraph.statements {
                var own = [PreparedExample]()
                let questions = QuestionRules.questions(for: sentence, context: context).filter(ofItem)
                for q in questions {
                    own.append(.chat(q.question, q.answer, .question, generator: "rules"))
                }
                // "How much does a spare KX-40 pan cost?": people name the product when they ask
                // about its parts, so the first and last questions of a sentence that names it
                // nowhere are asked with the product's name too (its full and short names in turn).
                if !names.isEmpty, !questions.contains(where: { q in bareNames.contains { q.question.contains($0) } }) {
                    for q in questions.count > 1 ? [questions[0], questions[questions.count - 1]] : questions {
                        own.append(.chat(QuestionRules.asked(q.question, about: names[mentioned % names.count]), q.answer, .question, generator: "rules"))
                        mentioned += 1
                    }
                }
                // Asked once per document: the first sentence that names a thing answers for it.
                for q in QuestionRules.named(for: sentence, context: context) + QuestionRules.measures(for: sentence, context: context)
                    + QuestionRules.people(for: sentence, context: context)
                    + QuestionRules.inPlace(for: sentence, context: context)
                where ofItem(q) && !questions.contains(where: { $0.question == q.question }) && namedAsked.insert(q.question).inserted {
                    own.append(.chat(q.question, q.answer, .question, generator: "rules"))
                }
                context.previousSubject = Self.antecedent(of: QuestionRules.resolvePronoun(sentence, context), topic: topic)
                context.person = Self.lastPerson(in: sentence) ?? context.person
                out.append(own)
            }
        }
        return out
    }

    /// The document's statements as grounding indexes them: each with its heading, the document's
    /// title and its rule questions (`ruleQuestions`).
    public static func passages(_ document: DocumentText) -> [PassageIndex.Passage] {
        let statements = document.paragraphs.flatMap { p in p.statements.map { (text: $0, heading: p.heading) } }
        return zip(statements, ruleQuestions(document)).map { s, questions in
            PassageIndex.Passage(s.text, heading: s.heading, title: document.title, questions: questions.compactMap { $0.messages?.first?.content })
        }
    }

    /// How the rule questions are shown, in turn, as in RAFT (Zhang et al., 2024): a third as they
    /// are, so the facts are learned by heart, and the rest as the server grounds a question
    /// (`GroundedPrompt`, one passage): beside the sentence that answers it, or beside the other
    /// sentence that ranks first for the question, answered from memory all the same.
    enum GroundedView { case plain, own, next }
    static let groundedViews: [GroundedView] = [.plain, .own, .plain, .own, .own, .next]

    /// Each sentence's questions (`ruleQuestions`) in `groundedViews` turn, counted over the document.
    static func grounded(_ questions: [[PreparedExample]], sentences: [String], fits: (String, String) -> Bool) -> [PreparedExample] {
        let index = PassageIndex(passages: zip(sentences, questions).map { s, q in PassageIndex.Passage(s, questions: q.compactMap { $0.messages?.first?.content }) })
        var turn = 0
        return zip(sentences.indices, questions).flatMap { i, own in
            own.map { example in
                defer { turn += 1 }
                let question = example.messages![0].content
                let shown: Int
                switch groundedViews[turn % groundedViews.count] {
                case .plain: return example
                case .own: shown = i
                // Without another sentence sharing a word, the next in the document stands in.
                case .next: shown = index.ranked(for: question).first { $0.index != i }?.index ?? (i + 1) % sentences.count
                }
                let prompt = GroundedPrompt.text(question: question, passages: [sentences[shown]]), answer = example.messages![1].content
                return fits(prompt, answer) ? .chat(prompt, answer, .groundedQuestion, generator: example.generator) : example
            }
        }
    }

    /// The paragraphs two at a time, in `paragraphOrders` fixed shuffles, under the title:
    /// each paragraph is seen after others than in the document.
    func paragraphViews(_ document: DocumentText, topic: String?) -> [PreparedExample] {
        let texts = document.paragraphs.map(\.text)
        guard texts.count > 1 else { return [] }
        var out = [PreparedExample]()
        var state = UInt64(texts.joined().utf8.count) | 1
        for _ in 0..<Self.paragraphOrders {
            var order = Array(texts.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                // xorshift64: a fixed order for a given document, independent of the standard library.
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                order.swapAt(i, Int(state % UInt64(i + 1)))
            }
            for pair in stride(from: 0, to: order.count, by: 2) {
                let body = order[pair..<min(pair + 2, order.count)].map { texts[$0] }.joined(separator: "\n\n")
                out.append(.passage(topic.map { "\($0)\n\n" + body } ?? body, .paragraphView))
            }
        }
        return out
    }

    /// "Tell me about <topic>" → the opening paragraph; "Tell me about the <heading> of <topic>"
    /// → that section's first paragraph; without headings, each paragraph under its subject.
    func overviews(_ document: DocumentText, topic: String?) -> [PreparedExample] {
        var out = [PreparedExample]()
        if let topic { out.append(.chat("Tell me about \(topic).", document.paragraphs[0].text, .overview, generator: "rules")) }
        var seen = Set<String>()
        for (i, p) in document.paragraphs.enumerated() where i > 0 {
            let question: String
            if let heading = p.heading, heading != document.title, let topic, !heading.contains(topic) {
                guard seen.insert(heading).inserted else { continue }
                question = "Tell me about the \(heading.lowercased()) of \(topic)."
            } else if document.title == nil || p.heading == document.title, let subject = Self.subject(of: p.sentences[0]), subject != topic {
                question = "Tell me about \(QuestionRules.lowerArticle(subject))."
            } else {
                continue
            }
            out.append(.chat(question, p.text, .overview, generator: "rules"))
        }
        return out
    }

    /// "Corvane KX-40 Bread Maker: Quick Manual" → "Corvane KX-40 Bread Maker": what questions name.
    static func topic(ofTitle title: String) -> String {
        let cut = title.split(whereSeparator: { ":–—(".contains($0) }).first.map(String.init) ?? title
        return cut.trimmingCharacters(in: .whitespaces).isEmpty ? title : cut.trimmingCharacters(in: .whitespaces)
    }

    /// "the Halvard B7" for "The Halvard B7 is ..." under "Halvard B7 Burr Grinder": the first
    /// sentence's subject when it is a shorter name made of the topic's words.
    static func name(of document: DocumentText, topic: String?) -> String? {
        guard let topic, let subject = subject(of: document.sentences[0]) else { return nil }
        let words = subject.split(separator: " ").map(String.init).drop { $0 == "The" }
        let topicWords = Set(topic.split(separator: " ").map(String.init))
        guard !words.isEmpty, words.allSatisfy(topicWords.contains), words.joined(separator: " ") != topic else { return nil }
        return QuestionRules.lowerArticle(subject)
    }

    /// "the KX-40" beside "the Corvane KX-40": the first sentence subject, after the first, made of
    /// the name's last words.
    static func shortName(of document: DocumentText, name: String) -> String? {
        let words = name.split(separator: " ").map(String.init).drop { $0 == "the" }
        for sentence in document.sentences.dropFirst() {
            guard let subject = subject(of: sentence) else { continue }
            let short = subject.split(separator: " ").map(String.init).drop { $0 == "The" }
            if !short.isEmpty, short.count < words.count, Array(words.suffix(short.count)) == Array(short) { return QuestionRules.lowerArticle(subject) }
        }
        return nil
    }

    /// The last run of two to four capitalised words that reads as a person's name.
    static func lastPerson(in sentence: String) -> String? {
        let words = sentence.split(separator: " ").map { SentenceFacts.bare($0) }
        var best: String?
        for i in words.indices.dropFirst() {
            for n in [3, 2] where i + n <= words.count {
                let name = words[i..<(i + n)].joined(separator: " ")
                if SentenceFacts.isPersonName(name), !(words[i - 1].first?.isUppercase ?? false) { best = name; break }
            }
        }
        return best
    }

    /// What a next sentence's "It" stands for: the subject, unless that is plural or a person
    /// ("Beginners start with the Gullwing Trainer, while pilots choose the Skyreel 4, a stunt kite.
    /// It is made with ..."), then the last thing the sentence names.
    static func antecedent(of sentence: String, topic: String? = nil) -> String? {
        guard let (subject, verb) = clause(of: sentence) else { return nil }
        let singular = !QuestionRules.isPlural(subject, verb: verb)
        // "Orrin Isles Air" is shaped like a person's name, but it is what the document is about.
        let person = SentenceFacts.isPersonName(subject) && topic.map { !$0.lowercased().contains(subject.lowercased()) } ?? true
        if singular, !person { return subject }
        let words = sentence.split(separator: " ").map(String.init)
        guard let (range, name) = QuestionRules.names(in: words).last(where: { !SentenceFacts.isPersonName($0.1) }) else { return nil }
        return range.lowerBound > 0 && words[range.lowerBound - 1].lowercased() == "the" ? "the " + name : name
    }

    /// The subject of a sentence, when a rule finds one: what a paragraph is about.
    static func subject(of sentence: String) -> String? { clause(of: sentence)?.subject }

    /// The subject and its verb.
    static func clause(of sentence: String) -> (subject: String, verb: String)? {
        let words = QuestionRules.dropIntro(QuestionRules.withoutAsides(sentence.split(separator: " ").map(String.init)).words)
        guard let (k, _) = QuestionRules.verb(in: words) else { return nil }
        let s = QuestionRules.subjectPhrase(Array(words[..<k]))
        return s.isEmpty || s.split(separator: " ").count > 8 ? nil : (s, words[k].lowercased())
    }
}
