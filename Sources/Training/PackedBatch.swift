/// A micro-batch of sequences laid end to end as rows, as the training model runs them.
struct PackedBatch {
    var tokens: [Int] = []
    /// Each row's position inside its sequence.
    var positions: [Int] = []
    /// The rows of each sequence.
    var sequences: [Range<Int>] = []
    /// The token each row predicts, or −1 where no loss is taken (masked out, or a sequence's last row).
    var targets: [Int] = []

    init(_ examples: [TrainingExample]) {
        for e in examples {
            sequences.append(tokens.count..<tokens.count + e.tokens.count)
            tokens += e.tokens
            positions += e.tokens.indices
            targets += e.tokens.indices.map { i in i + 1 < e.tokens.count && e.lossMask[i + 1] ? e.tokens[i + 1] : -1 }
        }
    }

    var rows: Int { tokens.count }
    var targetCount: Int { targets.count { $0 >= 0 } }
}
