#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorKernels

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
///
/// Log-sum-exp subtracts the maximum and sums in Double: about 1e-6 from exact at most, below Float's resolution of
/// most log-probabilities.
public func logProbabilities(logits: UnsafeBufferPointer<Float>, chosen: Int, top: Int) -> TokenLogProb {
    guard logits.indices.contains(chosen) else { fatalError("chosen token \(chosen) outside 0..<\(logits.count)") }
    var maxLogit = logits[0]
    for l in logits { maxLogit = max(maxLogit, l) }
    var sum = 0.0
    for l in logits { sum += Double(fastExp(l - maxLogit)) }
    let logNormalizer = Double(maxLogit) + log(sum)
    func logProb(_ i: Int) -> Float { Float(Double(logits[i]) - logNormalizer) }

    // The best n ids, best first, by insertion: n <= 20, and most tokens fail the first comparison.
    let n = min(max(top, 0), TokenLogProb.maxTop, logits.count)
    var best: [Int] = []
    best.reserveCapacity(n + 1)
    var cutoff = -Float.infinity  // the n-th best logit, once there are n
    for i in logits.indices where n > 0 && (best.count < n || logits[i] > cutoff) {
        var slot = best.count
        while slot > 0 && logits[i] > logits[best[slot - 1]] { slot -= 1 }
        best.insert(i, at: slot)
        if best.count > n { best.removeLast() }
        if best.count == n { cutoff = logits[best[n - 1]] }
    }
    return TokenLogProb(
        token: chosen, logProb: logProb(chosen),
        top: best.map { TokenLogProb.Alternative(token: $0, logProb: logProb($0)) })
}
