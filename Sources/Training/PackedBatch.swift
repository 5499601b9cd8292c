/// A micro-batch of sequences laid end to end as rows, as the training model runs them.
struct PackedBatch {
    var tokens: [Int] = []
    /// Each row's position inside its sequence.
    var positions: [Int] = []
    /// The rows of each sequence, its virtual tokens included.
    var sequences: [Range<Int>] = []
    /// The token each row predicts, or −1 where no loss is taken (masked out, or a sequence's last row).
    var targets: [Int] = []
    /// Rows whose loss is taken against a distribution (`TrainingExample.teacher`) instead of their target.
    var teacher: [Int: TokenDistribution] = [:]
    /// Rows at the start of each sequence that are virtual tokens (prompt or prefix tuning), not
    /// tokens: their token is −1 and they predict nothing (PEFT's labels −100); the sequence's
    /// tokens follow at positions virtualTokens...
    let virtualTokens: Int

    init(_ examples: [TrainingExample], virtualTokens: Int = 0) {
        self.virtualTokens = virtualTokens
        for e in examples {
            let length = virtualTokens + e.tokens.count
            sequences.append(tokens.count..<tokens.count + length)
            tokens += [Int](repeating: -1, count: virtualTokens) + e.tokens
            positions += 0..<length
            targets += [Int](repeating: -1, count: virtualTokens)
            let first = tokens.count - e.tokens.count
            targets += e.tokens.indices.map { i in i + 1 < e.tokens.count && e.lossMask[i + 1] ? e.tokens[i + 1] : -1 }
            for (i, distribution) in e.teacher ?? [:] where i > 0 && i < e.tokens.count && e.lossMask[i] { teacher[first + i - 1] = distribution }
        }
    }

    var rows: Int { tokens.count }
    var targetCount: Int { targets.count { $0 >= 0 } }

    /// The virtual rows of each sequence, as (row, virtual token index).
    var virtualRows: [(row: Int, index: Int)] {
        sequences.flatMap { s in (0..<virtualTokens).map { (s.lowerBound + $0, $0) } }
    }
}
