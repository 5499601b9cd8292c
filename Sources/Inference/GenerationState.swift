import Llama
import Sampling
import Tokenizers

public struct GenerationOptions: Sendable {
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Text that ends the completion; the stop string itself is never emitted.
    public var stop: [String]
    /// Alternatives to report per token (OpenAI `top_logprobs`); nil reports no log-probabilities.
    public var logprobs: Int?
    /// Keep going past end-of-generation tokens (benchmarks).
    public var ignoreEndOfGeneration: Bool

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .init(), stop: [String] = [],
                logprobs: Int? = nil, ignoreEndOfGeneration: Bool = false) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.logprobs = logprobs
        self.ignoreEndOfGeneration = ignoreEndOfGeneration
    }
}

public enum FinishReason: String, Sendable, Codable {
    /// An end-of-generation token or a stop string.
    case stop
    /// `maxTokens` reached, or the context is full.
    case length
}

/// What one decoding step produced.
public struct GenerationStep: Sendable {
    public let token: Int
    /// Text released by this step: may be empty while a multi-byte character or a possible
    /// stop string is incomplete.
    public let text: String
    public let logprob: TokenLogProb?
    public let finishReason: FinishReason?
}

/// One completion in progress: its KV cache, sampler and text state. It turns the logits of
/// its last position into the next token and the text that token releases. The decode loop
/// (single-sequence `Generator` or the server's batch scheduler) owns the forward passes.
public final class GenerationState {
    public let prompt: [Int]
    public let cache: KVCache
    public let options: GenerationOptions
    /// The LoRA adapter every forward pass of this sequence runs under; nil for the base model.
    public let adapter: LoRAAdapter?
    public private(set) var generated: [Int] = []
    public private(set) var finishReason: FinishReason?
    private var sampler: Sampler
    private var decoder: StreamingDecoder
    private var stops: StopSequenceMatcher
    private let endOfGeneration: Set<Int>

    /// `cache` may already hold a prefix of `prompt` (reused from an earlier request under the same adapter).
    public init(model: LoadedModel, prompt: [Int], options: GenerationOptions, cache: KVCache, adapter: LoRAAdapter? = nil) throws {
        guard !prompt.isEmpty else { throw InferenceError.emptyPrompt }
        guard cache.virtualRows + prompt.count < cache.maxTokens else {
            throw InferenceError.promptTooLong(tokens: prompt.count, limit: cache.maxTokens - cache.virtualRows)
        }
        precondition(cache.commonPrefixLength(with: prompt) == cache.count, "cache holds tokens that are not a prefix of the prompt")
        self.prompt = prompt
        self.cache = cache
        self.options = options
        self.adapter = adapter
        sampler = try Sampler(parameters: options.sampling, vocabularySize: model.config.vocabSize)
        decoder = model.tokenizer.makeStreamingDecoder()
        stops = StopSequenceMatcher(stops: options.stop)
        endOfGeneration = options.ignoreEndOfGeneration ? [] : model.tokenizer.endOfGenerationIDs
    }

    /// The seed the sampler uses (drawn at random when the request gave none).
    public var seed: UInt64 { sampler.seed }

    /// Tokens the next forward pass must feed for this sequence: the uncached rest of the
    /// prompt (at most `limit` of them), or the last sampled token.
    public func pendingTokens(limit: Int = .max) -> [Int] {
        if cache.count < prompt.count { return Array(prompt[cache.count..<min(prompt.count, cache.count + limit)]) }
        return cache.count < prompt.count + generated.count ? [generated.last!] : []
    }

    /// True while the prompt is not fully in the cache (no logits to sample from yet).
    public var isPrefilling: Bool { cache.count < prompt.count }

    /// Chooses the next token from the logits of the last position. The buffer is modified.
    public func step(logits: UnsafeMutableBufferPointer<Float>) -> GenerationStep {
        precondition(finishReason == nil && !isPrefilling)
        let token = sampler.sample(logits: logits, generated: generated, context: prompt)
        let logprob = options.logprobs.map { logProbabilities(logits: UnsafeBufferPointer(logits), chosen: token, top: $0) }
        generated.append(token)

        var text = ""
        var stoppedByString = false
        if endOfGeneration.contains(token) {
            finishReason = .stop
        } else {
            let (emit, stopped) = stops.append(decoder.append(token))
            text = emit
            if stopped { finishReason = .stop; stoppedByString = true }
        }
        if finishReason == nil, generated.count >= options.maxTokens || cache.rows + 1 >= cache.maxTokens {
            finishReason = .length
        }
        if finishReason != nil, !stoppedByString {
            // Release what was held back for UTF-8 or a possible stop string.
            let (emit, stopped) = stops.append(decoder.finish())
            text += emit
            if stopped { finishReason = .stop } else { text += stops.finish() }
        }
        return GenerationStep(token: token, text: text, logprob: logprob, finishReason: finishReason)
    }
}
