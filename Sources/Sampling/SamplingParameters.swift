/// How to choose the next token: the OpenAI / llama.cpp / vLLM sampling knobs.
/// The defaults draw from the model's own distribution, unchanged.
public struct SamplingParameters: Sendable, Equatable {
    /// Divides the logits before the draw; 0 means greedy (always the most likely token). OpenAI's range, 0...2.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; 0 turns it off.
    public var topK: Int
    /// Nucleus sampling: keep the smallest set of most likely tokens whose probabilities sum to at least `topP`; 1 turns it off.
    public var topP: Float
    /// Drop tokens less likely than `minP` times the most likely one; 0 turns it off.
    public var minP: Float
    /// llama.cpp / Hugging Face repetition penalty on every distinct token among the last `penaltyLastN` tokens
    /// of prompt and generated text: positive logits are divided by it, negative ones multiplied. 1 turns it off.
    public var repetitionPenalty: Float
    /// The window of `repetitionPenalty`: the last N tokens of prompt + generated text; -1 = all of them, 0 = none.
    public var penaltyLastN: Int
    /// OpenAI: `logit -= count * frequencyPenalty`, where count is how often the token was generated so far.
    /// Like OpenAI and vLLM, only generated tokens count, never the prompt.
    public var frequencyPenalty: Float
    /// OpenAI: `logit -= presencePenalty` for every token generated at least once so far (prompt excluded).
    public var presencePenalty: Float
    /// Added to the logits of these token ids before anything else. Like OpenAI, -100 effectively bans a token and
    /// +100 effectively forces it; the bias is added, not turned into a hard mask.
    public var logitBias: [Int: Float]
    /// Seeds the sampler's generator; nil draws a seed from the system generator (the sampler reports it).
    public var seed: UInt64?

    public init(
        temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
        repetitionPenalty: Float = 1, penaltyLastN: Int = 64,
        frequencyPenalty: Float = 0, presencePenalty: Float = 0,
        logitBias: [Int: Float] = [:], seed: UInt64? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.penaltyLastN = penaltyLastN
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.logitBias = logitBias
        self.seed = seed
    }

    /// Throws `SamplingError.invalidParameter` for the first value outside its range (NaN is outside every range).
    /// Ranges follow OpenAI where it defines one (temperature, top_p, penalties, logit_bias).
    public func validate(vocabularySize: Int) throws(SamplingError) {
        func reject(_ field: String, _ reason: String) -> SamplingError { .invalidParameter(field: field, reason: reason) }
        guard (0...2).contains(temperature) else { throw reject("temperature", "must be in 0...2, got \(temperature)") }
        guard topK >= 0 else { throw reject("top_k", "must be >= 0 (0 = off), got \(topK)") }
        guard topP > 0 && topP <= 1 else { throw reject("top_p", "must be in (0, 1], got \(topP)") }
        guard (0...1).contains(minP) else { throw reject("min_p", "must be in 0...1, got \(minP)") }
        guard repetitionPenalty > 0 && repetitionPenalty.isFinite else {
            throw reject("repetition_penalty", "must be a finite number > 0 (1 = off), got \(repetitionPenalty)")
        }
        guard penaltyLastN >= -1 else { throw reject("penalty_last_n", "must be >= -1 (-1 = whole history), got \(penaltyLastN)") }
        guard (-2...2).contains(frequencyPenalty) else { throw reject("frequency_penalty", "must be in -2...2, got \(frequencyPenalty)") }
        guard (-2...2).contains(presencePenalty) else { throw reject("presence_penalty", "must be in -2...2, got \(presencePenalty)") }
        // Sorted so that the reported entry does not depend on dictionary order.
        for (token, bias) in logitBias.sorted(by: { $0.key < $1.key }) {
            guard (0..<vocabularySize).contains(token) else {
                throw reject("logit_bias", "token id \(token) is outside the vocabulary (0..<\(vocabularySize))")
            }
            guard (-100...100).contains(bias) else { throw reject("logit_bias", "bias for token \(token) must be in -100...100, got \(bias)") }
        }
    }
}
