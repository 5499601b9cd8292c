import Llama
import Sampling

/// Runs one completion at a time: prefill in chunks, then decode token by token.
/// (The server batches many sequences with the same `GenerationState` steps.)
public struct Generator {
    public let model: LoadedModel
    /// Prompt tokens per forward pass while prefilling: bounds activation memory.
    public static let prefillChunk = 512

    public init(model: LoadedModel) { self.model = model }

    /// Generates a completion of `prompt`, under `adapter` if given. `onStep` sees every step;
    /// returning false stops early.
    @discardableResult
    public func generate(prompt: [Int], options: GenerationOptions, contextLength: Int? = nil, adapter: LoRAAdapter? = nil,
                         onStep: (GenerationStep) throws -> Bool = { _ in true }) throws -> GenerationState {
        let cache = try model.model.makeCache(maxTokens: contextLength ?? model.config.contextLength, adapter: adapter)
        let state = try GenerationState(model: model, prompt: prompt, options: options, cache: cache, adapter: adapter)
        var logits = try prefill(state)
        while true {
            let step = logits.withUnsafeMutableBufferPointer { state.step(logits: $0) }
            guard try onStep(step), step.finishReason == nil else { break }
            logits = try model.model.forward([.init(cache: cache, tokens: [step.token], adapter: state.adapter)])
        }
        return state
    }
}

extension Generator {
    /// Feeds the state's prompt through the model in chunks; returns the last position's logits.
    func prefill(_ state: GenerationState) throws -> [Float] {
        var logits = [Float]()
        while state.isPrefilling {
            let chunk = state.pendingTokens(limit: Self.prefillChunk)
            logits = try model.model.forward([.init(cache: state.cache, tokens: chunk, logits: state.isLastChunk(chunk) ? .last : .none, adapter: state.adapter)])
        }
        return logits
    }

    /// A finished completion: its text and why it ended.
    public struct Completion: Sendable {
        public let text: String
        public let finishReason: FinishReason?
    }

    /// Completions of `prompts`, in their order, `width` at a time: one forward pass per step
    /// serves every unfinished sequence, and a finished one's slot takes the next prompt. A small
    /// model's decode is bound by per-step overhead, so eight sequences cost little more than one.
    /// The opening all prompts share (a chat template's system prompt) is prefilled once.
    public func generate(prompts: [[Int]], options: GenerationOptions, width: Int = 8) throws -> [Completion] {
        precondition(width > 0)
        var done = [Completion?](repeating: nil, count: prompts.count)
        var slots = [(index: Int, state: GenerationState, text: String)]()
        var logits = [[Float]]()
        var next = 0
        let opening = try sharedOpening(prompts)
        while true {
            // Fill free slots: each new prompt's own tokens are prefilled on their own.
            while slots.count < width, next < prompts.count {
                let cache = try opening?.copy() ?? model.model.makeCache(maxTokens: model.config.contextLength, adapter: nil)
                let state = try GenerationState(model: model, prompt: prompts[next], options: options, cache: cache)
                logits.append(try prefill(state))
                slots.append((next, state, ""))
                next += 1
            }
            guard !slots.isEmpty else { break }
            for i in slots.indices {
                let step = logits[i].withUnsafeMutableBufferPointer { slots[i].state.step(logits: $0) }
                slots[i].text += step.text
            }
            for i in slots.indices.reversed() where slots[i].state.finishReason != nil {
                done[slots[i].index] = Completion(text: slots[i].text, finishReason: slots[i].state.finishReason)
                slots.remove(at: i)
                logits.remove(at: i)
            }
            guard !slots.isEmpty else { continue }
            let all = try model.model.forward(slots.map { .init(cache: $0.state.cache, tokens: $0.state.pendingTokens()) })
            let vocab = model.config.vocabSize
            logits = slots.indices.map { Array(all[($0 * vocab)..<(($0 + 1) * vocab)]) }
        }
        return done.map { $0! }
    }
}

extension Generator {
    /// A cache holding the tokens every prompt starts with, all but each prompt's last; nil when
    /// they share fewer than two.
    func sharedOpening(_ prompts: [[Int]]) throws -> KVCache? {
        guard let first = prompts.first else { return nil }
        let shared = prompts.dropFirst().reduce(first.count - 1) { n, p in min(p.count - 1, zip(first.prefix(n), p).prefix { $0 == $1 }.count) }
        guard shared >= 2 else { return nil }
        let cache = try model.model.makeCache(maxTokens: model.config.contextLength, adapter: nil)
        _ = try model.model.forward([.init(cache: cache, tokens: Array(first.prefix(shared)), logits: .none)])
        return cache
    }
}

extension GenerationState {
    /// Whether `chunk` (from `pendingTokens`) completes the prompt.
    func isLastChunk(_ chunk: [Int]) -> Bool { cache.count + chunk.count == prompt.count }
}
