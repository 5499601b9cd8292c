/// Everyday instructions trained beside the documents so that the adapter keeps the model's
/// general behaviour. The base model answers them itself (self-distillation: its own words
/// are the most faithful anchor) where its answer holds the expected one; elsewhere the
/// written answer stands in, because training on its own mistakes ("the capital of Italy is
/// Il Coriobella") taught it to repeat them for neighbouring questions (see README).
/// None of them is one of bench/'s general test questions.
public enum GeneralReplay {
    /// Written pairs of many kinds, interleaved so that any prefix mixes them: capitals,
    /// arithmetic, opposites, spelling and repeating, translations, everyday knowledge. Many
    /// distinct correct answers: a few repeated ones taught the adapter to copy their
    /// numbers into neighbouring questions ("2 plus 2 is 6").
    public static let pairs: [(prompt: String, answer: String, expect: String)] = {
        let capitals = [("Italy", "Rome"), ("Canada", "Ottawa"), ("Australia", "Canberra"), ("Kenya", "Nairobi"), ("Peru", "Lima"),
                        ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Portugal", "Lisbon"), ("Greece", "Athens"), ("Russia", "Moscow"),
                        ("China", "Beijing"), ("India", "New Delhi"), ("Argentina", "Buenos Aires"), ("Mexico", "Mexico City"),
                        ("Ireland", "Dublin"), ("Poland", "Warsaw"), ("Austria", "Vienna"), ("Turkey", "Ankara"), ("Thailand", "Bangkok"),
                        ("Cuba", "Havana"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"), ("Belgium", "Brussels"), ("Hungary", "Budapest")]
            .map { ("What is the capital of \($0.0)?", "The capital of \($0.0) is \($0.1).", $0.1) }
        var arithmetic = [(String, String, String)]()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func draw(_ range: ClosedRange<Int>) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return range.lowerBound + Int(state % UInt64(range.count))
        }
        for i in 0..<32 {
            let a = draw(11...19), b = draw(2...12)
            switch i % 4 {
            case 0: arithmetic.append(("What is \(a) plus \(b)?", "\(a) plus \(b) is \(a + b).", "\(a + b)"))
            case 1: arithmetic.append(("What is \(a + b) minus \(b)?", "\(a + b) minus \(b) is \(a).", "\(a)"))
            case 2: arithmetic.append(("What is \(a) times \(b)?", "\(a) times \(b) is \(a * b).", "\(a * b)"))
            default: arithmetic.append(("What is \(a * b) divided by \(b)?", "\(a * b) divided by \(b) is \(a).", "\(a)"))
            }
        }
        let opposites = [("cold", "hot"), ("big", "small"), ("fast", "slow"), ("light", "dark"), ("old", "young"), ("wet", "dry"),
                         ("open", "closed"), ("early", "late"), ("full", "empty"), ("left", "right")]
            .map { ("What is the opposite of \($0.0)?", "The opposite of \($0.0) is \($0.1).", $0.1) }
        let words = ["dog", "tree", "apple", "house", "river", "music", "paper", "green"]
        let spelling = words.enumerated().map { i, w in
            i % 2 == 0 ? ("Write the word '\(w)' in capital letters.", w.uppercased(), w.uppercased()) : ("Repeat the word '\(w)' twice.", "\(w) \(w)", w)
        }
        let translations = [("thank you", "Spanish", "gracias"), ("good morning", "German", "Guten Morgen"), ("cat", "Spanish", "gato"),
                            ("water", "German", "Wasser"), ("friend", "Spanish", "amigo"), ("yes", "German", "ja")]
            .map { ("Translate '\($0.0)' into \($0.1).", "'\($0.0.prefix(1).uppercased() + $0.0.dropFirst())' in \($0.1) is '\($0.2)'.", $0.2) }
        let everyday = [
            ("Name three primary colours.", "The three primary colours are red, yellow and blue.", "red"),
            ("Write a short sentence about the sea.", "The sea sparkles under the morning sun.", "sea"),
            ("How many days are there in a week?", "There are seven days in a week.", "seven"),
            ("What is the largest planet in our solar system?", "Jupiter is the largest planet in our solar system.", "Jupiter"),
            ("Give me a synonym for happy.", "A synonym for happy is 'glad'.", "glad"),
            ("What do bees make?", "Bees make honey.", "honey"),
            ("What is the boiling point of water in Celsius?", "Water boils at 100 degrees Celsius at sea level.", "100"),
            ("Who wrote Romeo and Juliet?", "Romeo and Juliet was written by William Shakespeare.", "Shakespeare"),
            ("List two fruits that are yellow.", "Two yellow fruits are bananas and lemons.", "banana"),
            ("Explain what a noun is in one sentence.", "A noun is a word that names a person, place, thing or idea.", "noun"),
            ("What gas do plants take in from the air?", "Plants take in carbon dioxide from the air.", "carbon dioxide"),
            ("How many legs does a spider have?", "A spider has eight legs.", "eight"),
            ("Suggest a name for a pet cat.", "How about Whiskers?", "?"),
            ("What language is spoken in Brazil?", "The main language of Brazil is Portuguese.", "Portuguese"),
            ("How many continents are there?", "There are seven continents.", "seven"),
            ("Give me one tip for sleeping better.", "Go to bed at the same time every night.", "bed"),
            ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au.", "Au"),
            ("Which ocean is the largest?", "The Pacific Ocean is the largest ocean.", "Pacific"),
            ("What colour do you get by mixing blue and yellow?", "Mixing blue and yellow gives green.", "green"),
            ("How many minutes are in an hour?", "There are 60 minutes in an hour.", "60"),
            ("What colour is fresh snow?", "Fresh snow is white.", "white"),
            ("What animal barks?", "A dog barks.", "dog"),
            ("What is the square root of 81?", "The square root of 81 is 9.", "9"),
            ("How many seconds are in a minute?", "There are 60 seconds in a minute.", "60"),
        ]
        let kinds = [capitals, arithmetic, opposites, spelling, translations, everyday]
        var out = [(String, String, String)]()
        for i in 0..<kinds.map(\.count).max()! { for kind in kinds where i < kind.count { out.append(kind[i]) } }
        return out
    }()


    /// The first `count` pairs, each answered by the base model itself when `answer` gives
    /// an answer that contains the expected one (self-distillation, checked), else by the written answer.
    public static func examples(count: Int, generator: String, answer: (String) throws -> String?) rethrows -> [PreparedExample] {
        try pairs.prefix(count).map { pair in
            if let own = try answer(pair.prompt), own.localizedCaseInsensitiveContains(pair.expect) {
                return PreparedExample.chat(pair.prompt, own, .general, generator: generator)
            }
            return PreparedExample.chat(pair.prompt, pair.answer, .general, generator: "written")
        }
    }

    /// How many replay examples go with `prepared` knowledge examples.
    public static func count(share: Double, prepared: Int) -> Int {
        min(pairs.count, Int((share * Double(prepared)).rounded()))
    }
}
