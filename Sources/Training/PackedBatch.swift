/// A micro-batch of sequences laid end to end as rows, as the training model runs them.
///
/// Examples that begin with the same tokens, none of them a target (chat examples under one
/// template: SmolLM2's default system prompt and the user's turn marker are 23 tokens, a third
/// of a prepared document's tokens), share those rows: they are packed once, as a sequence of
/// their own, and each such example's remaining rows attend to them as their context. Causal
/// attention makes the shared rows' activations the same for every example, so the loss and the
/// gradients are those of the examples packed whole (up to rounding), for fewer rows.
struct PackedBatch {
    var tokens: [Int] = []
    /// Each row's position inside its sequence.
    var positions: [Int] = []
    /// The rows of each sequence, its virtual tokens included, and the shared rows it attends to first.
    var sequences: [CausalAttention.Span] = []
    /// The token each row predicts, or −1 where no loss is taken (masked out, or a sequence's last row).
    var targets: [Int] = []
    /// Rows whose loss is taken against a distribution (`TrainingExample.teacher`) instead of their target.
    var teacher: [Int: TokenDistribution] = [:]
    /// Rows at the start of each sequence that are virtual tokens (prompt or prefix tuning), not
    /// tokens: their token is −1 and they predict nothing (PEFT's labels −100); the sequence's
    /// tokens follow at positions virtualTokens...
    let virtualTokens: Int

    /// `sharingPrefixes`: pack a prefix that examples share once (never with virtual tokens,
    /// which come first in every sequence).
    init(_ examples: [TrainingExample], virtualTokens: Int = 0, sharingPrefixes: Bool = true) {
        self.virtualTokens = virtualTokens
        let shared = sharingPrefixes && virtualTokens == 0 ? Self.sharedPrefix(examples) : (members: [], length: 0)
        var context = 0..<0
        if shared.length > 0 {
            context = 0..<shared.length
            sequences.append(CausalAttention.Span(context))
            tokens += examples[shared.members[0]].tokens.prefix(shared.length)
            positions += context
            targets += [Int](repeating: -1, count: shared.length)
        }
        for (j, e) in examples.enumerated() {
            let skip = shared.members.contains(j) ? shared.length : 0
            let own = e.tokens.count - skip, length = virtualTokens + own
            sequences.append(CausalAttention.Span(tokens.count..<tokens.count + length, context: skip > 0 ? context : 0..<0))
            let first = tokens.count + virtualTokens - skip  // the row token 0 would have
            tokens += [Int](repeating: -1, count: virtualTokens) + e.tokens[skip...]
            positions += skip..<skip + length
            targets += [Int](repeating: -1, count: virtualTokens)
            targets += e.tokens.indices.dropFirst(skip).map { i in i + 1 < e.tokens.count && e.lossMask[i + 1] ? e.tokens[i + 1] : -1 }
            for (i, distribution) in e.teacher ?? [:] where i > skip && i < e.tokens.count && e.lossMask[i] { teacher[first + i - 1] = distribution }
        }
    }

    /// The largest saving: the examples that begin with one token and the tokens all of them
    /// begin with, cut before the first that is a target of any of them (row i predicts token
    /// i + 1) and so that each keeps a row of its own. No sharing is (members: [], length: 0).
    static func sharedPrefix(_ examples: [TrainingExample]) -> (members: [Int], length: Int) {
        var best = (members: [Int](), length: 0), tried = Set<Int>()
        for first in examples.compactMap(\.tokens.first) where tried.insert(first).inserted {
            let members = examples.indices.filter { examples[$0].tokens.first == first }
            guard members.count > 1 else { continue }
            let lead = examples[members[0]].tokens
            var length = members.map { examples[$0].tokens.count - 1 }.min()!
            for m in members {
                let e = examples[m]
                length = min(length, zip(lead, e.tokens).prefix(while: { $0 == $1 }).count)
                if let target = e.lossMask.prefix(length + 1).dropFirst().firstIndex(of: true) { length = min(length, target - 1) }
            }
            if (members.count - 1) * length > max(0, best.members.count - 1) * best.length { best = (members, length) }
        }
        return best.length > 0 ? best : ([], 0)
    }

    var rows: Int { tokens.count }
    var targetCount: Int { targets.count { $0 >= 0 } }

    /// The virtual rows of each sequence, as (row, virtual token index).
    var virtualRows: [(row: Int, index: Int)] {
        sequences.flatMap { s in (0..<virtualTokens).map { (s.rows.lowerBound + $0, $0) } }
    }
}
