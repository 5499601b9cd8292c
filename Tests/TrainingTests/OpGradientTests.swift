import Foundation
import Testing
import TestSupport
import TensorKernels
import Llama
@testable import Training

/// Every op's backward against central finite differences of Σ dout · forward(x). The forwards
/// run in Float (sums taken in Double), so with h = 1e-2 the differences carry about 1e-5 of
/// rounding and 1e-4 of truncation error: gradients must agree to 1e-3 (relative, whole tensor).
@Suite struct OpGradientTests {
    let pool = ComputePool(threads: 2)
    let h: Float = 1e-2
    let tolerance = 1e-3

    @Test func rmsNorm() {
        let n = 3, d = 19, eps: Float = 1e-5
        let x = randomFloats(n * d, seed: 1), w = randomFloats(d, scale: 0.5, seed: 2).map { $0 + 1 }, dout = randomFloats(n * d, seed: 3)
        func f(_ x: [Float]) -> Double {
            var y = [Float](repeating: 0, count: n * d)
            RMSNorm.forward(x, w, &y, n: n, d: d, eps: eps, pool: pool)
            return weightedSum(y, dout)
        }
        var dx = [Float](repeating: 0, count: n * d)
        RMSNorm.backward(dout, x, w, &dx, n: n, d: d, eps: eps, pool: pool)
        #expect(relativeError(dx, centralDifferences(x, h: h, f)) < tolerance)
        // The backward adds into dx.
        var twice = dx
        RMSNorm.backward(dout, x, w, &twice, n: n, d: d, eps: eps, pool: pool)
        #expect(zip(twice, dx).allSatisfy { abs($0 - 2 * $1) <= 1e-6 * abs($0) })
    }

    /// The backward of the rotation is the inverse rotation, in GGUF's adjacent-pair layout.
    @Test func rope() {
        let heads = 3, hd = 8, positions = [0, 1, 7, 100]
        let rope = RotaryEmbedding(dimensions: hd, base: 10000)
        let x = randomFloats(positions.count * heads * hd, seed: 4), dout = randomFloats(x.count, seed: 5)
        func f(_ x: [Float]) -> Double {
            var y = x
            for (r, p) in positions.enumerated() { rope.apply(&y[r * heads * hd], heads: heads, headDim: hd, position: p) }
            return weightedSum(y, dout)
        }
        var dx = dout
        for (r, p) in positions.enumerated() { rope.apply(&dx[r * heads * hd], heads: heads, headDim: hd, position: p, inverse: true) }
        #expect(relativeError(dx, centralDifferences(x, h: h, f)) < tolerance)
    }

    @Test func swiglu() {
        let n = 2, ff = 13
        let gate = randomFloats(n * ff, scale: 3, seed: 6), up = randomFloats(n * ff, seed: 7), dout = randomFloats(n * ff, seed: 8)
        func f(_ gate: [Float], _ up: [Float]) -> Double {
            var y = [Float](repeating: 0, count: n * ff)
            SwiGLU.forward(gate, up, &y, n: n, ff: ff, pool: pool)
            return weightedSum(y, dout)
        }
        var dgate = [Float](repeating: 0, count: n * ff), dup = dgate
        SwiGLU.backward(dout, gate, up, &dgate, &dup, n: n, ff: ff, pool: pool)
        #expect(relativeError(dgate, centralDifferences(gate, h: h) { f($0, up) }) < tolerance)
        #expect(relativeError(dup, centralDifferences(up, h: h) { f(gate, $0) }) < tolerance)
    }

    /// Grouped-query attention (4 query heads on 2 key/value heads) over three packed sequences,
    /// the last longer than a query block so that blocks meet; gradients at a sample of coordinates.
    /// With context, two of them also attend to a shared prefix of 5 rows (a sequence of its own),
    /// whose keys and values then get gradients from all three.
    @Test(arguments: [false, true])
    func causalAttention(withContext: Bool) {
        let heads = 4, kvHeads = 2, hd = 8, d = heads * hd, kvd = kvHeads * hd
        let prefix = withContext ? 0..<5 : 0..<0, p = prefix.count
        let sequences = (withContext ? [CausalAttention.Span(prefix)] : []) + [
            CausalAttention.Span(p..<p + 1), CausalAttention.Span(p + 1..<p + 6, context: prefix),
            CausalAttention.Span(p + 6..<p + 6 + CausalAttention.block + 9, context: prefix),
        ]
        let rows = sequences.last!.rows.upperBound
        let q = randomFloats(rows * d, seed: 9), k = randomFloats(rows * kvd, seed: 10), v = randomFloats(rows * kvd, seed: 11)
        let dout = randomFloats(rows * d, seed: 12)
        var probabilities = [Float](repeating: .nan, count: CausalAttention.probabilityCount(sequences, heads: heads))
        func f(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
            var out = [Float](repeating: 0, count: rows * d)
            CausalAttention.forward(q: q, k: k, v: v, out: &out, probabilities: &probabilities, sequences: sequences,
                                    heads: heads, kvHeads: kvHeads, headDim: hd, pool: pool)
            return weightedSum(out, dout)
        }
        var out = [Float](repeating: 0, count: rows * d)
        CausalAttention.forward(q: q, k: k, v: v, out: &out, probabilities: &probabilities, sequences: sequences,
                                heads: heads, kvHeads: kvHeads, headDim: hd, pool: pool)
        var dq = [Float](repeating: .nan, count: rows * d), dk = [Float](repeating: .nan, count: rows * kvd), dv = dk
        CausalAttention.backward(dout: dout, q: q, k: k, v: v, out: out, probabilities: probabilities, dq: &dq, dk: &dk, dv: &dv,
                                 sequences: sequences, heads: heads, kvHeads: kvHeads, headDim: hd, pool: pool)
        // Every coordinate of the prefix and the two short sequences, every 7th of the long one.
        let whole = p + 6
        func sample(_ width: Int) -> [Int] { Array(0..<whole * width) + Array(stride(from: whole * width, to: rows * width, by: 7)) }
        func pick(_ g: [Float], _ width: Int) -> [Float] { sample(width).map { g[$0] } }
        #expect(relativeError(pick(dq, d), centralDifferences(q, h: h, indices: sample(d)) { f($0, k, v) }) < tolerance)
        #expect(relativeError(pick(dk, kvd), centralDifferences(k, h: h, indices: sample(kvd)) { f(q, $0, v) }) < tolerance)
        #expect(relativeError(pick(dv, kvd), centralDifferences(v, h: h, indices: sample(kvd)) { f(q, k, $0) }) < tolerance)
    }

    /// The probabilities a layer keeps fit in the room made for any packing of sequences up to
    /// the length limit, and full-length sequences fill it.
    @Test func attentionProbabilitiesFitTheirCapacity() {
        var rng = SystemRandomNumberGenerator()
        for (rows, maxLength) in [(1024, 256), (16, 16), (300, 100), (98, 65), (361, 200), (7, 3)] {
            let capacity = CausalAttention.probabilityCapacity(rows: rows, maxLength: maxLength, heads: 9)
            let full = (0..<rows / maxLength).map { CausalAttention.Span($0 * maxLength..<($0 + 1) * maxLength) }
            if rows % maxLength == 0 { #expect(CausalAttention.probabilityCount(full, heads: 9) == capacity) }
            for _ in 0..<200 {
                var sequences = [CausalAttention.Span](), used = 0
                while used < rows {
                    let length = Int.random(in: 1...min(maxLength, rows - used), using: &rng)
                    sequences.append(CausalAttention.Span(used..<used + length))
                    used += length
                }
                #expect(CausalAttention.probabilityCount(sequences, heads: 9) <= capacity, "\(sequences.map(\.rows.count))")
            }
        }
    }

    /// Mean cross-entropy over the masked-in rows, in chunks smaller than the batch: its value
    /// against a float64 log-softmax, its gradient against finite differences.
    @Test func classifierLossWithMask() {
        let n = 7, d = 16, vocab = 37, chunk = 2
        let targets = [3, -1, 36, 0, -1, 5, 5]
        let weights = randomFloats(vocab * d, seed: 13), output = floatWeight(rows: vocab, cols: d, weights)
        let x = randomFloats(n * d, seed: 14)
        let scale = 1 / Float(targets.count { $0 >= 0 })
        var logits = [Float](repeating: 0, count: chunk * vocab), gathered = [Float](repeating: 0, count: chunk * d)
        func loss(_ x: [Float], dx: UnsafeMutablePointer<Float>? = nil) -> Double {
            ClassifierLoss.forward(x: x, n: n, d: d, targets: targets, output: output, lossScale: scale, dx: dx,
                                   logits: &logits, gathered: &gathered, chunkRows: chunk, pool: pool) * Double(scale)
        }
        var want = 0.0
        for (r, t) in targets.enumerated() where t >= 0 {
            let z = (0..<vocab).map { o in (0..<d).reduce(0.0) { $0 + Double(weights[o * d + $1]) * Double(x[r * d + $1]) } }
            let m = z.max()!
            want += (log(z.reduce(0) { $0 + exp($1 - m) }) + m - z[t]) * Double(scale)
        }
        var dx = [Float](repeating: 1, count: n * d)
        let got = loss(x, dx: &dx)
        #expect(abs(got - want) < 1e-5 * want)
        #expect(relativeError(dx, centralDifferences(x, h: h) { loss($0) }) < tolerance)
        #expect(dx[d..<2 * d].allSatisfy { $0 == 0 } && dx[4 * d..<5 * d].allSatisfy { $0 == 0 }, "masked-out rows get no gradient")
    }

    /// Rows with a teacher distribution take −Σ q·log softmax instead of the target's −log p: its
    /// value against float64, its gradient against finite differences, the other rows unchanged.
    @Test func classifierLossWithTeacher() {
        let n = 4, d = 12, vocab = 29, chunk = 3
        let targets = [7, -1, 2, 11]
        let teacher = [0: TokenDistribution(tokens: [7, 3, 28], probabilities: [0.5, 0.3, 0.2]),
                       3: TokenDistribution(tokens: [0], probabilities: [1])]
        let weights = randomFloats(vocab * d, seed: 19), output = floatWeight(rows: vocab, cols: d, weights)
        let x = randomFloats(n * d, seed: 20), scale: Float = 1 / 3
        var logits = [Float](repeating: 0, count: chunk * vocab), gathered = [Float](repeating: 0, count: chunk * d)
        func loss(_ x: [Float], dx: UnsafeMutablePointer<Float>? = nil) -> Double {
            ClassifierLoss.forward(x: x, n: n, d: d, targets: targets, teacher: teacher, output: output, lossScale: scale, dx: dx,
                                   logits: &logits, gathered: &gathered, chunkRows: chunk, pool: pool) * Double(scale)
        }
        var want = 0.0
        for (r, t) in targets.enumerated() where t >= 0 {
            let z = (0..<vocab).map { o in (0..<d).reduce(0.0) { $0 + Double(weights[o * d + $1]) * Double(x[r * d + $1]) } }
            let m = z.max()!, logSum = log(z.reduce(0) { $0 + exp($1 - m) }) + m
            let q = teacher[r].map { Array(zip($0.tokens, $0.probabilities.map(Double.init))) } ?? [(t, 1)]
            want += q.reduce(0) { $0 + $1.1 * (logSum - z[$1.0]) } * Double(scale)
        }
        var dx = [Float](repeating: 1, count: n * d)
        let got = loss(x, dx: &dx)
        #expect(abs(got - want) < 1e-5 * want)
        #expect(relativeError(dx, centralDifferences(x, h: h) { loss($0) }) < tolerance)
        #expect(dx[d..<2 * d].allSatisfy { $0 == 0 }, "masked-out rows get no gradient")
    }

    /// y += scale·B·A·x: gradients of A, B and x.
    @Test func loraPair() {
        let config = LlamaConfig(vocabSize: 8, hiddenSize: 9, intermediateSize: 12, layerCount: 1, headCount: 1, kvHeadCount: 1)
        let parameters = LoRAParameters(config: config, lora: LoRAConfiguration(rank: 3, alpha: 5.1, targets: [.down]))
        let pair = parameters.pair(layer: 0, .down)!, n = 5
        let values = randomFloats(parameters.count, seed: 15), entry = parameters.entries[0]
        let x = randomFloats(n * pair.inputs, seed: 17), dout = randomFloats(n * pair.outputs, seed: 18)
        var low = [Float](repeating: 0, count: n * pair.rank), dlow = low
        func f(_ values: [Float], _ x: [Float]) -> Double {
            parameters.values.update(from: values, count: values.count)
            var y = [Float](repeating: 0, count: n * pair.outputs)
            pair.forward(x: x, n: n, y: &y, low: &low, pool: pool)
            return weightedSum(y, dout)
        }
        _ = f(values, x)
        var dx = [Float](repeating: 0, count: n * pair.inputs)
        pair.backward(dy: dout, x: x, low: low, n: n, dlow: &dlow, dx: &dx, accumulate: true, pool: pool)
        let gradients = Array(UnsafeBufferPointer(start: parameters.gradients, count: parameters.count))
        #expect(relativeError(Array(gradients[entry.a]), centralDifferences(values, h: h, indices: Array(entry.a)) { f($0, x) }) < tolerance)
        #expect(relativeError(Array(gradients[entry.b]), centralDifferences(values, h: h, indices: Array(entry.b)) { f($0, x) }) < tolerance)
        #expect(relativeError(dx, centralDifferences(x, h: h) { f(values, $0) }) < tolerance)
    }

    @Test func dropoutMaskKeepsTheRateAndScalesTheRest() {
        let n = 100, cols = 64, rate: Float = 0.25
        let x = [Float](repeating: 2, count: n * cols)
        var y = x, again = x
        DropoutMask(seed: 42, rate: rate).apply(x, into: &y, n: n, cols: cols, pool: pool)
        DropoutMask(seed: 42, rate: rate).apply(x, into: &again, n: n, cols: cols, pool: pool)
        #expect(y == again, "a pure function of seed and position")
        let kept = y.count { $0 != 0 }
        #expect(abs(Double(kept) / Double(y.count) - 0.75) < 0.02)
        #expect(y.allSatisfy { $0 == 0 || $0 == 2 / 0.75 })
    }
}
