import Foundation
import Testing
import TestSupport
@testable import KnowledgePreparation

struct GeneralReplayTests {
    /// The model's own answer is kept only where it holds the expected answer; no more than
    /// four times the wanted prompts are asked, a block at a time.
    @Test func keepsTheModelsRightAnswersOnly() {
        var asked = [String]()
        let made = GeneralReplay.examples(count: 3, generator: "self:m") { prompts in
            asked += prompts
            return prompts.map { $0.contains("capital") ? "Rome is the capital of Italy, a country in Europe." : "I am not sure." }
        }
        #expect(asked == GeneralReplay.pairs.prefix(12).map(\.prompt))
        #expect(made.map { $0.messages![0].content } == ["What is the capital of Italy?"])
        #expect(made[0].messages![1].content == "Rome is the capital of Italy, a country in Europe." && made[0].generator == "self:m")
        #expect(made[0].kind == .general)
    }

    @Test func rightMeansWholeWordsAndCapitalsWhereAsked() {
        #expect(GeneralReplay.holds("160 divided by 10 is 16.", "16") && !GeneralReplay.holds("160 divided by 10 is 160.", "16"))
        #expect(GeneralReplay.holds("It is DOG.", "DOG") && !GeneralReplay.holds("The word dog in capitals.", "DOG"))
        #expect(GeneralReplay.holds("The capital is New Delhi.", "New Delhi") && GeneralReplay.holds("Made of carbon dioxide", "carbon dioxide"))
    }

    /// The default model's own answers that held the expected text and were still wrong.
    @Test func rightMeansNoOtherNumberShortAndNoCircles() {
        #expect(GeneralReplay.isRight("To add 5 and 8, you simply add them together: 5 + 8 = 13.", to: "What is 5 plus 8?", expecting: "13"))
        #expect(GeneralReplay.isRight("The answer to this classic question is 4. A dog has four legs.", to: "How many legs does a dog have?", expecting: "four"))
        #expect(GeneralReplay.isRight("There are 1,440 minutes in a day.", to: "How many minutes are in a day?", expecting: "1440"))
        #expect(GeneralReplay.isRight("A day has twenty-four hours.", to: "How many hours are in a day?", expecting: "24"))
        #expect(!GeneralReplay.isRight("A kilogram is a unit of mass, and one gram is equal to 1000 grams.", to: "How many grams are in a kilogram?", expecting: "1000"))
        #expect(!GeneralReplay.isRight("63 divided by 7 equals 9 with a remainder of 2.", to: "What is 63 divided by 7?", expecting: "9"))
        #expect(!GeneralReplay.isRight("The answer to this classic math problem is 1. A square has four sides.", to: "How many sides does a square have?", expecting: "four"))
        let rambling = "Das ist ein heißwasser, die sich wie die Wasser ist" + String(repeating: " und so weiter", count: 20)
        #expect(!GeneralReplay.isRight(rambling, to: "Translate 'water' into German.", expecting: "Wasser"))
        #expect(!GeneralReplay.isRight("A year is approximately 365 days, but this is not a literal year, but rather a leap year. A leap year is a calendar year that is not a traditional leap year. It is a calendar year that is not a leap year.", to: "How many days are in a year?", expecting: "365"))
        #expect(GeneralReplay.isRight("The capital of Canada is Ottawa, Canada.", to: "What is the capital of Canada?", expecting: "Ottawa"))
        // A translation names its language: the default model's German that held the word.
        #expect(!GeneralReplay.isRight("Das ist ein heißwasser, die sich wie die Wasser 'water' ist.", to: "Translate 'water' into German.", expecting: "Wasser & German"))
        #expect(GeneralReplay.isRight("'Water' in German is 'Wasser'.", to: "Translate 'water' into German.", expecting: "Wasser & German"))
        #expect(GeneralReplay.pairs.contains { $0 == ("Translate 'water' into German.", "Wasser & German") })
    }

    @Test func expectedAnswersAreRight() {
        let operations = ["plus", "minus", "times", "divided"]
        let sums = GeneralReplay.pairs.filter { pair in operations.contains(where: { pair.prompt.contains(" \($0) ") }) }
        #expect(sums.count == 72)
        #expect(sums.filter { $0.prompt.contains(" times ") }.count == 36)
        for pair in sums {
            let n = pair.prompt.split { !$0.isNumber }.compactMap { Int($0) }
            let result = pair.prompt.contains("plus") ? n[0] + n[1] : pair.prompt.contains("minus") ? n[0] - n[1]
                : pair.prompt.contains("times") ? n[0] * n[1] : n[0] / n[1]
            #expect(pair.expect == "\(result)", "\(pair.prompt)")
        }
        #expect(GeneralReplay.pairs.contains { $0 == ("What is the capital of Kenya?", "Nairobi") })
        // Any prefix mixes the kinds, sums and counting the most: the first ten are one round.
        let round = GeneralReplay.pairs.prefix(10).map(\.prompt)
        #expect(round.filter { $0.hasPrefix("What is the capital") }.count == 1)
        #expect(round.filter { p in operations.contains { p.contains(" \($0) ") } }.count == 3)
        #expect(round.filter { $0.hasPrefix("How many") }.count == 2)
        #expect(Set(GeneralReplay.pairs.map(\.prompt)).count == GeneralReplay.pairs.count)
    }

    /// The replay must not teach the bench's own general questions, or "general kept" would
    /// measure memory instead of kept skill.
    @Test func noBenchQuestionIsReplayed() throws {
        let bench = try String(contentsOfFile: Repo.root + "/Tests/Fixtures/knowledge/general-questions.jsonl", encoding: .utf8)
        let asked = bench.split(separator: "\n").map(String.init)
        #expect(asked.count == 20)
        for pair in GeneralReplay.pairs { #expect(!asked.contains { $0.contains("\"\(pair.prompt)\"") }, "\(pair.prompt)") }
    }

    @Test func shareIsOfThePreparedExamplesAndCapped() {
        #expect(GeneralReplay.count(share: 0.4, prepared: 75) == 30)
        #expect(GeneralReplay.count(share: 0, prepared: 75) == 0)
        #expect(GeneralReplay.count(share: 1, prepared: 10_000) == GeneralReplay.pairs.count)
    }
}
