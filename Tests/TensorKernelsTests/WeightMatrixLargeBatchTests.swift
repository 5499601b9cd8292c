import Testing
import TestSupport
import ModelFormats
@testable import TensorKernels

/// The products used by training: large batches, and the transpose.
@Suite struct WeightMatrixLargeBatchTests {
    /// y = x·Wᵀ against a float64 product of the dequantised matrix, over several tiles per
    /// thread (600 rows of 2,048), with strides, with and without accumulation.
    @Test(arguments: WeightMatrixTests.types, [1, 33])
    func multiplyLargeBatchMatchesDenseProduct(_ type: GGMLType, _ n: Int) {
        let rows = 600, cols = 2048
        let (w, dense) = matrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue) * 13 + UInt64(n))
        let xStride = cols + 5, yStride = rows + 3
        let x = randomFloats(n * xStride, seed: 21)
        let initial = randomFloats(n * yStride, seed: 22)
        for (accumulate, pool) in [(false, ComputePool(threads: 3)), (true, ComputePool(threads: 2))] {
            var y = initial
            w.multiplyLargeBatch(x, xStride: xStride, n: n, into: &y, yStride: yStride, accumulate: accumulate, pool: pool)
            let worst = productError(y, initial: initial, accumulate: accumulate, x: x, xStride: xStride, n: n, dense: dense, yStride: yStride)
            #expect(worst < 5e-4, "\(type) n=\(n) accumulate=\(accumulate): max error \(worst)")
        }
    }

    /// Matrices with a common input, multiplied together: each output as its own product.
    @Test func productsWithACommonInputMatchSeparateOnes() {
        let (a, _) = matrix(.q4_1, rows: 96, cols: 256, seed: 31), (b, _) = matrix(.q8_0, rows: 1000, cols: 256, seed: 32)
        let x = randomFloats(40 * 256, seed: 33)
        var ya = [Float](repeating: 0, count: 40 * 96), yb = [Float](repeating: 0, count: 40 * 1000)
        var wantA = ya, wantB = yb
        let pool = ComputePool(threads: 2)
        ya.withUnsafeMutableBufferPointer { ya in
            yb.withUnsafeMutableBufferPointer { yb in
                WeightMatrix.multiplyLargeBatch([(a, ya.baseAddress!, 96), (b, yb.baseAddress!, 1000)], x, xStride: 256, n: 40, pool: pool)
            }
        }
        a.multiply(x, xStride: 256, n: 40, into: &wantA, yStride: 96, pool: pool)
        b.multiply(x, xStride: 256, n: 40, into: &wantB, yStride: 1000, pool: pool)
        #expect(zip(ya + yb, wantA + wantB).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    /// dx = dy·W against a float64 product of the dequantised matrix, over several row tiles
    /// (600 rows of 2,048) and column ranges, with strides, with and without accumulation.
    @Test(arguments: WeightMatrixTests.types, [1, 33])
    func multiplyTransposedMatchesDenseProduct(_ type: GGMLType, _ n: Int) {
        let rows = 600, cols = 2048
        let (w, dense) = matrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue) * 17 + UInt64(n))
        let dyStride = rows + 3, dxStride = cols + 5
        let dy = randomFloats(n * dyStride, seed: 11)
        let initial = randomFloats(n * dxStride, seed: 12)
        for (accumulate, pool) in [(false, ComputePool(threads: 3)), (true, ComputePool(threads: 2))] {
            var dx = initial
            w.multiplyTransposed(dy, dyStride: dyStride, n: n, into: &dx, dxStride: dxStride, accumulate: accumulate, pool: pool)
            var worst = 0.0
            for t in 0..<n {
                for c in 0..<cols {
                    var want = accumulate ? Double(initial[t * dxStride + c]) : 0
                    for o in 0..<rows { want += Double(dy[t * dyStride + o]) * dense[o][c] }
                    worst = max(worst, abs(Double(dx[t * dxStride + c]) - want))
                }
                for c in cols..<dxStride { #expect(dx[t * dxStride + c] == initial[t * dxStride + c]) }
            }
            #expect(worst < 1e-3, "\(type) n=\(n) accumulate=\(accumulate): max error \(worst)")
        }
    }

    @Test func evenSplitCoversTheRangeInNearlyEqualParts() {
        #expect(WeightMatrix.evenSplit(18, parts: 4) == [0..<4, 4..<9, 9..<13, 13..<18])
        #expect(WeightMatrix.evenSplit(3, parts: 8) == [0..<1, 1..<2, 2..<3])
    }
}
