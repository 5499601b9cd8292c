import Foundation
import Testing
import TestSupport
@testable import TensorKernels

@Suite struct AttentionTests {
    /// Naive causal attention in float64.
    func reference(q: [Float], k: [Float], v: [Float], n: Int, start: Int, hd: Int, stride: Int, scale: Double) -> [Double] {
        var out = [Double](repeating: 0, count: n * hd)
        for i in 0..<n {
            let len = start + i + 1
            var s = (0..<len).map { j in (0..<hd).reduce(0.0) { $0 + Double(q[i * hd + $1]) * Double(k[j * stride + $1]) } * scale }
            let m = s.max()!
            s = s.map { exp($0 - m) }
            let z = s.reduce(0, +)
            for j in 0..<len { for c in 0..<hd { out[i * hd + c] += s[j] / z * Double(v[j * stride + c]) } }
        }
        return out
    }

    /// Both the per-row path (n ≤ 4) and the sgemm path, starting at 0 or after cached keys,
    /// for head sizes that do and do not fill the row kernel's vector and 64-column slices.
    @Test(arguments: [(1, 0, 64), (1, 37, 64), (3, 5, 64), (4, 0, 64), (2, 130, 64), (9, 0, 64), (20, 13, 64), (130, 3, 64),
                      (2, 9, 128), (3, 6, 40), (1, 5, 6)])
    func matchesNaiveCausalAttention(_ n: Int, _ start: Int, _ hd: Int) {
        let stride = hd * 3 + 8
        let keys = start + n
        let q = randomFloats(n * hd, scale: 2, seed: 1)
        let k = randomFloats(keys * stride, scale: 2, seed: 2), v = randomFloats(keys * stride, seed: 3)
        var out = [Float](repeating: .nan, count: n * hd)
        var scores = [Float](repeating: 0, count: n * keys)
        let scale = 1 / Float(hd).squareRoot()
        Attention.causal(q: q, qStride: hd, n: n, start: start, k: k, v: v, kvStride: stride, headDim: hd,
                         scale: scale, out: &out, outStride: hd, scores: &scores)
        let want = reference(q: q, k: k, v: v, n: n, start: start, hd: hd, stride: stride, scale: Double(scale))
        let err = zip(out, want).map { abs(Double($0) - $1) }.max()!
        #expect(err < 1e-5, "n=\(n) start=\(start) hd=\(hd): \(err)")
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
