/// One training sequence: token ids and, per token, whether predicting it counts in the loss.
public struct TrainingExample: Sendable, Equatable {
    public var tokens: [Int]
    /// `lossMask[i]` refers to predicting `tokens[i]` from `tokens[..<i]`; `lossMask[0]` is always false.
    public var lossMask: [Bool]

    public init(tokens: [Int], lossMask: [Bool]) {
        precondition(tokens.count == lossMask.count, "\(tokens.count) tokens but \(lossMask.count) loss-mask entries")
        self.tokens = tokens
        self.lossMask = lossMask
    }

    public var lossTokenCount: Int { lossMask.count(where: \.self) }
}
