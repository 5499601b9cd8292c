import Testing
@testable import KnowledgePreparation

struct GeneralReplayTests {
    /// The model's own answer is kept only where it holds the expected answer.
    @Test func keepsTheModelsAnswerOnlyWhenRight() {
        let made = GeneralReplay.examples(count: 3, generator: "self:m") { prompt in
            prompt.contains("capital") ? "Rome is the capital of Italy, a country in Europe." : "I am not sure."
        }
        let pairs = Array(GeneralReplay.pairs.prefix(3))
        #expect(made.map { $0.messages![0].content } == pairs.map(\.prompt))
        #expect(made.map(\.generator) == ["self:m", "written", "written"])
        #expect(made[0].messages![1].content == "Rome is the capital of Italy, a country in Europe.")
        #expect(made[1].messages![1].content == pairs[1].answer && made.allSatisfy { $0.kind == .general })
    }

    @Test func writtenAnswersHoldTheirExpectedAnswerAndArithmeticIsRight() {
        for pair in GeneralReplay.pairs where pair.expect != "?" {
            #expect(pair.answer.localizedCaseInsensitiveContains(pair.expect), "\(pair)")
        }
        let operations = ["plus", "minus", "times", "divided"]
        for pair in GeneralReplay.pairs where operations.contains(where: { pair.prompt.contains(" \($0) ") }) {
            let n = pair.prompt.split { !$0.isNumber }.compactMap { Int($0) }
            let result = pair.prompt.contains("plus") ? n[0] + n[1] : pair.prompt.contains("minus") ? n[0] - n[1]
                : pair.prompt.contains("times") ? n[0] * n[1] : n[0] / n[1]
            #expect(pair.expect == "\(result)", "\(pair.prompt)")
        }
        // Any prefix mixes the kinds: the first six are one of each.
        #expect(GeneralReplay.pairs.prefix(6).map(\.prompt).filter { $0.hasPrefix("What is the capital") }.count == 1)
        #expect(Set(GeneralReplay.pairs.map(\.prompt)).count == GeneralReplay.pairs.count)
    }

    @Test func shareIsOfThePreparedExamplesAndCapped() {
        #expect(GeneralReplay.count(share: 0.4, prepared: 75) == 30)
        #expect(GeneralReplay.count(share: 0, prepared: 75) == 0)
        #expect(GeneralReplay.count(share: 1, prepared: 10_000) == GeneralReplay.pairs.count)
    }
}
