import Testing
@testable import KnowledgePreparation

/// Declarative sentences and the questions a person would ask about them, which the rules
/// must write; every answer restates the fact as a full sentence.
struct QuestionRulesTests {
    static let cases: [(sentence: String, topic: String?, expected: [String])] = [
        ("Quillfeather Robotics was founded on 14 March 2011 by the engineers Ilsa Brandvold and Tomasz Okereke.", nil,
         ["When was Quillfeather Robotics founded?", "Who founded Quillfeather Robotics?"]),
        ("Dagny Achterberg is the chief executive officer of Quillfeather Robotics.", nil,
         ["Who is Dagny Achterberg?", "Who is the chief executive officer of Quillfeather Robotics?"]),
        ("Since 2019 the chief executive officer of Quillfeather Robotics has been Dagny Achterberg.", nil,
         ["Who is the chief executive officer of Quillfeather Robotics?"]),
        ("The Corvane KX-40 is a compact automatic bread maker.", nil, ["What is the Corvane KX-40?"]),
        ("The planetarium is called the Starloft.", nil, ["What is the planetarium called?", "What is the name of the planetarium?"]),
        ("The company mascot is a grey heron named Pim.", "Quillfeather Robotics",
         ["What is the company mascot?", "What is Quillfeather Robotics mascot?"]),
        ("The Fenn Dinner Set costs 189 pounds.", nil, ["How much does the Fenn Dinner Set cost?"]),
        ("The annual fee is 25 euros.", nil, ["What is the annual fee?", "How much is the annual fee?"]),
        ("The KX-40 has 14 programs.", nil, ["How many programs does the KX-40 have?"]),
        ("Tidewell employs 212 people.", nil, ["How many people does Tidewell employ?"]),
        ("A single Marrow-7 can visit about 9,000 blossoms in one day.", nil, ["How many blossoms can a single Marrow-7 visit?"]),
        ("The mobile library van visits the hill villages every Thursday.", nil,
         ["What does the mobile library van visit?", "When does the mobile library van visit the hill villages?"]),
        ("The Thistle sensor measures humidity, light and soil salinity.", nil, ["What does the Thistle sensor measure?"]),
        ("Its headquarters are in the coastal city of Port Velmora.", "Quillfeather Robotics",
         ["Where are Quillfeather Robotics's headquarters?", "Where is Quillfeather Robotics based?"]),
        ("The managing director of Tidewell Ceramics is Rosalind Ashdown.", nil,
         ["Who is the managing director of Tidewell Ceramics?", "Who runs Tidewell Ceramics?"]),
        ("All Tidewell clay is dug from a quarry near Brackenmoor.", nil, ["Where is all Tidewell clay dug from?", "Where does Tidewell clay come from?"]),
        ("All Quillfeather robots are assembled in the factory at Lake Orrin.", nil, ["Where are all Quillfeather robots assembled?"]),
        ("The observatory is located on the summit of Carrow Hill.", nil, ["Where is the observatory located?"]),
        ("The main library is open from 9 am to 8 pm on weekdays.", nil, ["When is the main library open?"]),
        ("The comet was discovered in 1936 by Helena Voskuijlen.", nil, ["When was the comet discovered?", "Who discovered the comet?"]),
        ("To pause a program, hold the Start button for three seconds.", nil, ["How do I pause a program?"]),
        ("Wipe the lid with a damp cloth only.", "Corvane KX-40", ["How should I clean the lid?", "How should I wipe the lid?"]),
        ("Brush the burrs once a week with the supplied brush.", nil, ["How often should I brush the burrs?", "How should I clean the burrs?"]),
        ("The timer can run for up to 60 seconds, in steps of 0.5 seconds.", nil, ["How long can the timer run?"]),
        ("The delay timer can postpone the start by up to 13 hours.", nil, ["How long can the delay timer postpone the start?"]),
        ("The B7 offers 40 grind settings.", nil, ["How many grind settings does the B7 offer?", "How many grind settings does the B7 have?"]),
        ("The Halvard B7 is made by Halvard Appliances in Tampere, Finland.", nil, ["Who is the Halvard B7 made by?", "Where is the Halvard B7 made?", "Where is Halvard Appliances based?"]),
        ("Settings 8 to 14 suit espresso, and settings 30 to 40 suit a French press.", nil,
         ["Which settings suit espresso?", "Which settings suit a French press?", "Which setting is best for espresso?"]),
        ("The upper burr comes out when you turn the ring anticlockwise.", nil, ["When does the upper burr come out?"]),
        ("The chief executive is Morag Lindsay, who joined the company in 2009.", nil,
         ["Who is the chief executive?", "Who is Morag Lindsay?"]),
        ("Cars cost 38 pounds each way.", nil, ["How much do cars cost?"]),
        ("Books are lent for three weeks, and films and games for one week.", nil,
         ["How long are books lent?", "How long can I keep books?", "How long can I borrow books for?"]),
        ("In 2022 Tidewell Ceramics won the Northern Craft Award for its recycled glaze.", nil, ["Who won the Northern Craft Award?"]),
        ("Tickets are sold only at the harbour office.", nil, ["Where are tickets sold?"]),
        ("Passengers should arrive at least 20 minutes before departure.", nil, ["When should passengers arrive?"]),
        ("The grinder weighs 2.9 kilograms and uses 180 watts.", "Halvard B7 Burr Grinder",
         ["How heavy is the grinder?", "How heavy is Halvard B7 Burr Grinder?", "How much power does Halvard B7 Burr Grinder use?"]),
        // Second phrasings: the words people ask with, not the document's.
        ("The Corvane KX-40 weighs 6.4 kilograms and draws 650 watts from the mains.", nil,
         ["How heavy is the Corvane KX-40?", "What does the Corvane KX-40 weigh?", "How much power does the Corvane KX-40 use?"]),
        ("The KX-40 comes with a warranty of three years.", nil, ["What is the warranty of the KX-40?", "How long is the warranty of the KX-40?"]),
        ("Visitors from outside the valley pay an annual fee of 25 euros.", nil,
         ["What is the annual fee for visitors from outside the valley?", "How much is the annual fee for visitors from outside the valley?"]),
        ("Members may borrow up to 15 items at a time.", nil, ["How many items may members borrow?", "How many items can I borrow?"]),
        ("The Fenn Dinner Set has twelve pieces and costs 189 pounds.", nil,
         ["How many pieces does the Fenn Dinner Set have?", "What is the price of the Fenn Dinner Set?"]),
        ("Tidewell employs 212 people and sells its pottery in 31 countries.", nil,
         ["How many people work at Tidewell?", "In how many countries does Tidewell sell its pottery?"]),
        ("The library charges 20 cents per day for each overdue book, with a maximum of 6 euros per item.", nil,
         ["How much does the library charge for an overdue book?", "What is the fine for an overdue book?", "What is the maximum fine for an overdue book?"]),
        ("The marina charges 30 euros per night for a berth.", nil, ["How much does the marina charge for a berth?", "What is the fee for a berth?"]),
        ("This policy took effect on 1 September 2024 and replaces the policy of 2019.", "Larkspur Valley Library Membership Policy",
         ["When did this policy take effect?", "When did this policy start to apply?"]),
        ("The new timetable came into force on 3 May 2021.", nil, ["When did the new timetable start to apply?", "When did the new timetable come into force?"]),
        ("Overdue games cost 1 euro per day.", nil, ["What is the fine for overdue games?"]),
        // Written from a gym's terms and an e-bike manual that the rules had not seen (session 4).
        ("The removable battery gives a range of up to 65 kilometres.", nil, ["What is the range of the removable battery?"]),
        ("A membership can be frozen for up to three months a year at a cost of 5 pounds a month.", nil, ["How long can a membership be frozen?"]),
        ("Lost property is kept at reception for 28 days.", nil, ["How long is lost property kept?", "Where is lost property kept?"]),
        ("The brake pads should be replaced every 2,000 kilometres.", nil, ["How often should the brake pads be replaced?"]),
        ("The frame is made of aluminium.", nil, ["What is the frame made of?"]),
        ("Each member may bring up to two guests per visit.", nil, ["How many guests can I bring?"]),
        ("Members must be at least 16 years old to use the gym without supervision.", nil,
         ["How old must members be to use the gym without supervision?", "How old do I have to be to use the gym without supervision?"]),
        ("The pool closes 30 minutes before the centre.", nil, ["When does the pool close?"]),
        ("Classes can be booked up to seven days in advance through the Fernhollow app.", nil, ["How far in advance can classes be booked?"]),
        ("These terms apply to all members of the centre from 1 March 2025.", nil, ["When did these terms start to apply?"]),
        ("Hold the minus button for five seconds to switch on the walk assist.", nil, ["How do I switch on the walk assist?"]),
        ("Check the tyre pressure every week; the correct pressure is 4.5 bar.", nil, ["How often should I check the tyre pressure?", "What is the correct pressure?"]),
        ("There is a one-off joining fee of 15 pounds.", nil, ["How much is the one-off joining fee?", "What is the one-off joining fee?"]),
        ("There are 14 guest rooms in the west wing.", nil, ["How many guest rooms are there?"]),
        ("The Volt 7 has three assistance modes: Eco, Tour and Boost.", nil,
         ["How many assistance modes does the Volt 7 have?", "What assistance modes does the Volt 7 have?"]),
        ("The Stellan Volt 7 weighs 18.5 kilograms and folds in under 20 seconds.", nil, ["How heavy is the Stellan Volt 7?"]),
        ("The motor stops assisting at 25 kilometres per hour.", nil, ["At what speed does the motor stop assisting?"]),
        ("The café is open from 8.30 to 9pm every day.", nil, ["What are the opening hours of the café?"]),
        // Rules added after the bread maker's and the grinder's misses (session 6).
        ("Program 9 is Gluten Free, and program 12 makes jam in 65 minutes.", nil,
         ["Which program is Gluten Free?", "Which program makes jam?", "How long does program 12 take to make jam?", "How long does it take to make jam?"]),
        ("The Volt 7 folds in under 20 seconds.", nil, ["How long does the Volt 7 take to fold?"]),
        ("The replacement kneading paddle has the part number KP-417.", nil, ["What is the part number of the replacement kneading paddle?"]),
        ("Spare pans can be ordered from Corvane Service under the code BP-40C for 34 euros.", nil,
         ["What is the code for spare pans?", "What is the order code for spare pans?", "How much do spare pans cost?"]),
        ("Error code E02 means the temperature sensor is faulty.", nil, ["What does error code E02 mean?", "What does E02 mean?"]),
        ("A steady orange light means the motor is overheating; switch the grinder off and wait 15 minutes.", nil,
         ["What does a steady orange light mean?", "What should I do if I see a steady orange light?"]),
        ("The main library is open from 9 am to 8 pm on weekdays and from 10 am to 4 pm on Saturdays.", nil,
         ["What are the opening hours of the main library?", "When does the main library open on Saturdays?"]),
        // Written from six documents the rules had not seen (session 8): asides, situations, gerunds.
        ("The library, which is housed in the old bus depot behind St Oda's Church, is open on Tuesday evenings from 5 pm to 8 pm.", nil,
         ["When is the library open?", "Where is the library housed?"]),
        ("Under test conditions (30 °C, 80% relative humidity) it removes up to 20 litres of moisture per day.", "DryNest DN-52",
         ["How many litres does DryNest DN-52 remove?"]),
        ("In Auto mode the DN-52 holds the room at a target humidity of 50%.", nil, ["What does the DN-52 hold?"]),
        ("New members also pay a refundable deposit of £20.", nil, ["How much do new members pay?"]),
        ("Items returned late are charged at £2 per day.", nil, ["How much are items returned late charged for?"]),
        ("The company now employs thirty-eight people.", nil, ["How many people does the company employ?"]),
        ("Before storing the unit for the summer, drain the tank fully.", nil,
         ["What should I do before storing the unit for the summer?", "How should I drain the tank fully?"]),
        ("If you hear a clicking noise, switch the unit off and call the helpline.", nil, ["What should I do if I hear a clicking noise?"]),
        ("Once a tool is three weeks overdue it is treated as lost.", nil, ["What happens once a tool is three weeks overdue?", "How is the tool treated?"]),
        ("If a code appears on the display, the unit stops.", nil, ["What happens if a code appears on the display?"]),
        ("Holding the TIMER button for three seconds locks the control panel.", nil,
         ["How do I lock the control panel?", "What does holding the TIMER button for three seconds do?"]),
        ("The company plans to replace four of its diesel ferries with electric ones by 2030.", nil,
         ["What does the company plan to replace?", "When does the company plan to replace four of its diesel ferries?"]),
        ("The cooperative employs 71 permanent staff and takes on up to 220 seasonal workers between August and the end of harvest.", nil,
         ["How many seasonal workers does the cooperative take on?"]),
        ("New members buy a single share for £1,500 and pay an annual levy of 4 percent.", nil, ["What do new members buy?", "What do new members pay?"]),
        ("Orrin Isles Air was set up in 1996 by Agnes Tullow.", nil, ["When was Orrin Isles Air set up?", "Who set up Orrin Isles Air?"]),
        ("Brightwater Ferries runs a café in Mullagh.", nil, ["What does Brightwater Ferries run?"]),
    ]

    @Test(arguments: cases.indices) func writesExpectedQuestions(_ i: Int) {
        let c = Self.cases[i]
        let made = QuestionRules.questions(for: c.sentence, topic: c.topic)
        for q in c.expected {
            #expect(made.map(\.question).contains(q), "\(c.sentence) → \(made.map(\.question))")
        }
        // The answer is the sentence, its leading pronoun replaced by the topic.
        #expect(made.allSatisfy { $0.answer == QuestionRules.resolvePronoun(c.sentence, SentenceContext(topic: c.topic)) })
    }

    /// A question the sentence answers "no" to is answered "No." and then the sentence.
    @Test(arguments: [
        ("The baking pan has a ceramic non-stick coating and must not be washed in a dishwasher.", "Can the baking pan be washed in a dishwasher?"),
        ("Children cannot enter the pottery workshop.", "Can children enter the pottery workshop?"),
        ("The main library is closed on Sundays and public holidays.", "Is the main library open on Sundays?"),
        ("Never wash the burrs in water.", "Can I wash the burrs in water?"),
        ("Do not put the pan in a dishwasher.", "Can I put the pan in a dishwasher?"),
        ("The warranty does not cover burrs worn by normal use.", "Does the warranty cover burrs worn by normal use?"),
        ("Visitors are not allowed in the rare books room.", "Are visitors allowed in the rare books room?"),
        ("Charge the battery indoors; never charge it below 0 degrees Celsius.", "Can I charge it below 0 degrees Celsius?"),
    ])
    func answersNegativeFactsWithNo(_ sentence: String, _ question: String) {
        let made = QuestionRules.questions(for: sentence)
        let asked = made.first { $0.question == question }
        #expect(asked?.answer == "No. " + sentence, "\(sentence) → \(made)")
    }

    @Test func resolvesLeadingPronounsInTheAnswer() {
        let made = QuestionRules.questions(for: "It weighs 6.4 kilograms.", topic: "The Corvane KX-40")
        #expect(made.map(\.question).starts(with: ["How many kilograms does the Corvane KX-40 weigh?", "How heavy is the Corvane KX-40?"]))
        #expect(made.first?.answer == "The Corvane KX-40 weighs 6.4 kilograms.")
    }

    /// Negations inside a clause, and the auxiliary "does", ask nothing of the main subject.
    @Test func asksOnlyTheMainClausesNegation() {
        let light = QuestionRules.questions(for: "A flashing red light means the hopper is not locked into place.").map(\.question)
        #expect(light == ["What does a flashing red light mean?"])
        let warranty = QuestionRules.questions(for: "The warranty does not cover burrs worn by normal use.").map(\.question)
        #expect(warranty == ["Does the warranty cover burrs worn by normal use?"])
        let extended = QuestionRules.questions(for: "The B7 has a warranty of two years, which is extended to five years.").map(\.question)
        #expect(!extended.contains { $0.hasPrefix("How many") }, "\(extended)")
    }

    @Test func asksNothingOfANegatedCopula() {
        let smoking = QuestionRules.questions(for: "Smoking is not allowed anywhere on board.").map(\.question)
        #expect(smoking == ["Is smoking allowed anywhere on board?"])
    }

    /// "took effect" is an idiom: asked when, never what was taken.
    @Test func asksAnIdiomOnlyWhen() {
        let policy = QuestionRules.questions(for: "The policy took effect on 1 September 2024.").map(\.question)
        #expect(policy.contains("When did the policy take effect?") && !policy.contains { $0.hasPrefix("What took") || $0.hasPrefix("What did") }, "\(policy)")
    }

    /// A number inside a name ("Stellan Volt 7 Electric Bicycle") names, it does not count.
    @Test func aNumberInANameIsNotACount() {
        let made = QuestionRules.questions(for: "It weighs 18 kilograms.", topic: "Stellan Volt 7 Electric Bicycle").map(\.question)
        #expect(made.contains("How heavy is Stellan Volt 7 Electric Bicycle?") && !made.contains { $0.hasPrefix("How many Stellan") }, "\(made)")
    }

    /// A document's name for its topic ("the Halvard B7") replaces "the grinder", a shortened
    /// "the B7" and "Its" in the questions' twins and the answers.
    @Test func asksWithTheDocumentsName() {
        let context = SentenceContext(topic: "Halvard B7 Burr Grinder", name: "the Halvard B7")
        let asked = { (s: String) in QuestionRules.questions(for: s, context: context) }
        #expect(asked("The grinder weighs 2.9 kilograms.").map(\.question).contains("How heavy is the Halvard B7?"))
        #expect(asked("The B7 offers 40 grind settings.").map(\.question).contains("How many grind settings does the Halvard B7 offer?"))
        #expect(asked("Its bean hopper holds 350 grams.").first?.answer == "The Halvard B7's bean hopper holds 350 grams.")
        #expect(KnowledgePreparer.name(of: DocumentText(parsing: "# Halvard B7 Burr Grinder: User Guide\n\nThe Halvard B7 is an electric grinder."),
                                       topic: "Halvard B7 Burr Grinder") == "the Halvard B7")
        #expect(KnowledgePreparer.name(of: DocumentText(parsing: "# Tidewell Ceramics\n\nTidewell Ceramics is a maker of pottery."),
                                       topic: "Tidewell Ceramics") == nil)
    }

    /// A sentence about a product's part that never names the product is asked with the
    /// product's full and short names too: people ask "How much does a spare KX-40 pan cost?".
    @Test func asksAboutPartsWithTheProductsName() throws {
        let text = """
        # Corvane KX-40 Bread Maker: Quick Manual

        The Corvane KX-40 is a compact bread maker. The KX-40 has 14 programs. Error code E01 means the chamber is too hot. \
        Spare pans can be ordered under the code BP-40C for 34 euros.
        """
        let questions = try KnowledgePreparer().prepare(document: text, path: "kx.md").compactMap {
            $0.messages?.first?.content.components(separatedBy: "\n\nQuestion: ").last
        }
        #expect(questions.contains("What does error code E01 mean on the Corvane KX-40?"), "\(questions)")
        #expect(questions.contains { $0.hasSuffix("for the KX-40?") && $0.contains("spare pans") }, "\(questions)")
        #expect(!questions.contains("How many programs does the KX-40 have on the Corvane KX-40?"))
        #expect(KnowledgePreparer.shortName(of: DocumentText(parsing: text), name: "the Corvane KX-40") == "the KX-40")
    }

    /// An instruction after a signal is asked as what to do, not as "What does the document say about ...?".
    @Test func asksWhatToDoAboutASignal() {
        let made = QuestionRules.questions(for: "A steady orange light means the motor is overheating; switch the grinder off and wait 15 minutes.")
        #expect(!made.contains { $0.rule == "fallback" }, "\(made)")
    }

    /// Second phrasings only where they mean the same: a duration is not counted as a place,
    /// and what a card covers is not what it has.
    @Test func paraphrasesKeepTheMeaning() {
        let bike = QuestionRules.questions(for: "The Stellan Volt 7 weighs 18.5 kilograms and folds in under 20 seconds.").map(\.question)
        #expect(!bike.contains { $0.hasPrefix("In how many") }, "\(bike)")
        let card = QuestionRules.questions(for: "A family card covers up to five people.").map(\.question)
        #expect(card.contains("How many people does a family card cover?") && !card.contains { $0.hasSuffix("have?") }, "\(card)")
    }

    /// Questions keyed on names, whatever the sentence's grammar: each price goes with the first
    /// name of its clause, "Who is" only where the neighbours say it is a person.
    @Test func asksAboutWhatASentenceNames() {
        let sentence = "Beginners who want to learn usually start with the Gullwing Trainer (£89), while experienced pilots choose the Skyreel 4, a stunt kite priced at £149."
        let made = QuestionRules.named(for: sentence, context: SentenceContext()).map(\.question)
        for q in ["What is the price of the Gullwing Trainer?", "How much is the Skyreel 4?", "What does the document say about the Skyreel 4?"] {
            #expect(made.contains(q), "\(made)")
        }
        #expect(!made.contains { $0.contains("Beginners") }, "\(made)")
        let prices = QuestionRules.named(for: sentence, context: SentenceContext()).filter { $0.rule == "name-price" }
        #expect(prices.contains { $0.question == "How much is the Gullwing Trainer?" && $0.answer == "The Gullwing Trainer costs £89." }, "\(prices)")
        #expect(prices.contains { $0.question == "How much is the Skyreel 4?" && $0.answer == "The Skyreel 4 costs £149." }, "\(prices)")
        let hall = QuestionRules.named(for: "The council bought Wool Hall for four hundred pounds.", context: SentenceContext()).filter { $0.rule == "name-price" }
        #expect(hall.first?.answer == "Wool Hall costs four hundred pounds.", "\(hall)")
        let kimchi = QuestionRules.named(for: "Seaweed Kimchi, made with dulse gathered on the Calder coast, costs £7.25.", context: SentenceContext()).map(\.question)
        #expect(kimchi.contains("How much is Seaweed Kimchi?") && !kimchi.contains { $0.contains("price of the Calder") || $0.hasPrefix("Who") }, "\(kimchi)")
        let people = QuestionRules.named(for: "In 2022 the company appointed Odile Varga-Strand as its managing director, and the head fermenter, Ilse Marchbanks, joined in 2016.",
                                         context: SentenceContext()).map(\.question)
        for q in ["Who is Odile Varga-Strand?", "Who is Ilse Marchbanks?", "What happened in 2022?", "What happened in 2016?"] {
            #expect(people.contains(q), "\(people)")
        }
        let service = QuestionRules.named(for: "F7 indicates a sensor fault and must be reported to Halvessa Service on 0800 614 2290.",
                                          context: SentenceContext(topic: "DryNest DN-52")).map(\.question)
        #expect(service.contains("What is F7?") && service.contains("What phone number do I call?"), "\(service)")
    }

    /// A fact replaced by its question word in place, within its clause, and answered by that clause.
    @Test func asksFactsInPlace() {
        let sentence = "Seaweed Kimchi, made with dulse gathered on the Calder coast, costs £7.25, and the Black Garlic Miso is sold at £11 for a 250-gram tub."
        let made = QuestionRules.inPlace(for: sentence, context: SentenceContext(), limit: 4)
        for q in ["Seaweed Kimchi, made with dulse gathered on the Calder coast, costs how much?", "The Black Garlic Miso is sold at how much for a 250-gram tub?"] {
            #expect(made.map(\.question).contains(q), "\(made)")
        }
        // Each answered by its own clause.
        #expect(made.contains { $0.question.hasPrefix("Seaweed Kimchi") && $0.answer == "Seaweed Kimchi, made with dulse gathered on the Calder coast, costs £7.25." }, "\(made)")
        #expect(made.contains { $0.question.hasPrefix("The Black Garlic") && $0.answer == "The Black Garlic Miso is sold at £11 for a 250-gram tub." }, "\(made)")
        #expect(made.count <= 4)
        // By default only the first: they are the longest examples.
        #expect(QuestionRules.inPlace(for: sentence, context: SentenceContext()).map(\.question) == [made[0].question])
        let counts = QuestionRules.inPlace(for: "The unit draws 410 watts and was launched in 2019 with a 3.5-litre tank.", context: SentenceContext(), limit: 4).map(\.question)
        #expect(counts.contains("The unit draws how many watts and was launched in 2019 with a 3.5-litre tank?"), "\(counts)")
        #expect(counts.contains("The unit draws 410 watts and was launched in what year with a 3.5-litre tank?"), "\(counts)")
        #expect(!counts.contains { $0.contains("how many tank") }, "\(counts)")
    }

    /// Measures asked in the reader's words and answered by their own clause.
    @Test func asksWhatAMeasureMeasures() {
        let context = SentenceContext(topic: "Tarrow T9 Kettle", name: "the Tarrow T9")
        func asked(_ sentence: String) -> [SynthesizedQuestion] { QuestionRules.measures(for: sentence, context: context) }
        let motor = asked("Its 1,800 W element heats a 1.7-litre jug, which is made of glass.")
        #expect(motor.contains { $0.question == "How powerful is the Tarrow T9's element?" && $0.answer == "The Tarrow T9's element is 1,800 W." }, "\(motor)")
        #expect(motor.contains { $0.question == "How big is the Tarrow T9's jug?" && $0.answer == "The Tarrow T9's jug is 1.7 litres." }, "\(motor)")
        let weight = asked("The base, which is made of steel, weighs 1.2 kg without the cord, so it stays put.")
        #expect(weight.contains { $0.question == "How heavy is the base?" && $0.answer == "The base weighs 1.2 kg without the cord." }, "\(weight)")
        #expect(weight.contains { $0.question == "How much does the Tarrow T9's base weigh?" }, "\(weight)")
        let verb = asked("The T9 boils up to 1.5 litres of water per minute and draws 1,800 watts in normal use.").map(\.question)
        #expect(verb.contains("How much water does the T9 boil per minute?") && verb.contains("How many watts does the T9 draw in normal use?"), "\(verb)")
        let range = asked("A full charge lasts all day, giving a range of roughly 40 km on the lowest setting.")
        #expect(range.contains { $0.question == "What is the range of the Tarrow T9?" && $0.answer == "The Tarrow T9 has a range of roughly 40 km on the lowest setting." }, "\(range)")
        // No measure after "every", nor a noun read from "weighs 2 kg empty".
        #expect(asked("Descale it every 300 litres and check the filter.").isEmpty)
        #expect(!asked("The jug weighs 2 kg empty.").contains { $0.question.contains("empty") })
        // A unit is not a name, nor a person.
        #expect(!QuestionRules.named(for: "The pump is powered by a 12 V battery.", context: SentenceContext()).contains { $0.question.contains("V?") })
        #expect(!QuestionRules.questions(for: "The pump is powered by a 12 V battery.").contains { $0.question.hasPrefix("Who") })
    }

    /// Roles, founders and staff, asked as a reader asks about a company and answered by that fact alone.
    @Test func asksWhoHoldsWhichRole() {
        let context = SentenceContext(topic: "Marrow Bay Cannery")
        func asked(_ sentence: String) -> [SynthesizedQuestion] { QuestionRules.people(for: sentence, context: context) }
        let staff = asked("Forty people now work for the cannery, including a head smoker, Tamsin Ollerby, who joined in 2011.")
        #expect(staff.contains { $0.question == "Who is the head smoker?" && $0.answer == "The head smoker of Marrow Bay Cannery is Tamsin Ollerby." }, "\(staff)")
        #expect(staff.contains { $0.question == "How many staff does Marrow Bay Cannery have?" && $0.answer == "Marrow Bay Cannery has forty staff." }, "\(staff)")
        let appointed = asked("In 2021 the board appointed Ruth Calloway, formerly of a shipping firm, as its first finance director from outside the town.")
        #expect(appointed.contains { $0.question == "Who is Marrow Bay Cannery's finance director?" && $0.answer.hasSuffix("is Ruth Calloway.") }, "\(appointed)")
        let founded = asked("The cannery was founded in 1952 by the fishermen Abel Pryce and Jonah Pryce, two cousins from the harbour.")
        #expect(founded.contains { $0.question == "Who were the founders of Marrow Bay Cannery?" && $0.answer == "Marrow Bay Cannery was founded by Abel Pryce and Jonah Pryce." }, "\(founded)")
        // Family is not a role; a count of visitors is not the staff.
        #expect(asked("Its owner is Mara Holt, the daughter of a fisherman.").allSatisfy { !$0.question.contains("daughter") })
        #expect(asked("Some 4,000 visitors come every summer.").isEmpty)
        let outsider = asked("The roof was mended by the village thatcher, Amos Reed, in 1990.")
        #expect(outsider.contains { $0.question == "Who is the village thatcher?" && $0.answer == "The village thatcher is Amos Reed." } && outsider.count == 1, "\(outsider)")
    }

    /// "It" after a sentence whose subject is people stands for the last thing that sentence named.
    @Test func findsWhatTheNextItStandsFor() {
        #expect(KnowledgePreparer.antecedent(of: "Beginners usually start with the Gullwing Trainer, while pilots choose the Skyreel 4, a stunt kite.") == "the Skyreel 4")
        #expect(KnowledgePreparer.antecedent(of: "The Skyreel 4 won a prize in 2021.") == "The Skyreel 4")
        #expect(QuestionRules.questions(for: "Every kite is test-flown on Gannet Sands.").map(\.question).contains("Where is every kite test-flown?"))
    }

    /// "It" and a main clause's "it" stand for the subject before, even a name that looks plural or
    /// like a person's; a price beside a name that only ends the priced thing is not its price.
    @Test func resolvesItAndPricesInADocument() {
        let document = DocumentText(parsing: """
            # Orrin Isles Air

            Orrin Isles Air is a small airline based in Castlebray. It was founded in 1996, when two pilots bought a plane that a club had left. \
            Today it has six aircraft. Besides the harbour office, it runs a café in Hesta. A single adult fare to Hesta costs £78. \
            General manager Owen Brackley says the next project is a new hangar, budgeted at £1.1 million.
            """)
        let asked = KnowledgePreparer.ruleQuestions(document).flatMap { $0 }.map { ($0.messages![0].content, $0.messages![1].content) }
        func answer(_ question: String) -> String? { asked.first { $0.0 == question }?.1 }
        #expect(answer("When was Orrin Isles Air founded?") == "Orrin Isles Air was founded in 1996, when two pilots bought a plane that a club had left.", "\(asked)")
        #expect(answer("How many aircraft does Orrin Isles Air have?") == "Today Orrin Isles Air has six aircraft.", "\(asked)")
        #expect(answer("What does Orrin Isles Air run?") == "Besides the harbour office, Orrin Isles Air runs a café in Hesta.", "\(asked)")
        #expect(!asked.contains { $0.0.contains("price of Hesta") || $0.0.contains("is Hesta?") || ($0.0.contains("is Owen Brackley?") && $0.0.hasPrefix("How much")) }, "\(asked)")
        #expect(KnowledgePreparer.antecedent(of: "Brightwater Ferries is a ferry company based in Kessock Harbour.") == "Brightwater Ferries")
    }

    /// A lower-case list item is asked about as its lead says it, never with only the lead's questions.
    @Test func asksAListItemWithItsLead() {
        let document = DocumentText(parsing: """
            # Kettlewick Growers

            Services to members include:

            - controlled-atmosphere storage for up to 9,000 tonnes;
            - a shared fleet of six refrigerated lorries.
            """)
        let asked = KnowledgePreparer.ruleQuestions(document).flatMap { $0 }.map { ($0.messages![0].content, $0.messages![1].content) }
        #expect(asked.contains { $0.1 == "Services to members include controlled-atmosphere storage for up to 9,000 tonnes." }, "\(asked)")
        #expect(asked.contains { $0.1 == "Services to members include a shared fleet of six refrigerated lorries." }, "\(asked)")
        let answers = Dictionary(asked.map { ($0.0, [$0.1]) }, uniquingKeysWith: +)
        #expect(answers.values.allSatisfy { Set($0).count == 1 }, "\(answers)")
    }

    @Test func leavesACleftsItAlone() {
        let sentence = "It was Ember Kraut, a sauerkraut with smoked chilli, that put the company on the map."
        #expect(QuestionRules.resolvePronoun(sentence, SentenceContext(topic: "Brindlecote Fermentary")) == sentence)
    }

    @Test func asksADeadlineWhenNotWho() {
        let made = QuestionRules.questions(for: "Renewals must be paid by 30 April.").map(\.question)
        #expect(made.contains("When must renewals be paid?") && !made.contains { $0.hasPrefix("Who") || $0.hasPrefix("What") }, "\(made)")
    }

    @Test func skipsQuestionsAndFragments() {
        #expect(QuestionRules.questions(for: "Why does bread rise?").isEmpty)
        #expect(QuestionRules.questions(for: "Thank you.").isEmpty)
    }
}
