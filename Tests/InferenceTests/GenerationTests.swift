import Foundation
import Testing
import TestSupport
import Inference
import Sampling
import Tokenizers

/// The default model end to end: tokenizer, chat template, forward pass, sampler, stop strings.
@Suite(.serialized) struct GenerationTests {
    static let model: Result<LoadedModel, any Error> = Result { try LoadedModel.load(path: try Repo.defaultModel) }

    func generate(_ prompt: [Int], _ options: GenerationOptions) throws -> (text: String, state: GenerationState) {
        var text = ""
        let state = try Generator(model: try Self.model.get()).generate(prompt: prompt, options: options) { step in
            text += step.text
            return true
        }
        return (text, state)
    }

    @Test func answersTheCapitalOfFranceGreedily() throws {
        let model = try Self.model.get()
        let prompt = try model.chatPrompt([ChatMessage(role: "user", content: "What is the capital of France?")])
        let ref = try Repo.json("reference/smollm2-ref-b_chat.json")
        #expect(prompt == ref["input_ids"] as! [Int])
        let (text, state) = try generate(prompt, GenerationOptions(maxTokens: 64, sampling: .init(temperature: 0)))
        #expect(text == "The capital of France is Paris.")
        #expect(state.finishReason == .stop)
        #expect(state.generated.last.map { model.tokenizer.endOfGenerationIDs.contains($0) } == true)
    }

    @Test func sameSeedSameTokensDifferentSeedDifferentTokens() throws {
        let model = try Self.model.get()
        let prompt = model.textPrompt("Once upon a time")
        func run(_ seed: UInt64) throws -> [Int] {
            try generate(prompt, GenerationOptions(maxTokens: 24, sampling: .init(temperature: 1.0, seed: seed), ignoreEndOfGeneration: true)).state.generated
        }
        let a = try run(1234), b = try run(1234), c = try run(99)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func stopStringEndsTheTextBeforeIt() throws {
        let model = try Self.model.get()
        let prompt = try model.chatPrompt([ChatMessage(role: "user", content: "What is the capital of France?")])
        let (text, state) = try generate(prompt, GenerationOptions(maxTokens: 64, sampling: .init(temperature: 0), stop: [" Paris"]))
        #expect(text == "The capital of France is")
        #expect(state.finishReason == .stop)
    }

    @Test func maxTokensFinishesWithLength() throws {
        let model = try Self.model.get()
        let (_, state) = try generate(model.textPrompt("Hello, my name is"), GenerationOptions(maxTokens: 5, sampling: .init(temperature: 0)))
        #expect(state.generated.count == 5 && state.finishReason == .length)
        // The greedy ids equal transformers' greedy continuation.
        let ref = try Repo.json("reference/smollm2-ref-a_hello.json")
        #expect(state.generated == Array(((ref["greedy_32_no_eos_stop"] as! [String: Any])["ids"] as! [Int]).prefix(5)))
    }

    /// Batched completions, with slots refilled as sequences finish, are the one-at-a-time
    /// greedy texts, in the prompts' order.
    @Test func batchedCompletionsAreTheSingleOnes() throws {
        let model = try Self.model.get()
        let questions = ["What is the capital of France?", "Name a colour.", "What is 2 plus 2?", "Write the word 'cat' in capitals.",
                         "What do bees make?"]
        let prompts = try questions.map { try model.chatPrompt([ChatMessage(role: "user", content: $0)]) }
        let options = GenerationOptions(maxTokens: 24, sampling: .init(temperature: 0))
        let single = try prompts.map { try generate($0, options) }
        let batched = try Generator(model: model).generate(prompts: prompts, options: options, width: 3)
        #expect(batched.map(\.text) == single.map(\.text))
        #expect(batched.map(\.finishReason) == single.map(\.state.finishReason))
        #expect(Set(batched.map(\.finishReason)).count == 2, "some finish by length, some by the end of generation")
    }

    @Test func promptLongerThanTheContextIsAnError() throws {
        let model = try Self.model.get()
        let prompt = model.textPrompt(String(repeating: "word ", count: 40))
        #expect(throws: InferenceError.promptTooLong(tokens: prompt.count, limit: 16)) {
            try Generator(model: model).generate(prompt: prompt, options: GenerationOptions(), contextLength: 16)
        }
    }

    @Test func logprobsAreNormalisedAndIncludeTheChosenToken() throws {
        let model = try Self.model.get()
        var steps = [GenerationStep]()
        try Generator(model: model).generate(prompt: model.textPrompt("The sky is"),
                                             options: GenerationOptions(maxTokens: 3, sampling: .init(temperature: 0), logprobs: 5)) { steps.append($0); return true }
        for s in steps {
            let lp = try #require(s.logprob)
            #expect(lp.token == s.token && lp.top.count == 5)
            #expect(lp.top.first?.token == s.token) // greedy picks the most likely
            #expect(lp.top.map(\.logProb).allSatisfy { $0 <= 0 })
            #expect(lp.top.reduce(0.0) { $0 + exp(Double($1.logProb)) } <= 1.0001)
        }
    }
}
