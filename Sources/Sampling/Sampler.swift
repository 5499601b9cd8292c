#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses the next token from a step's logits, in llama.cpp's order: logit bias, penalties, then either argmax
/// (temperature 0) or top-k → top-p → min-p → temperature → softmax → one seeded draw.
///
/// One sampler per completion: it owns the seeded generator and scratch buffers sized once to the vocabulary,
/// so a call allocates nothing. Top-k and top-p rank tokens by partial selection (a heap of the best m),
/// never by sorting the whole vocabulary.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    /// The seed actually in use: `parameters.seed`, or the one drawn from the system generator when that is nil.
    public let seed: UInt64
    public let vocabularySize: Int

    private var rng: Xoshiro256StarStar
    /// Tokens still in the running after truncation, in `candidates[0..<count]`.
    private(set) var candidates: [Candidate]
    private var weights: [Float]
    /// All zero between calls; the penalties count tokens here and reset exactly the entries they touched.
    private var counts: [Int32]

    struct Candidate: Equatable {
        var id: Int32
        var logit: Float
    }

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
        precondition(logits.count == vocabularySize, "\(logits.count) logits for a vocabulary of \(vocabularySize)")
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
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }

    /// Fills `candidates[0..<count]` with the tokens that survive top-k, top-p and min-p and returns `count`.
    /// When any ranking is needed (top-k or top-p on) they are sorted best first (ties: lower id first);
    /// with only min-p they are filtered in id order. Top-p's probabilities are those of the top-k survivors
    /// renormalised, as in llama.cpp, HF and vLLM.
    mutating func truncate(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        let p = parameters
        let n = logits.count
        var maxLogit = logits[0]
        for l in logits where l > maxLogit { maxLogit = l }
        // min-p keeps p >= minP * pmax, i.e. logit >= maxLogit + log(minP); -inf when off keeps every finite logit.
        let minLogit = p.minP > 0 ? maxLogit + log(p.minP) : -Float.infinity

        let k = p.topK > 0 ? min(p.topK, n) : n
        if k == n && p.topP >= 1 {
            var count = 0
            for i in 0..<n where logits[i] >= minLogit {
                candidates[count] = Candidate(id: Int32(i), logit: logits[i])
                count += 1
            }
            return count
        }

        var count = k
        if k < n {
            selectTop(k, of: logits)
            if p.topP < 1 {
                var z = 0.0
                for i in 0..<k { z += Double(exp(candidates[i].logit - maxLogit)) }
                count = nucleusSize(of: k, total: z) ?? k
            }
        } else {
            // Top-p over the whole vocabulary: rank a growing prefix until it holds enough probability.
            var z = 0.0
            for l in logits { z += Double(exp(l - maxLogit)) }
            var m = min(n, 256)
            while true {
                selectTop(m, of: logits)
                if let size = nucleusSize(of: m, total: z) { count = size; break }
                if m == n { count = n; break }
                m = min(n, m * 4)
            }
        }
        var kept = 1  // the best token always passes min-p
        while kept < count && candidates[kept].logit >= minLogit { kept += 1 }
        return kept
    }

    /// How many of the sorted `candidates[0..<m]` top-p keeps: the smallest prefix whose probability mass
    /// (relative to `total`, the sum of `exp(logit - max)` over the distribution) reaches `topP`; nil if all `m` fall short.
    private func nucleusSize(of m: Int, total: Double) -> Int? {
        let maxLogit = candidates[0].logit
        let target = Double(parameters.topP) * total
        var mass = 0.0
        for i in 0..<m {
            mass += Double(exp(candidates[i].logit - maxLogit))
            if mass >= target { return i + 1 }
        }
        return nil
    }

    /// Puts the `m` best tokens (highest logit, ties to the lower id) in `candidates[0..<m]`, best first.
    /// A heap of size m whose root is the worst kept token: O(n log m), no allocation.
    private mutating func selectTop(_ m: Int, of logits: UnsafeMutableBufferPointer<Float>) {
        candidates.withUnsafeMutableBufferPointer { heap in
            for i in 0..<m { heap[i] = Candidate(id: Int32(i), logit: logits[i]) }
            for i in stride(from: m / 2 - 1, through: 0, by: -1) { siftDown(heap, from: i, count: m) }
            // Ids arrive in increasing order, so a token that only ties the root loses (it has the higher id).
            for i in m..<logits.count where logits[i] > heap[0].logit {
                heap[0] = Candidate(id: Int32(i), logit: logits[i])
                siftDown(heap, from: 0, count: m)
            }
            // Heapsort: moving the worst to the back each time leaves the best first.
            for end in stride(from: m - 1, to: 0, by: -1) {
                heap.swapAt(0, end)
                siftDown(heap, from: 0, count: end)
            }
        }
    }

    /// Softmax of the survivors at the sampling temperature, then the token where the cumulative mass passes `u`.
    private mutating func draw(count: Int, u: Double) -> Int {
        var maxLogit = candidates[0].logit
        for i in 1..<count where candidates[i].logit > maxLogit { maxLogit = candidates[i].logit }
        let invTemperature = 1 / parameters.temperature
        var total = 0.0
        for i in 0..<count {
            weights[i] = exp((candidates[i].logit - maxLogit) * invTemperature)
            total += Double(weights[i])
        }
        let target = u * total
        var mass = 0.0
        for i in 0..<count {
            mass += Double(weights[i])
            if target < mass { return Int(candidates[i].id) }
        }
        // u * total rounded up to total: take the last token that had any probability.
        var last = count - 1
        while last > 0 && !(weights[last] > 0) { last -= 1 }
        return Int(candidates[last].id)
    }
}

/// "a is a worse token than b": lower logit, or the same logit and a higher id.
@inline(__always) private func worse(_ a: Sampler.Candidate, _ b: Sampler.Candidate) -> Bool {
    a.logit < b.logit || (a.logit == b.logit && a.id > b.id)
}

/// Restores the heap (worst at the root) below `i` in `heap[0..<count]`.
private func siftDown(_ heap: UnsafeMutableBufferPointer<Sampler.Candidate>, from i: Int, count: Int) {
    var parent = i
    while true {
        let left = 2 * parent + 1
        if left >= count { return }
        var child = left
        if left + 1 < count && worse(heap[left + 1], heap[left]) { child = left + 1 }
        if !worse(heap[child], heap[parent]) { return }
        heap.swapAt(parent, child)
        parent = child
    }
}
