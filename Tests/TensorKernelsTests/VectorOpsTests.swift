import Foundation
import Testing
import TestSupport
@testable import TensorKernels

@Suite struct VectorOpsTests {
    @Test(arguments: [1, 7, 8, 31, 32, 33, 100, 576])
    func dotMatchesDouble(_ n: Int) {
        let a = randomFloats(n, seed: 1), b = randomFloats(n, seed: 2)
        let want = zip(a, b).map { Double($0) * Double($1) }.reduce(0, +)
        #expect(abs(Double(VectorOps.dot(a, b, n)) - want) < 1e-5 * Double(n))
    }

    @Test func rmsNormMatchesFormula() {
        let n = 37
        let x = randomFloats(n, scale: 3, seed: 3), w = randomFloats(n, seed: 4)
        var y = [Float](repeating: 0, count: n)
        VectorOps.rmsNorm(x, w, &y, n, eps: 1e-5)
        let rms = (x.map { Double($0) * Double($0) }.reduce(0, +) / Double(n) + 1e-5).squareRoot()
        for i in 0..<n { #expect(abs(Double(y[i]) - Double(x[i]) / rms * Double(w[i])) < 1e-5) }
    }

    @Test func softmaxSumsToOneAndIsStableForLargeInputs() {
        var x: [Float] = [1000, 1001, 999, -Float.infinity]
        VectorOps.softmax(&x, 4)
        let e = [exp(-1.0), 1, exp(-2.0)], s = e.reduce(0, +)
        for i in 0..<3 { #expect(abs(Double(x[i]) - e[i] / s) < 1e-6) }
        #expect(x[3] == 0)
    }

    /// The vectorised exponentials, with masked (−∞) and far-below-maximum entries.
    @Test func softmaxMatchesDoubleOverVectors() {
        var x = randomFloats(37, scale: 60, seed: 12)
        x[3] = -.infinity
        x[20] = -.infinity
        let x0 = x
        let sum = VectorOps.softmax(&x, 37)
        let m = Double(x0.max()!), e = x0.map { exp(Double($0) - m) }, z = e.reduce(0, +)
        #expect(abs(Double(sum) - z) <= 1e-6 * z)
        for i in 0..<37 where x0[i].isFinite {
            // A few ulp, plus the rounding of x − max in Float, which e^ magnifies by |x − max|;
            // results below Float's normal range may flush to 0.
            let tolerance = 1.2e-7 * (4 + abs(Double(x0[i]) - m)) * e[i] / z + 1.2e-38
            #expect(abs(Double(x[i]) - e[i] / z) <= tolerance, "x = \(x0[i])")
        }
        #expect(x[3] == 0 && x[20] == 0)
    }

    /// The vector and scalar tails, through inputs large enough to overflow e^−g.
    @Test(arguments: [19, 1000])
    func swigluMatchesFormula(_ n: Int) {
        var g = randomFloats(n, scale: n > 100 ? 120 : 6, seed: 5)
        let g0 = g, u = randomFloats(n, seed: 6)
        VectorOps.swiglu(&g, u, n)
        for i in 0..<n {
            let x = Double(g0[i]), want = x / (1 + exp(-x)) * Double(u[i])
            #expect(abs(Double(g[i]) - want) <= 1e-6 * max(1, abs(want)), "g = \(x)")
        }
    }

    @Test func axpyAndAdd() {
        let x = randomFloats(13, seed: 7)
        var y = randomFloats(13, seed: 8)
        let y0 = y
        VectorOps.axpy(0.5, x, &y, 13)
        for i in 0..<13 { #expect(abs(y[i] - (y0[i] + 0.5 * x[i])) < 1e-6) }
        VectorOps.add(x, &y, 13)
        for i in 0..<13 { #expect(abs(y[i] - (y0[i] + 1.5 * x[i])) < 1e-6) }
    }
}
