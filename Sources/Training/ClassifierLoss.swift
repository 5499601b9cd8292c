#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorKernels

/// The vocabulary projection and its cross-entropy loss, fused as in llm.c: logits exist for
/// at most `chunkRows` rows at a time (the full rows × vocabulary never do), and in the same
/// pass turn into their gradient and go back through the frozen projection.
enum ClassifierLoss {
    // x: (n, d) final normed hidden states; targets[r]: the token row r predicts, or −1 for no loss;
    // output: (vocab, d); logits: scratch (chunkRows, vocab); gathered: scratch (chunkRows, d).
    // Returns Σ −log softmax(W·x_r)[target_r] over the targeted rows, or Σ_j −q_j log softmax(W·x_r)[j]
    // where `teacher` gives row r a distribution q. With `dx` (n, d), writes
    // the gradient of lossScale · that sum (zero on untargeted rows); with `dOutput` (vocab, d), adds
    // that of the output weight (logit gradientsᵀ · x) when it is trained. `integer`: the logits in 16-bit
    // integers where the weight allows; their gradient always goes back in float32, because a
    // softmax spans more orders of magnitude than a shared 16-bit scale holds (measured: B-gradient
    // error 1.1e-2 against PEFT's, 1.1e-3 in float32); with the one-hot part taken out it was 3% faster
    // per step, within the machine's noise, for a larger error, so it stays float.
    static func forward(x: UnsafePointer<Float>, n: Int, d: Int, targets: [Int], teacher: [Int: TokenDistribution] = [:], output: WeightMatrix, lossScale: Float,
                        dx: UnsafeMutablePointer<Float>?, dOutput: UnsafeMutablePointer<Float>? = nil, logits: UnsafeMutablePointer<Float>, gathered: UnsafeMutablePointer<Float>,
                        chunkRows: Int, integer: Bool = false, pool: ComputePool) -> Double {
        let vocab = output.rows
        let rows = (0..<n).filter { targets[$0] >= 0 }
        dx?.update(repeating: 0, count: n * d)
        var total = 0.0
        var losses = [Double](repeating: 0, count: chunkRows)
        for chunk in stride(from: 0, to: rows.count, by: chunkRows) {
            let m = min(chunkRows, rows.count - chunk)
            for i in 0..<m { (gathered + i * d).update(from: x + rows[chunk + i] * d, count: d) }
            output.multiplyLargeBatch(gathered, xStride: d, n: m, into: logits, yStride: vocab, integer: integer, pool: pool)
            losses.withUnsafeMutableBufferPointer { losses in
                pool.forEachRow(m) { i in
                    let row = rows[chunk + i], scale = dx == nil ? nil : lossScale
                    losses[i] = if let q = teacher[row] {
                        crossEntropy(logits + i * vocab, vocab, distribution: q, gradientScale: scale)
                    } else {
                        crossEntropy(logits + i * vocab, vocab, target: targets[row], gradientScale: scale)
                    }
                }
            }
            total += losses[0..<m].reduce(0, +)
            guard let dx else { continue }
            if let dOutput {
                pool.sgemm(transA: true, m: vocab, n: d, k: m, logits, lda: vocab, gathered, ldb: d, beta: 1, dOutput, ldc: d)
            }
            output.multiplyTransposed(logits, dyStride: vocab, n: m, into: gathered, dxStride: d, pool: pool)
            for i in 0..<m { (dx + rows[chunk + i] * d).update(from: gathered + i * d, count: d) }
        }
        return total
    }

    /// −log softmax(row)[target]; with `gradientScale`, the row becomes its gradient times that
    /// scale: softmax(row) − onehot(target).
    static func crossEntropy(_ row: UnsafeMutablePointer<Float>, _ vocab: Int, target: Int, gradientScale: Float?) -> Double {
        let logit = row[target]
        let (peak, sum) = Softmax.exponentiate(row, vocab)
        if let scale = gradientScale {
            let k = Float(Double(scale) / sum)
            for j in 0..<vocab { row[j] *= k }
            row[target] -= scale
        }
        return log(sum) - Double(logit - peak)
    }

    /// −Σ q_j log softmax(row)[j]; with `gradientScale`, the row becomes its gradient times that
    /// scale: softmax(row) − q.
    static func crossEntropy(_ row: UnsafeMutablePointer<Float>, _ vocab: Int, distribution q: TokenDistribution, gradientScale: Float?) -> Double {
        let expected = zip(q.tokens, q.probabilities).reduce(0.0) { $0 + Double($1.1) * Double(row[$1.0]) }
        let (peak, sum) = Softmax.exponentiate(row, vocab)
        if let scale = gradientScale {
            let k = Float(Double(scale) / sum)
            for j in 0..<vocab { row[j] *= k }
            for (t, p) in zip(q.tokens, q.probabilities) { row[t] -= scale * p }
        }
        return log(sum) + Double(peak) - expected
    }
}
