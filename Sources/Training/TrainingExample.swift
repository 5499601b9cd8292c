/// One training sequence: its token ids and which of them the loss is computed on.
/// `lossMask[i]` marks token i as a target, predicted from tokens 0..<i — Hugging Face's
/// `labels` convention with `false` standing for -100 — so `lossMask[0]` is never used (false
/// by convention). Prompt tokens of a chat example are masked out, the answer's tokens masked in.
public struct TrainingExample: Sendable, Equatable, Codable {
    public var tokens: [Int]
    public var lossMask: [Bool]
    /// Soft targets by token index (as `lossMask`): where one is given, the loss is the
    /// cross-entropy against that distribution rather than against token i (distillation).
    public var teacher: [Int: TokenDistribution]?

    /// The trainer checks that the two have the same length.
    public init(tokens: [Int], lossMask: [Bool], teacher: [Int: TokenDistribution]? = nil) {
        self.tokens = tokens
        self.lossMask = lossMask
        self.teacher = teacher
    }

    /// Every token after the first is a target.
    public init(tokens: [Int]) {
        self.init(tokens: tokens, lossMask: tokens.indices.map { $0 > 0 })
    }

    /// The number of tokens the loss is computed on.
    public var lossTokenCount: Int { lossMask.dropFirst().count { $0 } }
}

/// A next-token distribution over a few tokens: their ids and probabilities, summing to 1.
public struct TokenDistribution: Sendable, Equatable, Codable {
    public var tokens: [Int]
    public var probabilities: [Float]

    public init(tokens: [Int], probabilities: [Float]) {
        self.tokens = tokens
        self.probabilities = probabilities
    }
}
