import CKernels
import Testing
import TestSupport
import ModelFormats
@testable import TensorKernels

/// The 16-bit integer products (qgemm.c) against float64 products of the dequantised matrix,
/// each element within the bound its rounding allows: the float operand is rounded to 16 bits,
/// so every error of a layout, a scale or a tail is orders of magnitude past it.
@Suite(.enabled(if: integerProductsRun, "this CPU has no AVX-512 VNNI"))
struct WeightMatrixIntegerTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// y = x·Wᵀ: 600 rows (a partial panel of 32) of 2,048 (several panel groups per thread), batches
    /// with a partial tile of 6, strides, with and without accumulation, 3 and 2 threads.
    @Test(arguments: types, [1, 13, 40])
    func rowsAreWithinTheRoundingBound(_ type: GGMLType, _ n: Int) {
        let rows = 600, cols = 2048
        let (w, dense, _) = signedMatrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue) * 7 + UInt64(n))
        let xStride = cols + 5, yStride = rows + 3
        var x = randomFloats(n * xStride, seed: 41)
        for i in stride(from: 3, to: x.count, by: 97) { x[i] *= 40 }  // outliers, as in a model's activations
        let initial = randomFloats(n * yStride, seed: 42)
        for (accumulate, pool) in [(false, ComputePool(threads: 3)), (true, ComputePool(threads: 2))] {
            var y = initial
            w.multiplyLargeBatch(x, xStride: xStride, n: n, into: &y, yStride: yStride, accumulate: accumulate, integer: true, pool: pool)
            var excess = 0.0
            let limit = Double(LK_ROWS_LIMIT)
            for t in 0..<n {
                for o in 0..<rows {
                    var want = accumulate ? Double(initial[t * yStride + o]) : 0, bound = 0.0, magnitude = 0.0
                    for b in 0..<cols / 32 {
                        let block = b * 32..<(b + 1) * 32, xs = block.map { Double(x[t * xStride + $0]) }
                        let unit = xs.map(abs).max()! / limit
                        for (i, c) in block.enumerated() {
                            want += dense[o][c] * xs[i]
                            bound += 0.51 * unit * abs(dense[o][c]) // the minimum meets the rounded values too
                            magnitude += abs(dense[o][c] * xs[i])
                        }
                    }
                    excess = max(excess, abs(Double(y[t * yStride + o]) - want) - bound - 1e-6 * magnitude)
                }
                for o in rows..<yStride { #expect(y[t * yStride + o] == initial[t * yStride + o]) }
            }
            #expect(excess <= 0, "\(type) n=\(n) accumulate=\(accumulate): past the bound by \(excess)")
        }
    }

    /// dx = dy·W: 600 and 45 rows (an odd pair at the end, a partial chunk of 32), several groups of
    /// rows per thread, column ranges per thread, strides, with and without accumulation.
    @Test(arguments: types, [(600, 13), (45, 6), (600, 1)])
    func columnsAreWithinTheRoundingBound(_ type: GGMLType, _ shape: (rows: Int, n: Int)) {
        let (rows, n) = shape, cols = 2048
        let (w, dense, parts) = signedMatrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue) * 11 + UInt64(rows))
        let dyStride = rows + 3, dxStride = cols + 5
        var dy = randomFloats(n * dyStride, seed: 43)
        for i in stride(from: 5, to: dy.count, by: 89) { dy[i] *= 30 }
        let initial = randomFloats(n * dxStride, seed: 44)
        let chunks = (rows + 31) / 32
        let dPeak = (0..<chunks).map { k in (0..<cols / 32).map { b in (32 * k..<min(rows, 32 * k + 32)).map { abs(parts.d[$0][b]) }.max()! } }
        for (accumulate, pool) in [(false, ComputePool(threads: 3)), (true, ComputePool(threads: 2))] {
            var dx = initial
            w.multiplyTransposed(dy, dyStride: dyStride, n: n, into: &dx, dxStride: dxStride, accumulate: accumulate, integer: true, pool: pool)
            var excess = 0.0
            for t in 0..<n {
                // The scale of z = dy·d in rows 32k..<32k + 32 of block column b: max|dy| · max|d| / limit.
                let dyPeak = (0..<chunks).map { k in (32 * k..<min(rows, 32 * k + 32)).map { abs(Double(dy[t * dyStride + $0])) }.max()! }
                for c in 0..<cols {
                    let b = c / 32
                    var want = accumulate ? Double(initial[t * dxStride + c]) : 0, bound = 0.0, magnitude = 0.0
                    for o in 0..<rows {
                        let k = o / 32
                        want += Double(dy[t * dyStride + o]) * dense[o][c]
                        let level = parts.d[o][b] == 0 ? 0 : abs((dense[o][c] - parts.m[o][b]) / parts.d[o][b])
                        bound += 0.51 * dyPeak[k] * dPeak[k][b] / Double(lk_qgemm_limit(type.rawValue)) * level
                        magnitude += abs(Double(dy[t * dyStride + o]) * dense[o][c])
                    }
                    excess = max(excess, abs(Double(dx[t * dxStride + c]) - want) - bound - 1e-6 * magnitude)
                }
                for c in cols..<dxStride { #expect(dx[t * dxStride + c] == initial[t * dxStride + c]) }
            }
            #expect(excess <= 0, "\(type) rows=\(rows) n=\(n) accumulate=\(accumulate): past the bound by \(excess)")
        }
    }

    /// Every output comes from one item in a fixed order, so the split over threads does not change a bit.
    @Test func rowsDoNotDependOnTheThreadCount() {
        let (w, _, _) = signedMatrix(.q4_1, rows: 300, cols: 512, seed: 5)
        let x = randomFloats(20 * 512, seed: 6)
        let results = [1, 2, 3].map { threads in
            var y = [Float](repeating: 0, count: 20 * 300)
            w.multiplyLargeBatch(x, xStride: 512, n: 20, into: &y, yStride: 300, integer: true, pool: ComputePool(threads: threads))
            return y
        }
        #expect(results[0] == results[1] && results[1] == results[2])
    }

    /// Matrices with a common input and different ranges of rounding (Q6_K) or no integer levels
    /// at all (F16): each gets its own product.
    @Test func mixedTypesWithACommonInputMatchSeparateProducts() {
        let weights = [matrix(.q4_K, rows: 96, cols: 512, seed: 34).0, matrix(.q6_K, rows: 200, cols: 512, seed: 35).0,
                       matrix(.f16, rows: 64, cols: 512, seed: 37).0]
        let x = randomFloats(30 * 512, seed: 36), pool = ComputePool(threads: 2)
        let outputs = weights.map { UnsafeMutablePointer<Float>.allocate(capacity: 30 * $0.rows) }
        defer { outputs.forEach { $0.deallocate() } }
        WeightMatrix.multiplyLargeBatch(zip(weights, outputs).map { ($0, $1, $0.rows) }, x, xStride: 512, n: 30, integer: true, pool: pool)
        let together = zip(weights, outputs).map { Array(UnsafeBufferPointer(start: $1, count: 30 * $0.rows)) }
        var alone = weights.map { [Float](repeating: 0, count: 30 * $0.rows) }
        for (w, i) in zip(weights, alone.indices) {
            w.multiplyLargeBatch(x, xStride: 512, n: 30, into: &alone[i], yStride: w.rows, integer: true, pool: pool)
        }
        let same = together == alone
        #expect(same)
    }

    /// A batch too large for the row products gives each input the bits the row products give it
    /// alone, so that a sequence's text does not depend on the batch it was decoded in.
    @Test(arguments: types)
    func largeBatchesGiveTheRowProductsBits(_ type: GGMLType) {
        let rows = 70, cols = 512, n = WeightMatrix.rowwiseBatchLimit + 9
        let (w, _, _) = signedMatrix(type, rows: rows, cols: cols, seed: 51)
        var x = randomFloats(n * cols, scale: 2, seed: 52)
        for i in stride(from: 7, to: x.count, by: 61) { x[i] *= 25 }
        var batch = [Float](repeating: 0, count: n * rows)
        w.multiplyLargeBatch(x, xStride: cols, n: n, into: &batch, yStride: rows, integer: true, pool: ComputePool(threads: 2))
        let storage = UnsafeMutableRawPointer.allocate(byteCount: QuantizedRows.byteCount(n: 1, cols: cols), alignment: 64)
        defer { storage.deallocate() }
        for t in 0..<n {
            var alone = [Float](repeating: 0, count: rows)
            x.withUnsafeBufferPointer { xs in
                alone.withUnsafeMutableBufferPointer { y in
                    let input = xs.baseAddress! + t * cols
                    let q = QuantizedRows(quantizing: input, xStride: cols, n: 1, cols: cols, storage: storage)
                    WeightMatrix.multiply([(w, y.baseAddress!, rows)], input, xStride: cols, n: 1, quantized: q)
                }
            }
            #expect(Array(batch[t * rows..<(t + 1) * rows]) == alone, "\(type) input \(t)")
        }
    }

    /// Types without integer levels (and `integer: false`) take the float path.
    @Test func otherTypesFallBackToFloat() {
        for type in [GGMLType.f32, .f16, .bf16] {
            let (w, _) = matrix(type, rows: 64, cols: 256, seed: 9)
            #expect(!w.hasIntegerProducts)
            let x = randomFloats(24 * 256, seed: 10)
            var a = [Float](repeating: 0, count: 24 * 64), b = a
            w.multiplyLargeBatch(x, xStride: 256, n: 24, into: &a, yStride: 64, integer: true, pool: ComputePool(threads: 2))
            w.multiplyLargeBatch(x, xStride: 256, n: 24, into: &b, yStride: 64, pool: ComputePool(threads: 2))
            let same = a == b
            #expect(same, "\(type)")
        }
    }
}

let integerProductsRun = matrix(.q8_0, rows: 1, cols: 32, seed: 0).0.hasIntegerProducts

/// A random matrix as `matrix` makes, with the scales of Q4_0 and Q8_0 blocks negative in every
/// third block (as ggml writes them when a block's largest value is positive), and the scale d and
/// minimum m of each block of 32 values (w = d·level + m), read from the blocks as ggml lays them out.
func signedMatrix(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) -> (WeightMatrix, [[Double]], (d: [[Double]], m: [[Double]])) {
    var bytes = randomQuantized(type, rows: rows, cols: cols, seed: seed)
    let blocks = cols / 32, perBlock = type.blockSize / 32
    func half(_ at: Int) -> Double { Double(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Float16.self) }) }
    var d = [[Double]](repeating: [Double](repeating: 0, count: blocks), count: rows), m = d
    for o in 0..<rows {
        for b in 0..<blocks {
            let at = (o * blocks / perBlock + b / perBlock) * type.blockBytes
            switch type {
            case .q4_0, .q8_0:
                if (o + b) % 3 == 0 { bytes[at + 1] ^= 0x80 }
                d[o][b] = half(at)
            case .q4_1:
                (d[o][b], m[o][b]) = (half(at), half(at + 2))
            case .q6_K: // d after 128 + 64 + 16 bytes of low bits, high bits and int8 scales (folded into the levels)
                d[o][b] = half(at + 208)
            default: // Q4_K, Q5_K: 6-bit scale and minimum j of 8, packed in 12 bytes after d and dmin
                let j = b % 8, q = Array(bytes[at + 4..<at + 16]).map(Int.init)
                let (sc, mn) = j < 4 ? (q[j] & 63, q[j + 4] & 63)
                                     : ((q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
                (d[o][b], m[o][b]) = (half(at) * Double(sc), -half(at + 2) * Double(mn))
            }
        }
    }
    let (w, dense) = matrix(type, bytes: bytes, rows: rows, cols: cols)
    return (w, dense, (d, m))
}
