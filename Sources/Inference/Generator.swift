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
        var logits = [Float]()
        while state.isPrefilling {
            let chunk = state.pendingTokens(limit: Self.prefillChunk)
            logits = try model.model.forward([.init(cache: cache, tokens: chunk, logits: state.isLastChunk(chunk) ? .last : .none, adapter: state.adapter)])
        }
        while true {
            let step = logits.withUnsafeMutableBufferPointer { state.step(logits: $0) }
            guard try onStep(step), step.finishReason == nil else { break }
            logits = try model.model.forward([.init(cache: cache, tokens: [step.token], adapter: state.adapter)])
        }
        return state
    }
}

extension GenerationState {
    /// Whether `chunk` (from `pendingTokens`) completes the prompt.
    func isLastChunk(_ chunk: [Int]) -> Bool { cache.count + chunk.count == prompt.count }
}
