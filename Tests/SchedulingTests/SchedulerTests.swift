import Foundation
import Testing
import TestSupport
import Adapters
import Inference
import Llama
import Scheduling
import Training

/// The scheduler's batched, chunked decoding gives what one sequence alone gives.
@Suite(.serialized) struct SchedulerTests {
    static let model = Result { try LoadedModel.load(path: try Repo.defaultModel) }

    func tokens(_ handle: Scheduler.Handle) async throws -> [Int] {
        var out = [Int]()
        for try await event in handle.events {
            if case let .step(_, step) = event { out.append(step.token) }
        }
        return out
    }

    /// Prompts longer than several prefill steps, alone and beside each other, with and
    /// without a reused prefix, give the greedy tokens of `Generator`.
    @Test func longPromptsMatchTheSingleSequenceGenerator() async throws {
        let model = try Self.model.get()
        var g = SplitMix(9)
        let shared = (0..<600).map { _ in Int(g.next() % 40000) + 100 }
        let prompts = [shared + [11, 12, 13], shared + [14], (0..<1016).map { _ in Int(g.next() % 40000) + 100 }]
        let options = GenerationOptions(maxTokens: 8, sampling: .init(temperature: 0), ignoreEndOfGeneration: true)
        let want = try prompts.map { try Generator(model: model).generate(prompt: $0, options: options).generated }
        let scheduler = Scheduler(model: model, parallel: 4, contextLength: 2048)
        let first = try await tokens(try scheduler.submit(CompletionRequest(prompt: prompts[0], options: options)))
        #expect(first == want[0])
        let handles = try prompts.map { try scheduler.submit(CompletionRequest(prompt: $0, options: options)) }
        for (h, w) in zip(handles, want) {
            let got = try await tokens(h)
            #expect(got == w)
        }
        scheduler.shutdown()
    }

    /// Sentence vectors asked of the scheduler while it decodes are the model's own, and the
    /// decoding beside them is unchanged.
    @Test func sentenceVectorsRunBesideDecoding() async throws {
        let model = try Self.model.get()
        let texts = ["The ferry leaves at 7:40.", "Tickets cost 6 pounds for adults."]
        let want = try model.sentenceEmbeddings(texts)
        #expect(want.count == 2 && want.allSatisfy { $0.count == model.config.hiddenSize } && want[0] != want[1])
        let options = GenerationOptions(maxTokens: 24, sampling: .init(temperature: 0), ignoreEndOfGeneration: true)
        let prompt = model.textPrompt("The ferry leaves at")
        let alone = try Generator(model: model).generate(prompt: prompt, options: options).generated
        let scheduler = Scheduler(model: model, parallel: 2, contextLength: 256)
        let handle = try scheduler.submit(CompletionRequest(prompt: prompt, options: options))
        let got = try await scheduler.sentenceEmbeddings(texts.map(model.sentenceEmbeddingPrompt))
        #expect(got == want)
        #expect(try await tokens(handle) == alone)
        await #expect(throws: SchedulerError.emptyPrompt) { try await scheduler.sentenceEmbeddings([[]]) }
        scheduler.shutdown()
        await #expect(throws: SchedulerError.shuttingDown) { try await scheduler.sentenceEmbeddings([prompt]) }
    }
}

/// Every kind of adapter in one batch: base, LoRA, prompt-tuned and prefix-tuned requests decode
/// together and each gets the tokens it gets alone, and the prefix cache never hands one of them
/// another's keys and values for the same prompt.
@Suite(.serialized) struct MixedAdapterBatchTests {
    func adapters(_ model: LoadedModel) throws -> [LoRAAdapter?] {
        let c = model.config, n = 6
        var g = SplitMix(21)
        let lora = AdapterWeights(rank: 4, alpha: 8, layers: (0..<c.layerCount).map { _ in
            [Projection.q: LoRAAdapter.Pair(a: randomFloats(4 * c.hiddenSize, scale: 0.3, seed: g.next()),
                                            b: randomFloats(c.hiddenSize * 4, scale: 0.3, seed: g.next())),
             Projection.v: LoRAAdapter.Pair(a: randomFloats(4 * c.hiddenSize, scale: 0.3, seed: g.next()),
                                            b: randomFloats(c.kvDim * 4, scale: 0.3, seed: g.next()))]
        })
        // Prompt tuning from the embeddings of a few tokens, prefix tuning at the keys' and values' scale.
        var embeddings = [Float](repeating: 0, count: n * c.hiddenSize)
        for (i, token) in [504, 3575, 282, 4649, 314, 7042].enumerated() {
            embeddings.withUnsafeMutableBufferPointer { model.model.weights.tokenEmbedding.dequantizeRow(token, into: $0.baseAddress! + i * c.hiddenSize) }
        }
        let prompt = PromptLearningWeights(method: .promptTuning, virtualTokens: n, config: c, embeddings: embeddings)
        let prefix = PromptLearningWeights(method: .prefixTuning, virtualTokens: n, config: c,
                                           embeddings: randomFloats(n * PromptLearningWeights.prefixWidth(c), scale: 2, seed: 5))
        return [nil, try AnyAdapter.lora(lora).runtime(id: "lora", model: model.model),
                try AnyAdapter.promptLearning(prompt).runtime(id: "prompt", model: model.model),
                try AnyAdapter.promptLearning(prefix).runtime(id: "prefix", model: model.model)]
    }

    @Test func eachAdapterDecodesAsItDoesAlone() async throws {
        let model = try SchedulerTests.model.get()
        let adapters = try adapters(model)
        let prompt = model.textPrompt("The capital of France is Paris. The capital of Germany is")
        let options = GenerationOptions(maxTokens: 8, sampling: .init(temperature: 0), ignoreEndOfGeneration: true)
        let want = try adapters.map { try Generator(model: model).generate(prompt: prompt, options: options, adapter: $0).generated }
        #expect(Set(want.map { $0 }).count == adapters.count, "each adapter should change what the base model says")
        let scheduler = Scheduler(model: model, parallel: 4, contextLength: 512)
        // The base request goes first and leaves its prompt in the prefix cache.
        let base = try await SchedulerTests().tokens(try scheduler.submit(CompletionRequest(prompt: prompt, options: options)))
        #expect(base == want[0])
        let handles = try adapters.map { try scheduler.submit(CompletionRequest(prompt: prompt, options: options, adapter: $0)) }
        for (h, w) in zip(handles, want) {
            let got = try await SchedulerTests().tokens(h)
            #expect(got == w)
        }
        scheduler.shutdown()
    }
}
