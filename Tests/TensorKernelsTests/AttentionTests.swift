import Foundation
import Testing
import TestSupport
@testable import TensorKernels

@Suite struct AttentionTests {
    /// Naive causal attention in float64 for one head: q and out rows `qStride` apart.
    func reference(q: ArraySlice<Float>, qStride: Int, k: [Float], v: [Float], n: Int, start: Int, hd: Int, stride: Int,
                   scale: Double) -> [Double] {
        var out = [Double](repeating: 0, count: n * hd)
        for i in 0..<n {
            let len = start + i + 1
            let qi = q.startIndex + i * qStride
            var s = (0..<len).map { j in (0..<hd).reduce(0.0) { $0 + Double(q[qi + $1]) * Double(k[j * stride + $1]) } * scale }
            let m = s.max()!
            s = s.map { exp($0 - m) }
            let z = s.reduce(0, +)
            for j in 0..<len { for c in 0..<hd { out[i * hd + c] += s[j] / z * Double(v[j * stride + c]) } }
        }
        return out
    }

    /// The row kernel (`causal`) and the two sgemms of training (`causalProducts`), starting at 0 or
    /// after cached keys, for one head or a group sharing keys and values, with head sizes that do and
    /// do not fill the row kernel's vectors and 64-column slices.
    @Test(arguments: [(1, 0, 64, 1), (1, 37, 64, 3), (3, 5, 64, 1), (4, 0, 64, 2), (2, 130, 64, 3), (9, 0, 64, 1),
                      (20, 13, 64, 3), (130, 3, 64, 1), (2, 9, 128, 4), (3, 6, 40, 3), (1, 5, 6, 2)])
    func matchesNaiveCausalAttention(_ n: Int, _ start: Int, _ hd: Int, _ heads: Int) {
        let stride = hd * 3 + 8, qStride = heads * hd + 5
        let keys = start + n
        let q = randomFloats(n * qStride, scale: 2, seed: 1)
        let k = randomFloats(keys * stride, scale: 2, seed: 2), v = randomFloats(keys * stride, seed: 3)
        let scale = 1 / Float(hd).squareRoot()
        var rowwise = [Float](repeating: .nan, count: n * qStride), products = rowwise
        var scores = [Float](repeating: 0, count: Attention.scratchCount(heads: heads, n: n, start: start, headDim: hd))
        Attention.causal(q: q, qStride: qStride, heads: heads, n: n, start: start, k: k, v: v, kvStride: stride, headDim: hd,
                         scale: scale, out: &rowwise, outStride: qStride, scores: &scores)
        var probabilities = [Float](repeating: 0, count: n * heads * keys), stack = [Float](repeating: 0, count: 2 * n * heads * hd)
        Attention.causalProducts(q: q, qStride: qStride, heads: heads, n: n, start: start, k: k, v: v, kvStride: stride, headDim: hd,
                                 scale: scale, out: &products, outStride: qStride, probabilities: &probabilities, stack: &stack)
        for (path, out) in [("rows", rowwise), ("products", products)] {
            for h in 0..<heads {
                let want = reference(q: q[(h * hd)...], qStride: qStride, k: k, v: v, n: n, start: start, hd: hd, stride: stride,
                                     scale: Double(scale))
                var err = 0.0
                for i in 0..<n { for c in 0..<hd { err = max(err, abs(Double(out[i * qStride + h * hd + c]) - want[i * hd + c])) } }
                #expect(err < 1e-5, "\(path): n=\(n) start=\(start) hd=\(hd) head \(h) of \(heads): \(err)")
            }
            // Padding after the heads is never written.
            for i in 0..<n { #expect(out[(i * qStride + heads * hd)..<((i + 1) * qStride)].allSatisfy { $0.isNaN }, "\(path)") }
        }
    }
}

@Suite struct RotaryEmbeddingTests {
    /// Adjacent pairs rotate as complex numbers by position · base^(−2i/d).
    @Test func rotatesPairsByPositionTimesFrequency() {
        let hd = 8, heads = 3
        let rope = RotaryEmbedding(dimensions: hd, base: 10000)
        var x = randomFloats(heads * hd, seed: 4)
        let x0 = x
        rope.apply(&x, heads: heads, headDim: hd, position: 7)
        for h in 0..<heads {
            for i in 0..<hd / 2 {
                let theta = 7 * pow(10000.0, -Double(2 * i) / Double(hd))
                let a = Double(x0[h * hd + 2 * i]), b = Double(x0[h * hd + 2 * i + 1])
                #expect(abs(Double(x[h * hd + 2 * i]) - (a * cos(theta) - b * sin(theta))) < 1e-5)
                #expect(abs(Double(x[h * hd + 2 * i + 1]) - (a * sin(theta) + b * cos(theta))) < 1e-5)
            }
        }
        rope.apply(&x, heads: heads, headDim: hd, position: 7, inverse: true)
        for i in x.indices { #expect(abs(x[i] - x0[i]) < 1e-5) }
    }

    @Test func frequencyFactorsAndLinearScaleDivideFrequencies() {
        let rope = RotaryEmbedding(dimensions: 4, base: 100, freqFactors: [1, 4], linearScale: 2)
        #expect(abs(rope.invFreq[0] - 0.5) < 1e-7)
        #expect(abs(rope.invFreq[1] - 0.1 / 4 / 2) < 1e-7)
    }
}
