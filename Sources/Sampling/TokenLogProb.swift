#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One step's answer to OpenAI's `logprobs` / `top_logprobs`: the chosen token's log-probability and the most
/// likely alternatives, best first.
public struct TokenLogProb: Sendable, Equatable {
    public struct Alternative: Sendable, Equatable {
        public let token: Int
        public let logProb: Float
    }

    public let token: Int
    public let logProb: Float
    public let top: [Alternative]

    /// OpenAI's limit on `top_logprobs`.
    public static let maxTop = 20
}

/// Log-softmax of `logits` for `chosen` and the `top` most likely tokens (clamped to 0...20; ties to the lower id).
///
/// Pass the logits as `Sampler.sample` leaves them: after logit bias and penalties, before temperature and
/// truncation. So the numbers describe the model's distribution as the request shaped it, independent of how
/// the draw was made, and tokens that truncation excluded keep their finite log-probability. (vLLM V1 by default
/// reports the raw model output, before bias and penalties.)
/// Log-sum-exp runs in Double after subtracting the maximum.
public func logProbabilities(logits: UnsafeBufferPointer<Float>, chosen: Int, top: Int) -> TokenLogProb {
    precondition(logits.indices.contains(chosen), "chosen token \(chosen) outside 0..<\(logits.count)")
    var maxLogit = logits[0]
    for l in logits where l > maxLogit { maxLogit = l }
    var sum = 0.0
    for l in logits { sum += exp(Double(l) - Double(maxLogit)) }
    let logNormalizer = Double(maxLogit) + log(sum)
    func logProb(_ i: Int) -> Float { Float(Double(logits[i]) - logNormalizer) }

    // The best n ids, best first, by insertion: n <= 20, and most tokens fail the first comparison.
    let n = min(max(top, 0), TokenLogProb.maxTop, logits.count)
    var best: [Int] = []
    best.reserveCapacity(n + 1)
    if n > 0 {
        for i in logits.indices where best.count < n || logits[i] > logits[best[n - 1]] {
            var slot = best.count
            while slot > 0 && logits[i] > logits[best[slot - 1]] { slot -= 1 }
            best.insert(i, at: slot)
            if best.count > n { best.removeLast() }
        }
    }
    return TokenLogProb(
        token: chosen, logProb: logProb(chosen),
        top: best.map { TokenLogProb.Alternative(token: $0, logProb: logProb($0)) })
}
