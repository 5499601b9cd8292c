import Foundation
import ModelFormats
import TensorKernels
import TestSupport
@testable import Training

/// Central finite differences of a scalar function, in Double: (f(x + h·e_i) − f(x − h·e_i)) divided
/// by the step actually taken (x ± h rounds in Float) for each index i of `indices` (all of x by default).
func centralDifferences(_ x: [Float], h: Float, indices: [Int]? = nil, _ f: ([Float]) -> Double) -> [Double] {
    (indices ?? Array(x.indices)).map { i in
        var plus = x, minus = x
        plus[i] += h
        minus[i] -= h
        return (f(plus) - f(minus)) / Double(plus[i] - minus[i])
    }
}

/// ‖got − want‖ / ‖want‖.
func relativeError(_ got: [Float], _ want: [Double]) -> Double {
    precondition(got.count == want.count)
    let diff = zip(got, want).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }
    let norm = want.reduce(0.0) { $0 + $1 * $1 }
    return (diff / max(norm, 1e-300)).squareRoot()
}

/// Σ w_i · y_i in Double: the scalar whose gradient with respect to y is w.
func weightedSum(_ y: [Float], _ w: [Float]) -> Double {
    zip(y, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// A row-major float32 matrix as a frozen weight.
func floatWeight(rows: Int, cols: Int, _ values: [Float]) -> WeightMatrix {
    let buffer = AlignedBuffer(byteCount: values.count * 4)
    buffer.floats(values.count).baseAddress!.update(from: values, count: values.count)
    return WeightMatrix(TensorView(name: "w", type: .f32, shape: [cols, rows], data: buffer.raw, byteCount: values.count * 4, owner: buffer))
}

/// The mean cross-entropy over the examples' targets under the tiny model, in float64.
func meanCrossEntropy(_ tiny: TinyLlama, _ examples: [TrainingExample]) -> Double {
    var total = 0.0, count = 0
    for e in examples {
        let logits = tiny.referenceLogits(e.tokens)
        for i in 1..<e.tokens.count where e.lossMask[i] {
            let z = logits[i - 1], m = z.max()!
            total += log(z.reduce(0) { $0 + exp($1 - m) }) + m - z[e.tokens[i]]
            count += 1
        }
    }
    return total / Double(count)
}
