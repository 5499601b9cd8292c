import Foundation

/// Everyday instructions trained beside the documents so that the adapter keeps the model's
/// general behaviour: the base model's own answers (self-distillation), where they hold the
/// expected answer. Measured (README): its unchecked answers taught the adapter its mistakes
/// ("the capital of Italy is Il Coriobella") for neighbouring questions, and written terse
/// answers ("14 plus 2 is 16.") taught it to answer "2 plus 2 is 16."; its own right answers,
/// verbose reasoning and all, are what it already says. None is a bench/ test question.
public enum GeneralReplay {
    /// Prompts of many kinds with the text a right answer contains (texts joined by " & ": all
    /// of them), interleaved so that any prefix mixes them: capitals, arithmetic, opposites,
    /// counting, spelling and repeating, translations, everyday knowledge.
    public static let pairs: [(prompt: String, expect: String)] = {
        let capitals = [("Italy", "Rome"), ("Canada", "Ottawa"), ("Australia", "Canberra"), ("Kenya", "Nairobi"), ("Peru", "Lima"),
                        ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Portugal", "Lisbon"), ("Greece", "Athens"), ("Russia", "Moscow"),
                        ("China", "Beijing"), ("India", "New Delhi"), ("Argentina", "Buenos Aires"), ("Mexico", "Mexico City"),
                        ("Ireland", "Dublin"), ("Poland", "Warsaw"), ("Austria", "Vienna"), ("Turkey", "Ankara"), ("Thailand", "Bangkok"),
                        ("Cuba", "Havana"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"), ("Belgium", "Brussels"), ("Hungary", "Budapest"),
                        ("the Netherlands", "Amsterdam"), ("South Korea", "Seoul"), ("Vietnam", "Hanoi"), ("the Philippines", "Manila"),
                        ("Indonesia", "Jakarta"), ("Chile", "Santiago"), ("Romania", "Bucharest"), ("the Czech Republic", "Prague"),
                        ("Iceland", "Reykjavik"), ("New Zealand", "Wellington"), ("Venezuela", "Caracas"), ("Ghana", "Accra")]
            .map { ("What is the capital of \($0.0)?", $0.1) }
        var arithmetic = [(String, String)]()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func draw(_ range: ClosedRange<Int>) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return range.lowerBound + Int(state % UInt64(range.count))
        }
        // Single-digit sums beside two-digit ones: in a probe the default model got 10 of 32
        // single-digit sums right, so some of its step-by-step arithmetic can be replayed.
        // Half are single-digit products: the model gets about half of them right, each by a
        // different route ("the formula for multiplication of integers: 3 * 5 = 15", "multiplication
        // tables", a wrong one), and adapters tipped its right products into wrong ones on every
        // document of a blind set; replaying its right routes keeps them.
        while arithmetic.count < 72 {
            let i = arithmetic.count, small = i % 12 >= 6 || i % 2 == 1
            let a = draw(small ? 2...9 : 11...19), b = draw(small ? 2...9 : 2...12)
            let pair = switch i % 6 {
            case 0: ("What is \(a) plus \(b)?", "\(a + b)")
            case 2: ("What is \(a + b) minus \(b)?", "\(a)")
            case 4: ("What is \(a * b) divided by \(b)?", "\(a)")
            default: ("What is \(a) times \(b)?", "\(a * b)")
            }
            if !arithmetic.contains(where: { $0.0 == pair.0 }), !heldOut.contains(pair.0) { arithmetic.append(pair) }
        }
        let opposites = [("cold", "hot"), ("big", "small"), ("fast", "slow"), ("light", "dark"), ("old", "young"), ("wet", "dry"),
                         ("open", "closed"), ("early", "late"), ("full", "empty"), ("left", "right"),
                         ("happy", "sad"), ("hard", "soft"), ("near", "far"), ("strong", "weak"), ("day", "night"), ("clean", "dirty")]
            .map { ("What is the opposite of \($0.0)?", $0.1) }
        let words = ["dog", "tree", "apple", "house", "river", "music", "paper", "green"]
        let spelling = words.enumerated().map { i, w in
            i % 2 == 0 ? ("Write the word '\(w)' in capital letters.", w.uppercased()) : ("Repeat the word '\(w)' twice.", "\(w) \(w)")
        }
        // A translation must name its language too: the default model's "right" German for
        // 'water' was "Das ist ein heißwasser, die sich wie die Wasser 'water' ist.", and an
        // adapter trained beside such answers went on to answer in French unasked.
        let translations = [("thank you", "Spanish", "gracias"), ("good morning", "German", "Guten Morgen"), ("cat", "Spanish", "gato"),
                            ("water", "German", "Wasser"), ("friend", "Spanish", "amigo"), ("yes", "German", "ja")]
            .map { ("Translate '\($0.0)' into \($0.1).", "\($0.2) & \($0.1)") }
        let everyday = [
            ("Name three primary colours.", "red"),
            ("Write a short sentence about the sea.", "sea"),
            ("How many days are there in a week?", "seven"),
            ("What is the largest planet in our solar system?", "Jupiter"),
            ("What do bees make?", "honey"),
            ("What is the boiling point of water in Celsius?", "100"),
            ("Who wrote Romeo and Juliet?", "Shakespeare"),
            ("List two fruits that are yellow.", "banana"),
            ("Explain what a noun is in one sentence.", "noun"),
            ("What gas do plants take in from the air?", "carbon dioxide"),
            ("How many legs does a spider have?", "eight"),
            ("What language is spoken in Brazil?", "Portuguese"),
            ("How many continents are there?", "seven"),
            ("Give me one tip for sleeping better.", "bed"),
            ("What is the chemical symbol for gold?", "Au"),
            ("Which ocean is the largest?", "Pacific"),
            ("What colour do you get by mixing blue and yellow?", "green"),
            ("How many minutes are in an hour?", "60"),
            ("What colour is fresh snow?", "white"),
            ("What animal barks?", "dog"),
            ("What is the square root of 81?", "9"),
            ("How many seconds are in a minute?", "60"),
            ("What colour is grass?", "green"),
            ("Which planet is known as the Red Planet?", "Mars"),
            ("What is frozen water called?", "ice"),
            ("What do you call a baby cat?", "kitten"),
            ("What is the fastest land animal?", "cheetah"),
            ("Which planet do we live on?", "Earth"),
            ("What is the tallest animal?", "giraffe"),
            ("What colour is a ripe banana?", "yellow"),
            ("What is the hardest natural substance?", "diamond"),
            ("What language is spoken in Mexico?", "Spanish"),
        ]
        let counting = [
            ("How many legs does a dog have?", "four"), ("How many sides does a triangle have?", "three"),
            ("How many days are in a year?", "365"), ("How many grams are in a kilogram?", "1000"),
            ("How many letters are in the English alphabet?", "26"), ("How many sides does a square have?", "four"),
            ("How many wheels does a bicycle have?", "two"), ("How many hours are in a week?", "168"),
            ("How many weeks are in a year?", "52"), ("How many centimetres are in a metre?", "100"),
            ("How many players are on a football team?", "eleven"), ("How many minutes are in a day?", "1440"),
            ("How many legs does a cat have?", "four"), ("How many sides does a hexagon have?", "six"),
            ("How many years are in a century?", "100"), ("How many planets are in our solar system?", "eight"),
            ("How many sides does a pentagon have?", "five"), ("How many seconds are in an hour?", "3600"),
        ]
        // Each round takes three sums and two counting questions to one of every other kind:
        // measured, those are what adapters lose (capitals and translations were never lost),
        // and only the sums the model gets right are replayed.
        let kinds = [(arithmetic, 3), (capitals, 1), (counting, 2), (opposites, 1), (spelling, 1), (translations, 1), (everyday, 1)]
        var out = [(String, String)]()
        var next = kinds.map { _ in 0 }
        while out.count < kinds.map(\.0.count).reduce(0, +) {
            for (k, (pairs, share)) in kinds.enumerated() {
                out += pairs[next[k]..<min(pairs.count, next[k] + share)]
                next[k] = min(pairs.count, next[k] + share)
            }
        }
        return out
    }()


    /// The bench's arithmetic (Tests/Fixtures/knowledge/general-questions.jsonl), held out so
    /// that "general kept" measures skill, not memory.
    static let heldOut: Set<String> = ["What is 2 plus 2?", "What is 10 plus 5?", "What is 3 times 4?", "What is 9 minus 3?",
                                       "What is 5 times 5?", "What is 20 divided by 4?"]

    /// Up to `count` examples: the prompts, in order, whose answer by `answers` (the base model,
    /// asked a block of prompts at a time) is right (`isRight`); at most `4 * count` prompts are asked:
    /// the default model answers about a third of the pool right (41 of its first 130), and with at most twice
    /// the prompts asked a 227-word document got 15 of its 29 replay examples.
    public static func examples(count: Int, generator: String, answers: ([String]) throws -> [String?]) rethrows -> [PreparedExample] {
        var out = [PreparedExample]()
        let asked = pairs.prefix(4 * count)
        var start = asked.startIndex
        while out.count < count, start < asked.endIndex {
            let block = asked[start..<min(asked.endIndex, start + max(8, count - out.count))]
            for (pair, own) in zip(block, try answers(block.map(\.prompt))) where out.count < count {
                if let own, isRight(own, to: pair.prompt, expecting: pair.expect) {
                    out.append(PreparedExample.chat(pair.prompt, own, .general, generator: generator))
                }
            }
            start = block.endIndex
        }
        return out
    }

    /// Replayed answers are the model's words, so a wrong one teaches its mistake to every
    /// neighbouring question. Measured on the default model: answers that only held the expected
    /// text also held "one gram is equal to 1000 grams", "63 divided by 7 equals 9 with a remainder
    /// of 2" and, after 50 words, made-up German; adapters trained on them answered "How many
    /// months are in a year?" with the year's 365 days. Right means: the expected text is there,
    /// every number the prompt does not hold is the expected one (in digits or words), and the answer is short
    /// and does not go round in circles.
    static func isRight(_ answer: String, to prompt: String, expecting expected: String) -> Bool {
        let words = answer.lowercased().split { !$0.isLetter && !$0.isNumber }
        guard words.count <= maxWords, !repeats(words) else { return false }
        guard let value = numberValue(expected) else {
            return expected.components(separatedBy: " & ").allSatisfy { holds(answer, $0) }
        }
        let given = Set(numbers(in: prompt)), said = numbers(in: answer)
        return said.contains(value) && said.allSatisfy { $0 == value || given.contains($0) }
    }

    static let maxWords = 50

    /// Whether four words in a row come twice: the small model's rambling ("a leap year is a
    /// calendar year that is not a traditional leap year. It is a calendar year that is not a leap year").
    static func repeats(_ words: [Substring]) -> Bool {
        var seen = Set<[Substring]>()
        for i in words.indices.dropLast(3) where !seen.insert(Array(words[i..<(i + 4)])).inserted { return true }
        return false
    }

    /// Whether `answer` has `expected` as whole words ("160" does not hold "16"), case-blind
    /// unless `expected` is in capitals ("DOG").
    static func holds(_ answer: String, _ expected: String) -> Bool {
        let caseBlind = expected != expected.uppercased() || !expected.contains(where: \.isLetter)
        func words(_ s: String) -> [String] { (caseBlind ? s.lowercased() : s).split { !$0.isLetter && !$0.isNumber }.map(String.init) }
        let have = words(answer), want = words(expected)
        guard !want.isEmpty, have.count >= want.count else { return false }
        return (0...(have.count - want.count)).contains { Array(have[$0..<($0 + want.count)]) == want }
    }

    /// The numbers written in `text`, in digits ("1,440" is one) or as words up to twenty,
    /// tens joined by a hyphen ("twenty-four").
    static func numbers(in text: String) -> [Int] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "," && $0 != "-" }.compactMap { token in
            numberValue(token.trimmingCharacters(in: CharacterSet(charactersIn: ",-")))
        }
    }

    static func numberValue(_ word: String) -> Int? {
        if let n = Int(word.filter { $0 != "," }) { return n }
        let parts = word.lowercased().split(separator: "-")
        guard (1...2).contains(parts.count), let first = numberWords[String(parts[0])] else { return nil }
        guard parts.count == 2 else { return first }
        guard first >= 20, first % 10 == 0, let unit = numberWords[String(parts[1])], unit < 10 else { return nil }
        return first + unit
    }

    static let numberWords: [String: Int] = {
        let units = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
        let tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
        var out = Dictionary(uniqueKeysWithValues: units.enumerated().map { ($1, $0) })
        for (i, t) in tens.enumerated() { out[t] = 20 + 10 * i }
        return out
    }()

    /// How many replay examples go with `prepared` knowledge examples.
    public static func count(share: Double, prepared: Int) -> Int {
        min(pairs.count, Int((share * Double(prepared)).rounded()))
    }
}
