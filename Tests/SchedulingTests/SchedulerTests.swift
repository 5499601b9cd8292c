import Foundation
import Testing
import TestSupport
import Inference
import Scheduling

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
}
