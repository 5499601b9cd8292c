import TensorKernels

/// Chooses the next token from a step's logits, in llama.cpp's order: logit bias, penalties, then either argmax
/// (temperature 0) or top-k → top-p → min-p → temperature → softmax → one seeded draw.
///
/// One sampler per completion: it owns the seeded generator and scratch buffers sized once to the vocabulary,
/// so a call allocates nothing. Top-k and top-p select by logit histogram in linear time, never by sorting the
/// whole vocabulary.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    /// The seed actually in use: `parameters.seed`, or the one drawn from the system generator when that is nil.
    public let seed: UInt64
    public let vocabularySize: Int

    private var rng: Xoshiro256StarStar
    /// Tokens still in the running after truncation, in `candidates[0..<count]`.
    private(set) var candidates: [Candidate]
    private var weights: [Float]
    /// The histogram top-k and top-p select with.
    private var buckets: [Bucket]
    /// All zero between calls; the penalties count tokens here and reset exactly the entries they touched.
    private var counts: [Int32]

    /// Validates `parameters` against the vocabulary (see `SamplingParameters.validate`).
    public init(parameters: SamplingParameters, vocabularySize: Int) throws(SamplingError) {
        precondition(vocabularySize > 0 && vocabularySize <= Int(Int32.max), "vocabulary size \(vocabularySize) out of range")
        try parameters.validate(vocabularySize: vocabularySize)
        var system = SystemRandomNumberGenerator()
        self.parameters = parameters
        self.seed = parameters.seed ?? system.next()
        self.vocabularySize = vocabularySize
        self.rng = Xoshiro256StarStar(seed: seed)
        self.candidates = Array(repeating: Candidate(id: 0, logit: 0), count: vocabularySize)
        self.weights = Array(repeating: 0, count: vocabularySize)
        self.buckets = Array(repeating: Bucket(), count: 1024)
        self.counts = Array(repeating: 0, count: vocabularySize)
    }

    /// The next token id.
    ///
    /// - `logits`: the model's output for this step, one per vocabulary entry. Modified in place: on return it
    ///   holds the logits after logit bias and penalties (before temperature and truncation), which is exactly
    ///   the distribution `logProbabilities(logits:chosen:top:)` reports on.
    /// - `generated`: the tokens generated so far in this completion (frequency and presence penalties count these).
    /// - `context`: the prompt tokens before them. The repetition penalty's window is the tail of `context + generated`.
    ///
    /// Token ids outside the vocabulary in `generated`/`context` have no logit to penalise and are ignored.
    /// A greedy call consumes no randomness; any other call consumes exactly one generator output, so the same seed
    /// and the same sequence of logits give the same tokens.
    public mutating func sample(logits: UnsafeMutableBufferPointer<Float>, generated: [Int], context: [Int]) -> Int {
        // Checked even in -Ounchecked builds: every index below relies on it.
        guard logits.count == vocabularySize else { fatalError("\(logits.count) logits for a vocabulary of \(vocabularySize)") }
        applyLogitBias(logits)
        applyPenalties(logits, generated: generated, context: context)
        if parameters.temperature == 0 { return Self.argmax(logits) }
        let u = rng.nextUnitDouble()
        let count = truncate(logits)
        return draw(count: count, u: u)
    }

    func applyLogitBias(_ logits: UnsafeMutableBufferPointer<Float>) {
        for (token, bias) in parameters.logitBias { logits[token] += bias }
    }

    /// Repetition penalty over the window, then frequency/presence over the generated tokens, each applied once per
    /// distinct token (llama.cpp applies all three per token in this order: divide/multiply first, then subtract).
    mutating func applyPenalties(_ logits: UnsafeMutableBufferPointer<Float>, generated: [Int], context: [Int]) {
        let p = parameters
        let n = vocabularySize
        if p.repetitionPenalty != 1 && p.penaltyLastN != 0 {
            let total = context.count + generated.count
            let window = p.penaltyLastN < 0 ? total : min(p.penaltyLastN, total)
            let fromGenerated = min(window, generated.count)
            let recentPrompt = context[(context.count - (window - fromGenerated))...]
            let recentGenerated = generated[(generated.count - fromGenerated)...]
            for t in recentPrompt where t >= 0 && t < n && counts[t] == 0 { counts[t] = 1; penalizeRepetition(&logits[t]) }
            for t in recentGenerated where t >= 0 && t < n && counts[t] == 0 { counts[t] = 1; penalizeRepetition(&logits[t]) }
            for t in recentPrompt where t >= 0 && t < n { counts[t] = 0 }
            for t in recentGenerated where t >= 0 && t < n { counts[t] = 0 }
        }
        if p.frequencyPenalty != 0 || p.presencePenalty != 0 {
            for t in generated where t >= 0 && t < n { counts[t] += 1 }
            for t in generated where t >= 0 && t < n && counts[t] > 0 {
                logits[t] -= Float(counts[t]) * p.frequencyPenalty + p.presencePenalty
                counts[t] = 0
            }
        }
    }

    private func penalizeRepetition(_ logit: inout Float) {
        logit = logit <= 0 ? logit * parameters.repetitionPenalty : logit / parameters.repetitionPenalty
    }

    /// The highest logit; ties go to the lowest id.
    static func argmax(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        var bestLogit = logits[0]
        for i in 1..<logits.count where logits[i] > bestLogit {
            best = i
            bestLogit = logits[i]
        }
        return best
    }

    /// Fills `candidates[0..<count]` with the tokens that survive top-k, top-p and min-p, in no particular order,
    /// and returns `count` (at least 1).
    mutating func truncate(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        let p = parameters
        return candidates.withUnsafeMutableBufferPointer { c in
            weights.withUnsafeMutableBufferPointer { w in
                buckets.withUnsafeMutableBufferPointer { b in
                    for i in logits.indices { c[i] = Candidate(id: Int32(i), logit: logits[i]) }
                    var count = logits.count
                    if p.topK > 0 && p.topK < count { count = Self.keepBest(c, count: count, .tokens(p.topK), weights: w, buckets: b) }
                    if p.topP < 1 { count = Self.keepBest(c, count: count, .probability(Double(p.topP)), weights: w, buckets: b) }
                    if p.minP > 0 { count = Self.keepLikely(c, count: count, minP: p.minP) }
                    return count
                }
            }
        }
    }

    /// Softmax of the survivors at the sampling temperature, then the token where the cumulative mass passes `u`.
    private mutating func draw(count: Int, u: Double) -> Int {
        let invTemperature = 1 / parameters.temperature
        return candidates.withUnsafeMutableBufferPointer { c in
            weights.withUnsafeMutableBufferPointer { w in
                var maxLogit = c[0].logit
                for i in 1..<count { maxLogit = max(maxLogit, c[i].logit) }
                // Exponentials first, then the sum: the first loop vectorises, the Double sum cannot.
                for i in 0..<count { w[i] = fastExp((c[i].logit - maxLogit) * invTemperature) }
                var total = 0.0
                for i in 0..<count { total += Double(w[i]) }
                let target = u * total
                var mass = 0.0
                for i in 0..<count {
                    mass += Double(w[i])
                    if target < mass { return Int(c[i].id) }
                }
                // u * total rounded up to total: take the last token that had any probability.
                var last = count - 1
                while last > 0 && !(w[last] > 0) { last -= 1 }
                return Int(c[last].id)
            }
        }
    }
}
