import Foundation
import Testing
@testable import Retrieval

struct PassageIndexTests {
    static let passages = [
        "Boats may be booked by members up to seven days ahead.",
        "The boathouse opens at 6 am on weekdays.",
        "A late fee of £25 is added after 30 April.",
        "Members who damage a boat pay the first £150.",
    ]
    static let index = PassageIndex(passages: passages.map { .init($0) })

    @Test func termsDropFunctionWordsAndFoldEndings() {
        #expect(PassageIndex.terms("Which boats may members book?") == ["boat", "member", "book"])
        #expect(PassageIndex.terms("It costs £12.50, or 1,200 pence.") == ["price", "12.50", "1,200", "penc"])
        // One concept, however it is asked or stated.
        #expect(PassageIndex.terms("How heavy is it? It weighs 14.5 kg.") == ["weight", "weight", "14.5", "weight"])
        #expect(PassageIndex.terms("Tickets? Entry costs £7.") == ["admission", "admission", "price", "7"])
        #expect(PassageIndex.terms("The class's classes opened, opening") == ["class", "class", "open", "open"])
        #expect(PassageIndex.terms("Prices, a price; her retirement, when did she retire?") == ["price", "price", "retir", "retir"])
        // "These days" is now, not a day of the week; "days" alone is.
        #expect(PassageIndex.terms("Who runs it these days?") == ["run"] && PassageIndex.terms("Which days does it run?") == ["day", "run"])
        #expect(PassageIndex.terms("Have they won a prize? The Golden Bristle Award") == ["won", "award", "golden", "bristl", "award"])
    }

    /// Words and stems from Snowball's own English stemmer (snowballstemmer 3.1.1 of PyPI), which
    /// gave the same stems for all 18,255 words of the fixtures, the README and licence texts.
    @Test func stemsAreSnowballsEnglish() {
        let reference = [
            ("prices", "price"), ("cancellation", "cancel"), ("cancelled", "cancel"), ("opening", "open"), ("generously", "generous"),
            ("warranty", "warranti"), ("instalments", "instal"), ("refundable", "refund"), ("dying", "die"), ("skies", "sky"),
            ("hopping", "hop"), ("hoping", "hope"), ("bags", "bag"), ("gas", "gas"), ("kiwis", "kiwi"), ("crying", "cri"),
            ("by", "by"), ("agreed", "agre"), ("feed", "feed"), ("succeed", "succeed"), ("communication", "communic"),
            ("university", "universiti"), ("internal", "internal"), ("evening", "evening"), ("added", "add"), ("national", "nation"),
            ("relational", "relat"), ("electrical", "electr"), ("hopefulness", "hope"), ("membership", "membership"),
            ("weekly", "week"), ("annually", "annual"), ("admission", "admiss"), ("replacement", "replac"), ("operating", "oper"),
            ("visitors", "visitor"), ("geologist", "geolog"), ("pastime", "pastim"), ("yearly", "year"), ("saying", "say"),
            ("café", "café"), ("e2", "e2"), ("1,200", "1,200"),
        ]
        for (word, stem) in reference { #expect(EnglishStemmer.stem(word) == stem, "\(word)") }
    }

    /// Okapi BM25 by hand: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf saturated by k1 = 1.2 and
    /// the passage length against the average (b = 0.75).
    @Test func scoresAreOkapiBM25() {
        let index = Self.index
        let lengths = Self.passages.map { Double(PassageIndex.terms($0).count) }
        let average = lengths.reduce(0, +) / 4
        func part(df: Double, tf: Double, length: Double) -> Double {
            log(1 + (4 - df + 0.5) / (df + 0.5)) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
        }
        // "boat" is in passages 0 and 3, "member" too, "damag" (damage) in 3 only ("pay" is "price", as "fee" is).
        let q: Set<String> = ["boat", "member", "damag"]
        #expect(abs(index.score(3, query: q) - (2 * part(df: 2, tf: 1, length: lengths[3]) + part(df: 1, tf: 1, length: lengths[3]))) < 1e-12)
        #expect(abs(index.score(0, query: q) - 2 * part(df: 2, tf: 1, length: lengths[0])) < 1e-12)
        #expect(index.score(1, query: q) == 0)
    }

    @Test func topKeepsTheBestInWrittenOrder() {
        let index = Self.index
        #expect(index.topTexts(1, for: "What do I pay if I damage a boat?") == [Self.passages[3]])
        // The best two, read in the document's order.
        #expect(index.topTexts(2, for: "When can members book boats, and what if they damage one?") == [Self.passages[0], Self.passages[3]])
        // Nothing that shares no term with the question.
        #expect(index.topTexts(3, for: "What is the capital of France?") == [])
        #expect(index.topTexts(9, for: "late").count == 1)
        // A heading's words find the sentences under it.
        let headed = PassageIndex(passages: [.init("Members pay the first £150.", heading: "Boat damage"), .init("The boathouse opens at 6 am.")])
        #expect(headed.topTexts(1, for: "What about damage?") == ["Members pay the first £150."])
    }

    /// A draft answer ranks with the question, each score over its best, the draft's at half
    /// weight; a passage that shares nothing with the question is never given.
    @Test func aDraftAnswerRanksWithTheQuestion() {
        let index = PassageIndex(passages: [
            "The ferry leaves the harbour at 7:40 every morning.", "Tickets for the ferry cost 6 pounds.", "The crossing takes forty minutes.",
        ].map { .init($0) })
        let question = "When does the ferry go?"
        // The shorter sentence wins on "ferry" alone.
        #expect(index.topTexts(1, for: question) == [index.passages[1].text])
        let q = index.scores(for: question), d = index.scores(for: "The ferry leaves at 7:40.")
        #expect(d[0] > d[1] && q[0] / q[1] + 0.5 > 1 + 0.5 * d[1] / d[0])
        #expect(index.topTexts(1, for: question, draft: "The ferry leaves at 7:40.") == [index.passages[0].text])
        #expect(index.topTexts(3, for: question, draft: "The crossing takes forty minutes.") == [index.passages[0].text, index.passages[1].text])
        #expect(index.topTexts(1, for: "What is the capital of France?", draft: "The ferry leaves at 7:40.") == [])
    }

    /// The document's title is indexed with each of its sentences, so the subject's name does not
    /// pick the one sentence that spells it out.
    @Test func aTitlesWordsDoNotPickASentence() {
        let sentences = ["Fenwick Lane Tool Library lends tools to its members.", "Renewals are paid at the counter."]
        let question = "Where are renewals paid at Fenwick Lane Tool Library?"
        #expect(PassageIndex(passages: sentences.map { .init($0) }).topTexts(1, for: question) == [sentences[0]])
        let titled = PassageIndex(passages: sentences.map { .init($0, heading: "Borrowing", title: "Fenwick Lane Tool Library") })
        #expect(titled.topTexts(1, for: question) == [sentences[1]])
        // A title that is the heading counts once.
        #expect(PassageIndex.Passage("A.", heading: "T", title: "T").indexedText == ["A.", "T"])
    }

    @Test func questionsAskForKindsOfFact() {
        func asked(_ q: String) -> [String] { AnswerType.asked(by: q).map(\.name) }
        #expect(asked("How much is a spare paddle?") == ["money"])
        #expect(asked("How much water can it remove in a day?") == ["rate", "quantity"])
        #expect(asked("How heavy is the DH-30?") == ["weight"])
        #expect(asked("How far can I ride on one charge?") == ["distance"])
        #expect(asked("What wattage is the bread maker?") == ["power"])
        #expect(asked("At what speed does the motor stop?") == ["speed"])
        #expect(asked("How loud is Quiet mode?") == ["loudness"])
        #expect(asked("How long can I keep a tool?") == ["duration"])
        #expect(asked("When was the museum built?") == ["date", "founding"])
        #expect(asked("How many staff work there?") == ["count"])
        #expect(asked("Who is in charge of the company?") == ["leader"] && asked("Who's running the business these days?") == ["leader"])
        #expect(asked("Who founded it?") == ["founding"] && asked("Who can join?") == [])
        #expect(asked("When do these berthing terms start?") == ["date", "effective"])
        #expect(asked("From what date does this policy apply?") == ["date", "effective"] && asked("Does the fee apply to children?") == ["money"])
        #expect(asked("What year did the pottery get going?") == ["date", "founding"])
        #expect(asked("How old is the library?") == ["founding"] && asked("How old must a child be?") == [])
        #expect(asked("When did the founder Edda finally retire?") == ["date"] && asked("Edda retired. Who was the founder?") == ["founding"])
        #expect(asked("When do these new rules kick in?") == ["date", "effective"])
        #expect(asked("When does the shop open?") == ["date"])
        #expect(asked("What colour is the trimmer?") == ["colour"])
        #expect(asked("What's the latest I can arrive?") == ["time"] && asked("Is it noisy?") == ["loudness"])
        #expect(asked("When was the lighthouse finished?") == ["date", "founding"] && asked("Who's the chairman?") == ["leader"])
        let stated = { (type: String, passage: String) in AnswerType.all.first { $0.name == type }!.isStated(in: passage) }
        #expect(stated("money", "A spare paddle costs £6.50.") && !stated("money", "Paddles are spare parts."))
        #expect(stated("weight", "It weighs 14.5 kg empty.") && !stated("weight", "It is heavy."))
        #expect(stated("duration", "It has a 13-hour delay timer.") && stated("duration", "Loans last seven days."))
        #expect(stated("date", "It was built in 1788.") && stated("date", "Renew by 30 April.") && !stated("date", "It holds 1,200 books."))
        #expect(stated("loudness", "Noise falls to 34 dB.") && stated("speed", "Support stops at 25 km/h."))
        #expect(stated("power", "It is rated at 650 W on a 230 V supply.") && stated("power", "a 250-watt motor") && !stated("power", "Press the power button."))
        #expect(stated("founding", "It was formed in 1987, when 11 families pooled savings.") && stated("founding", "It has been watching the sky since 1896.")
                && !stated("founding", "In 2022 the pottery won a Gold Award.") && !stated("founding", "It was founded by two brothers."))
        #expect(!stated("founding", "Since 2016 it has been run by the founders' granddaughter.")
                && !stated("founding", "The museum has been led since 2015 by its curator."))
        #expect(stated("colour", "The body is moulded in lime-green ABS.") && !stated("colour", "The body is moulded in ABS."))
        #expect(stated("time", "Pitches must be vacated by 11am.") && stated("time", "Open 9:30 to 17:00") && !stated("time", "It costs £11."))
        #expect(stated("effective", "They take effect on 1 February 2027.") && stated("effective", "Ferncastle Rowing Club — effective 1 March 2027")
                && !stated("effective", "It was approved on 14 January 2025."))
        #expect(stated("effective", "These rules apply from 1 April 2025.") && !stated("effective", "A late fee of £25 applies from 1 May."))
        #expect(stated("leader", "Since 2014 the managing director has been Tobiah Quillfen-Ashe.") && stated("leader", "She retired and handed the business to her nephew.")
                && !stated("leader", "The business was founded by two sisters."))
        #expect(stated("rate", "It removes up to 20 litres of moisture per day.") && stated("rate", "Juniors pay £15 a month.")
                && !stated("rate", "Its water tank holds 4.5 litres.") && !stated("rate", "It is open every day."))
    }

    /// A month, weekday or date a question names meets the spans passages state, in none of the same words.
    @Test func aDayMeetsItsSeason() {
        func holds(_ passage: String, _ question: String) -> Bool { CalendarMention(passage).holds(CalendarMention(question)) }
        #expect(CalendarMention("From November to February it opens only at weekends.") == CalendarMention(months: [11, 12, 1, 2], weekdays: [6, 7]))
        #expect(CalendarMention("Open Mon–Fri, Apr-Oct") == CalendarMention(months: [4, 5, 6, 7, 8, 9, 10], weekdays: [1, 2, 3, 4, 5]))
        #expect(CalendarMention("It is closed on 25 and 26 December.") == CalendarMention(months: [12], dates: [1225, 1226]))
        #expect(CalendarMention("Closed 24–26 December and on 1st January") == CalendarMention(months: [12, 1], dates: [1224, 1225, 1226, 101]))
        #expect(CalendarMention("Since April 2017 the director has been …") == CalendarMention(months: [4]))
        // "May" is a month beside a date or a word of time, not as a verb.
        #expect(CalendarMention("May I bring my dog? It may rain.").isEmpty && CalendarMention("What if I renew in mid-May?") == CalendarMention(months: [5]))
        #expect(CalendarMention("A late fee applies from 1 May.") == CalendarMention(months: [5], dates: [501]))
        #expect(CalendarMention("The café opens April to May.") == CalendarMention(months: [4, 5]) && CalendarMention("Members wishing to leave may resign.").isEmpty)
        #expect(holds("From November to February it opens only at weekends.", "Could we visit on a Tuesday in January?"))
        #expect(!holds("From March to October the castle opens daily.", "Could we visit on a Tuesday in January?"))
        #expect(holds("From March to October the castle opens daily.", "What's the latest we can arrive on a summer afternoon?"))
        #expect(holds("It is closed on 25 and 26 December.", "Can I go out rowing on Boxing Day?"))
        #expect(!holds("It opens 7am to 5pm from October to March.", "Can I go out rowing on Boxing Day?"))
        #expect(holds("It is open Thursday to Monday.", "Can I come this weekend?") && !holds("It is open Thursday to Monday.", "Is it open on Tuesdays?"))
        #expect(!holds("Tickets cost £8.", "How much is a ticket?"))
        let index = PassageIndex(passages: ["From March to October the castle opens daily, 10am to 5pm.", "From November to February it opens only at weekends."].map { .init($0) })
        #expect(index.topTexts(1, for: "Does the castle open on a Tuesday in January?") == ["From November to February it opens only at weekends."])
    }

    /// An age a question gives meets the age bands passages state, in none of the same words.
    @Test func anAgeMeetsItsBand() {
        #expect(AgeBand.ages(in: "My daughter is 12. How much is her membership?") == [12])
        #expect(AgeBand.ages(in: "Do I need to pay for my 5-year-old to swim with me?") == [5])
        #expect(AgeBand.ages(in: "I'm 70. Can I get a discount?") == [70] && AgeBand.ages(in: "I’m 16 and want to join.") == [16])
        #expect(AgeBand.ages(in: "My mum's 72, what will she pay?") == [72] && AgeBand.ages(in: "She's 3.") == [3])
        #expect(AgeBand.ages(in: "I'm 40 and bringing my 12-year-old.") == [40, 12])
        #expect(AgeBand.ages(in: "What is 12 times 3?") == [] && AgeBand.ages(in: "I am 20 minutes late.") == [] && AgeBand.ages(in: "Is my bag 5 kg too heavy?") == [])
        let juniors = "Juniors aged 8 to 17 pay £15 a month; children under 8 swim free."
        #expect(AgeBand.holds(12, in: juniors) && AgeBand.holds(5, in: juniors) && !AgeBand.holds(30, in: juniors))
        #expect(AgeBand.holds(70, in: "Concession rates are available to tenants aged 65 or over.") && !AgeBand.holds(40, in: "… aged 65 or over."))
        #expect(AgeBand.holds(10, in: "Entry costs £3.50 for children aged 5–15.") && AgeBand.holds(80, in: "Residents over 75 and children travel free."))
        // "under" a number that measures something else, or without ages named, is no band.
        #expect(!AgeBand.holds(5, in: "Children must finish in under 20 minutes.") && !AgeBand.holds(5, in: "Parcels under 8 are free."))
        #expect(AgeBand.holds(3, in: "Under 5s go free.") && !AgeBand.holds(7, in: "Under 5s go free."))
        #expect(AgeBand.holds(22, in: "Student (18 to 24, in full-time education): £140") && !AgeBand.holds(30, in: "Student (18 to 24): £140"))
        #expect(AgeBand.holds(70, in: "Seniors (65+) and students: £11") && !AgeBand.holds(40, in: "Seniors (65+): £11") && !AgeBand.holds(12, in: "Open (10 to 16) daily."))
        #expect(AgeBand.holds(12, in: "Children 5 to 15: £4") && !AgeBand.holds(4, in: "Children 5 to 15: £4"))
        #expect(AgeBand.holds(4, in: "Under-fives: free") && !AgeBand.holds(5, in: "Under-fives: free") && AgeBand.holds(3, in: "Under-5s: free"))
        #expect(AgeBand.holds(70, in: "Visitors 65 and over: £7") && !AgeBand.holds(60, in: "Visitors 65 and over: £7"))
        #expect(!AgeBand.holds(70, in: "Orders of £50 and over ship free to children's homes."))
        #expect(AgeBand.ages(in: "How much for my four-year-old?") == [4] && AgeBand.ages(in: "My fourteen-year-old wants to join.") == [14])
        let index = PassageIndex(passages: ["Adults pay £30 a month.", "Juniors aged 8 to 17 pay £15 a month."].map { .init($0) })
        #expect(index.topTexts(1, for: "I'm 12. How much is it a month?") == ["Juniors aged 8 to 17 pay £15 a month."])
        #expect(index.topTexts(1, for: "I'm 42. How much is it a month?") == ["Adults pay £30 a month."])
    }

    /// A code the question names picks the sentence that explains it; a model code many sentences name picks nothing.
    @Test func aCodeThatFewSentencesNamePicksThem() {
        #expect(PassageIndex.codes(in: "The display is showing E2. What do I do?") == ["e2"])
        #expect(PassageIndex.codes(in: "How much is filter FD-F1?") == ["f1"] && PassageIndex.codes(in: "How heavy is the DH-30?") == [])
        let index = PassageIndex(passages: [
            "If a code shows on the HX40's display, switch the display off.", "E2 means the HX40 has overheated.", "The HX40 weighs 9 kg.",
        ].map { .init($0) })
        #expect(index.topTexts(1, for: "The display is showing E2. What do I do?") == ["E2 means the HX40 has overheated."])
        #expect(index.topTexts(1, for: "What does the HX40 display show?") == ["If a code shows on the HX40's display, switch the display off."])
    }

    /// A kind of fact that stands alone (founded in a year, a colour) gains its bonus without a
    /// word of the question ("set up" shares nothing with "founded"); a year alone does not.
    @Test func aFactThatStandsAloneRanksWithoutASharedWord() {
        func vectors(_ texts: [String]) -> [[Float]] { texts.map { _ in [1, 0] } }
        var index = PassageIndex(passages: [
            "An award was won in 2022.", "It was set up in 1987 by eleven families.", "The pottery sells mugs.",
        ].map { .init($0) })
        index.embed(in: EmbeddingSpace(layer: 1, dimensions: 2), vectors)
        let question = "When was the pottery founded?"
        #expect(index.scores(for: question) == [0, 0, index.scores(for: question)[2]])
        let rank = Dictionary(uniqueKeysWithValues: index.ranked(for: question, questionVector: [1, 0]).map { ($0.index, $0.rank) })
        #expect(rank == [0: 0, 1: PassageIndex.standingAloneBonus, 2: 1])
    }

    /// A passage that states what the question asks for gains `answerTypeBonus` on its rank.
    @Test func aPassageStatingTheAskedKindRanksHigher() {
        let index = PassageIndex(passages: [
            "The late fee is explained at the counter.", "A late item is charged a fee of £2 per day.",
        ].map { .init($0) })
        let question = "How much is the late fee?"
        let q = index.scores(for: question)
        #expect(q[0] > q[1] && q[1] / q[0] + PassageIndex.answerTypeBonus > 1)
        #expect(index.ranked(for: question).map(\.index) == [1, 0])
        #expect(abs(index.ranked(for: question)[0].rank - (q[1] / q[0] + PassageIndex.answerTypeBonus)) < 1e-12)
        #expect(index.topTexts(1, for: "Is the late fee explained?") == [index.passages[0].text])
    }

    /// A draft that answers from general knowledge, sharing only the question's own words with
    /// the passages, grounds nothing.
    @Test func aGeneralDraftGroundsNothing() {
        let index = PassageIndex(passages: [.init("A full charge takes five hours on any day.")])
        let question = "How many hours are in a day?"
        #expect(index.topTexts(1, for: question) == [index.passages[0].text])
        #expect(index.topTexts(1, for: question, draft: "There are 24 hours in a day.") == [])
        #expect(index.topTexts(1, for: question, draft: "Charging takes five hours.") == [index.passages[0].text])
    }

    @Test func sharingOnlyANumberGroundsNothing() {
        let index = PassageIndex(passages: [.init("Leave it standing for 4 hours before switching on."), .init("Error F5 means an overload.")])
        #expect(index.topTexts(1, for: "What is 3 times 4?") == [])
        #expect(index.topTexts(1, for: "What does F5 mean?") == [index.passages[1].text])
        #expect(index.topTexts(1, for: "How many hours must it stand?") == [index.passages[0].text])
    }

    @Test func loadReadsAFoldersFileOrNothing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("passage-index-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try PassageIndex.load(folder: folder) == nil)
        try JSONEncoder().encode(Self.index).write(to: URL(fileURLWithPath: folder + "/" + PassageIndex.fileName))
        #expect(try PassageIndex.load(folder: folder) == Self.index)
        try Data("[1]".utf8).write(to: URL(fileURLWithPath: folder + "/" + PassageIndex.fileName))
        #expect(throws: (any Error).self) { try PassageIndex.load(folder: folder) }
    }

    @Test func appendSkipsKnownPassagesAndTheFileRoundTrips() throws {
        var index = PassageIndex(passages: Self.passages.prefix(2).map { .init($0) })
        index.append(Self.passages.map { .init($0) })
        #expect(index == Self.index)
        let decoded = try JSONDecoder().decode(PassageIndex.self, from: try JSONEncoder().encode(index))
        #expect(decoded == index && decoded.topTexts(1, for: "late fee") == [Self.passages[2]])
        let json = try JSONDecoder().decode([String: [[String: String]]].self, from: Data(#"{"passages": [{"text": "A.", "heading": "H"}, {"text": "B."}]}"#.utf8))
        #expect(try JSONDecoder().decode(PassageIndex.self, from: try JSONEncoder().encode(json)).passages == [.init("A.", heading: "H"), .init("B.")])
        // Files written before titles were kept read as passages without one; titles round-trip.
        let titled = PassageIndex(passages: [.init("A.", heading: "H", title: "T")])
        #expect(try JSONDecoder().decode(PassageIndex.self, from: try JSONEncoder().encode(titled)) == titled)
    }

    /// A stand-in for the model's sentence vectors: a large offset every vector shares (as the
    /// model's states do), one direction for staff numbers and one for places.
    static func vectors(_ texts: [String]) -> [[Float]] {
        texts.map { t in [10, t.contains("employ") || t.contains("crew") ? 1 : 0, t.contains("Tollgate") || t.contains("Where") ? 1 : 0] }
    }

    @Test func sentenceVectorsFindAPassageInOtherWords() throws {
        let passages: [PassageIndex.Passage] = [
            .init("The cooperative workshop is on Tollgate Lane.", questions: ["Where is the cooperative workshop?"]),
            .init("The cooperative employs 27 people.", questions: ["How many people does the cooperative employ?"]),
        ]
        var index = PassageIndex(passages: passages)
        let question = "How big is the cooperative's crew?"
        #expect(index.topTexts(1, for: question) == [passages[0].text])
        let space = EmbeddingSpace(layer: 3, dimensions: 3)
        var embedded = 0
        index.embed(in: space) { embedded += $0.count; return Self.vectors($0) }
        #expect(embedded == 4 && index.embedding == space)
        #expect(index.passages.map { $0.vectors?.rows } == [Self.vectors(passages[0].embeddedTexts), Self.vectors(passages[1].embeddedTexts)])
        let vector = Self.vectors([question])[0]
        #expect(index.topTexts(1, for: question, questionVector: vector) == [passages[1].text])
        // The shared offset is taken away: the passages' cosines with the question are ±1, each counted for the sentence and its best question.
        #expect(index.similarities(to: vector)!.map { ($0 * 1e6).rounded() / 1e6 } == [-2, 2])
        // A vector of another length is not comparable: ranked by words alone.
        #expect(index.topTexts(1, for: question, questionVector: [1, 2]) == [passages[0].text])

        // Passages added later are embedded alone; another space embeds them all again.
        index.append([.init("Visitors park for free.")])
        #expect(index.similarities(to: vector) == nil)
        embedded = 0
        index.embed(in: space) { embedded += $0.count; return Self.vectors($0) }
        #expect(embedded == 1 && index.similarities(to: vector) != nil)
        index.embed(in: EmbeddingSpace(layer: 4, dimensions: 3)) { embedded += $0.count; return Self.vectors($0) }
        #expect(embedded == 6)

        // Vectors round-trip through the file as float16 (these values are exact in it), and the
        // same sentence from another run is not indexed twice.
        let decoded = try JSONDecoder().decode(PassageIndex.self, from: try JSONEncoder().encode(index))
        #expect(decoded == index && decoded.topTexts(1, for: question, questionVector: vector) == [passages[1].text])
        var again = decoded
        again.append(passages.map { .init($0.text, questions: $0.questions) })
        #expect(again == decoded)
        let corrupt = #"{"passages": [{"text": "A.", "vectors": ["not base64!"]}], "embedding": {"layer": 1, "dimensions": 2}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PassageIndex.self, from: Data(corrupt.utf8)) }
    }

    /// A question nearer to a general prompt than to any passage (by `generalMargin`) is not
    /// grounded though it shares a word; a question about the passages still is. The prompts'
    /// vectors are made once per space and kept in the file.
    @Test func aQuestionNearerToAGeneralPromptIsNotGrounded() throws {
        // Directions: the shared offset, opening times, counting units.
        func vectors(_ texts: [String]) -> [[Float]] {
            texts.map { t in [10, t.contains("open") ? 1 : 0, t.contains("How many") && !t.contains("workshop") ? 1 : 0] }
        }
        let passages: [PassageIndex.Passage] = [
            .init("The workshop opens at 9 every day.", questions: ["When does the workshop open?"]),
            .init("The workshop has 12 benches.", questions: ["How many benches does the workshop have?"]),
        ]
        var index = PassageIndex(passages: passages)
        let general = "How many hours are in a day?", about = "What time does it open each day?", noWord = "When do they reopen?"
        let space = EmbeddingSpace(layer: 3, dimensions: 3)
        index.embed(in: space, vectors)
        #expect(!index.ranked(for: general, questionVector: vectors([general])[0]).isEmpty)
        #expect(index.ranked(for: noWord, questionVector: vectors([noWord])[0]).isEmpty)
        var embedded = 0
        index.embed(in: space, general: ["How many minutes are in a day?", "What is 2 plus 3?"]) { embedded += $0.count; return vectors($0) }
        #expect(embedded == 2 && index.generalPrompts.count == 2)
        #expect(index.ranked(for: general, questionVector: vectors([general])[0]).isEmpty)
        #expect(!index.ranked(for: general).isEmpty)  // without its vector, words alone decide
        #expect(index.topTexts(1, for: about, questionVector: vectors([about])[0]) == [passages[0].text])
        // Sharing no word, a question nearer to a passage than to every general prompt is ranked by its vector.
        #expect(index.topTexts(1, for: noWord, questionVector: vectors([noWord])[0]) == [passages[0].text])
        #expect(index.ranked(for: "How many are there?", questionVector: vectors(["How many are there?"])[0]).isEmpty)

        let decoded = try JSONDecoder().decode(PassageIndex.self, from: try JSONEncoder().encode(index))
        #expect(decoded == index && decoded.ranked(for: general, questionVector: vectors([general])[0]).isEmpty)
        embedded = 0
        index.embed(in: space, general: index.generalPrompts) { embedded += $0.count; return vectors($0) }
        #expect(embedded == 0)
        index.embed(in: EmbeddingSpace(layer: 4, dimensions: 3)) { embedded += $0.count; return vectors($0) }
        #expect(embedded == 4 + 2)  // another space: the passages' texts and the prompts again
    }

    /// A question for a fact that stands alone (`AnswerType.standsAlone`), stated by a passage
    /// that shares two words with it that no general prompt uses, asks of the documents though its
    /// vector lies by a general prompt; one such word is not enough.
    @Test func aColourOfSomethingTheDocumentsNameIsNotAGeneralQuestion() throws {
        func vectors(_ texts: [String]) -> [[Float]] { texts.map { [10, $0.contains("colour") ? 1 : 0, $0.contains("colour") ? 0 : 1] } }
        var index = PassageIndex(passages: [
            .init("Each cargo bike has a box finished in mustard yellow."), .init("The sky dome is clear glass."), .init("Bikes are serviced weekly."),
        ])
        index.embed(in: EmbeddingSpace(layer: 1, dimensions: 3), general: ["What colour is grass?", "What is 2 plus 3?"], vectors)
        let about = "What colour are the cargo boxes?", general = "What colour is the sky on a clear day?"
        #expect(!index.asksNothingOfThePassages(about, vector: vectors([about])[0]))
        #expect(index.topTexts(1, for: about, questionVector: vectors([about])[0]) == [index.passages[0].text])
        #expect(index.asksNothingOfThePassages(general, vector: vectors([general])[0]))
        #expect(index.asksNothingOfThePassages("What colour are bikes?", vector: vectors([about])[0]))
        // A question that names only the kind of fact asks of the documents' subject.
        #expect(!index.asksNothingOfThePassages("What colour is it?", vector: vectors([about])[0]))
    }

    /// A question that gives an age a passage's band holds asks what applies at that age, however
    /// near its vector lies to a general prompt; an age no band holds does not.
    @Test func anAgeABandHoldsIsNotAGeneralQuestion() throws {
        func vectors(_ texts: [String]) -> [[Float]] { texts.map { [10, $0.contains("discount") || $0.contains("plus") ? 1 : 0, 0.1] } }
        var index = PassageIndex(passages: [.init("Visitors 65 and over: £7"), .init("Adults: £9.50")])
        index.embed(in: EmbeddingSpace(layer: 1, dimensions: 3), general: ["Is there a discount on bread?", "What is 2 plus 3?"], vectors)
        #expect(!index.asksNothingOfThePassages("I'm 70, is there a discount?", vector: vectors(["discount"])[0]))
        #expect(index.topTexts(1, for: "I'm 70, is there a discount?", questionVector: vectors(["discount"])[0]) == ["Visitors 65 and over: £7"])
        #expect(index.asksNothingOfThePassages("I'm 40, is there a discount?", vector: vectors(["discount"])[0]))
    }
}

private extension PassageIndex {
    /// `top`'s passages in the order they were written, as grounding puts them.
    func topTexts(_ k: Int, for query: String, draft: String? = nil, questionVector: [Float]? = nil) -> [String] {
        top(k, for: query, draft: draft, questionVector: questionVector).sorted().map { passages[$0].text }
    }
}

extension CalendarMention {
    init(months: Set<Int> = [], weekdays: Set<Int> = [], dates: Set<Int> = []) {
        self.init("")
        (self.months, self.weekdays, self.dates) = (months, weekdays, dates)
    }
}
