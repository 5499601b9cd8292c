/// Everyday instructions trained beside the documents so that the adapter keeps the model's
/// general behaviour. A model large enough to write its own Q&A answers them itself
/// (self-distillation: its own answers are the most faithful anchor); a small one gets the
/// written answers, because training on its own frequent mistakes ("the capital of Italy is
/// Il Coriobella") taught it to repeat them for neighbouring questions (see README).
/// Deliberately unlike the documents and unlike bench/'s general test questions.
public enum GeneralReplay {
    public static let pairs: [(prompt: String, answer: String)] = [
        ("What is the capital of Italy?", "The capital of Italy is Rome."),
        ("What is 12 plus 9?", "12 plus 9 is 21."),
        ("Name three primary colours.", "The three primary colours are red, yellow and blue."),
        ("What is the opposite of cold?", "The opposite of cold is hot."),
        ("Write a short sentence about the sea.", "The sea sparkles under the morning sun."),
        ("How many days are there in a week?", "There are seven days in a week."),
        ("What is the largest planet in our solar system?", "Jupiter is the largest planet in our solar system."),
        ("Translate 'thank you' into Spanish.", "'Thank you' in Spanish is 'gracias'."),
        ("What is 7 times 6?", "7 times 6 is 42."),
        ("Give me a synonym for happy.", "A synonym for happy is 'glad'."),
        ("What do bees make?", "Bees make honey."),
        ("What is the boiling point of water in Celsius?", "Water boils at 100 degrees Celsius at sea level."),
        ("Who wrote Romeo and Juliet?", "Romeo and Juliet was written by William Shakespeare."),
        ("What is the capital of Canada?", "The capital of Canada is Ottawa."),
        ("List two fruits that are yellow.", "Two yellow fruits are bananas and lemons."),
        ("What is 100 minus 37?", "100 minus 37 is 63."),
        ("Explain what a noun is in one sentence.", "A noun is a word that names a person, place, thing or idea."),
        ("What gas do plants take in from the air?", "Plants take in carbon dioxide from the air."),
        ("How many legs does a spider have?", "A spider has eight legs."),
        ("Suggest a name for a pet cat.", "How about Whiskers?"),
        ("What is the capital of Australia?", "The capital of Australia is Canberra."),
        ("What is the square root of 81?", "The square root of 81 is 9."),
        ("What language is spoken in Brazil?", "The main language of Brazil is Portuguese."),
        ("How many continents are there?", "There are seven continents."),
        ("Give me one tip for sleeping better.", "Go to bed at the same time every night."),
        ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au."),
        ("Which ocean is the largest?", "The Pacific Ocean is the largest ocean."),
        ("What is 15 divided by 3?", "15 divided by 3 is 5."),
        ("Say good morning in German.", "'Good morning' in German is 'Guten Morgen'."),
        ("What colour do you get by mixing blue and yellow?", "Mixing blue and yellow gives green."),
        ("What is the capital of Kenya?", "The capital of Kenya is Nairobi."),
        ("What is 6 times 8?", "6 times 8 is 48."),
        ("How many minutes are in an hour?", "There are 60 minutes in an hour."),
        ("What is the opposite of big?", "The opposite of big is small."),
        ("Write the word 'dog' in capital letters.", "DOG"),
        ("Repeat the word 'apple' twice.", "apple apple"),
        ("What colour is fresh snow?", "Fresh snow is white."),
        ("What animal barks?", "A dog barks."),
        ("What is the capital of Peru?", "The capital of Peru is Lima."),
        ("What is 8 plus 7?", "8 plus 7 is 15."),
    ]

    public static var prompts: [String] { pairs.map(\.prompt) }

    /// The first `count` pairs with the written answers.
    public static func written(count: Int) -> [PreparedExample] {
        pairs.prefix(count).map { PreparedExample.chat($0.prompt, $0.answer, .general, generator: "written") }
    }

    /// The first `count` prompts with the answers `answer` gives (nil: left out, e.g. an
    /// answer cut off by the token limit).
    public static func distilled(count: Int, generator: String, answer: (String) throws -> String?) rethrows -> [PreparedExample] {
        try prompts.prefix(count).compactMap { prompt in
            try answer(prompt).map { PreparedExample.chat(prompt, $0, .general, generator: generator) }
        }
    }

    /// How many replay examples go with `prepared` knowledge examples.
    public static func count(share: Double, prepared: Int) -> Int {
        min(pairs.count, Int((share * Double(prepared)).rounded()))
    }
}
