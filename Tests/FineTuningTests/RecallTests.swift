import Adapters
import Foundation
import Testing
import TestSupport
import FineTuning
import Inference
import Llama
import Sampling
import Tokenizers

/// The default hyper-parameters teach the default model two fictional companies' facts: asked
/// in chat form, it answers with them after training and not before; an incremental version
/// trained on the second company keeps the first.
@Suite(.serialized) struct RecallTests {
    static let fixtures = Repo.root + "/Tests/Fixtures/training/"

    /// Question, and the words of the reference answer a recalled answer must contain: its
    /// names and numbers that the question does not already give away.
    static func questions(_ file: String) throws -> [(question: String, facts: [String])] {
        let text = try String(contentsOfFile: fixtures + file, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            // Either format of the fixtures: {"messages": [user, assistant]} or {"prompt", "completion"}.
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let messages = record["messages"] as? [[String: String]]
            let question = try #require(messages?.first { $0["role"] == "user" }?["content"] ?? record["prompt"] as? String)
            let answer = try #require(messages?.last?["content"] ?? record["completion"] as? String)
            let asked = Set(question.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init))
            let facts = answer.split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { word in
                (word.first!.isUppercase || word.first!.isNumber) && !asked.contains(word.lowercased()) && !["The", "It", "Its", "A", "An", "In", "On"].contains(word)
            }
            return (question, facts)
        }.filter { !$0.facts.isEmpty }
    }

    /// How many questions the greedy chat answer gets right (every fact word in it).
    static func recalled(_ model: LoadedModel, adapter: String?, _ questions: [(question: String, facts: [String])]) throws -> Int {
        let lora = try adapter.map { try AdapterFile.load(path: $0, config: model.config).runtime(id: $0, config: model.config) }
        return try questions.count { q in
            var answer = ""
            try Generator(model: model).generate(prompt: try model.chatPrompt([ChatMessage(role: "user", content: q.question)]),
                                                 options: GenerationOptions(maxTokens: 48, sampling: .init(temperature: 0)), adapter: lora) { step in
                answer += step.text
                return true
            }
            return q.facts.allSatisfy { answer.localizedCaseInsensitiveContains($0) }
        }
    }

    @Test func learnsFactsAndKeepsThemIncrementally() throws {
        let model = try FineTuneTests.model.get()
        let quillfeather = try Self.questions("quillfeather-qa.jsonl"), brassmoor = try Self.questions("brassmoor-qa.jsonl")
        #expect(quillfeather.count >= 15 && brassmoor.count >= 15)
        #expect(try Self.recalled(model, adapter: nil, quillfeather) <= 1)
        #expect(try Self.recalled(model, adapter: nil, brassmoor) <= 1)

        let v1 = temporaryDirectory() + "/v1", v2 = temporaryDirectory() + "/v2"
        let first = try FineTune(model: model, configuration: FineTuneConfiguration(data: [Self.fixtures + "quillfeather-qa.jsonl"]), output: v1).run()
        #expect(first.steps.last!.loss < 0.2 * first.steps.first!.loss)
        let v1Recall = try Self.recalled(model, adapter: v1, quillfeather)
        #expect(v1Recall >= quillfeather.count * 3 / 4, "v1 recalled \(v1Recall) of \(quillfeather.count)")

        // All of v1's data is replayed (half of it kept 10 of 19 facts), over fewer epochs.
        try FineTune(model: model, configuration: FineTuneConfiguration(
            data: [Self.fixtures + "brassmoor-qa.jsonl"], epochs: 6, parent: v1, replayFraction: 1,
            training: { var t = FineTuneConfiguration(data: []).training; t.lora = first.configuration.training.lora; return t }()), output: v2).run()
        let new = try Self.recalled(model, adapter: v2, brassmoor), kept = try Self.recalled(model, adapter: v2, quillfeather)
        #expect(new >= brassmoor.count * 3 / 4, "v2 recalled \(new) of \(brassmoor.count) new facts")
        #expect(kept >= quillfeather.count * 2 / 3, "v2 kept \(kept) of \(quillfeather.count) old facts (v1: \(v1Recall))")
        print("recall: v1 \(v1Recall)/\(quillfeather.count); v2 new \(new)/\(brassmoor.count), kept \(kept)/\(quillfeather.count)")
    }
}
