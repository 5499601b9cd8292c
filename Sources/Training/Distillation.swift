import Foundation
import Llama

/// Self-distillation targets: the frozen model's own next-token distributions at an example's
/// targets, so that training holds the adapter to the base model's whole distribution there and
/// not only to the one text it once generated. A hard target drives its token's probability to 1
/// over the epochs, and the small model then carried that answer's wording and numbers over to
/// neighbouring questions ("How many days are there in a week? A week is approximately 7 days."
/// became "A day is approximately 8 hours").
public enum Distillation {
    /// Tokens kept per distribution: the rest of the mass is dropped and these renormalised.
    public static let defaultTop = 16

    /// `example` with a teacher distribution at each of its targets: `model`'s (no adapter)
    /// `top` likeliest next tokens there, renormalised.
    public static func teach(_ example: TrainingExample, model: LlamaModel, top: Int = defaultTop) throws -> TrainingExample {
        precondition(top > 0, "a distribution needs a token")
        let n = example.tokens.count, vocab = model.config.vocabSize
        guard example.lossMask.dropFirst().contains(true) else { return example }
        let cache = model.makeCache(maxTokens: n)
        var logits = [Float]()
        logits.reserveCapacity(n * vocab)
        for start in stride(from: 0, to: n, by: chunk) {
            logits += try model.forward([.init(cache: cache, tokens: Array(example.tokens[start..<min(n, start + chunk)]), logits: .all)])
        }
        var teacher = [Int: TokenDistribution]()
        logits.withUnsafeBufferPointer { all in
            for i in 1..<n where example.lossMask[i] {
                teacher[i] = distribution(UnsafeBufferPointer(rebasing: all[(i - 1) * vocab..<i * vocab]), top: top)
            }
        }
        var out = example
        out.teacher = teacher
        return out
    }

    static let chunk = 512

    /// The `top` likeliest tokens of softmax(`logits`), ties to the lower id, renormalised; tokens
    /// below e^-16 of the likeliest are left out (at most 1.1e-7 of the mass each), so that a
    /// handful of values is sorted rather than the vocabulary.
    static func distribution(_ logits: UnsafeBufferPointer<Float>, top: Int) -> TokenDistribution {
        let peak = logits.max()!
        let kept = logits.indices.filter { logits[$0] >= peak - 16 }
            .sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(top)
        let weights = kept.map { exp(Double(logits[$0] - peak)) }
        let total = weights.reduce(0, +)
        return TokenDistribution(tokens: Array(kept), probabilities: weights.map { Float($0 / total) })
    }
}
