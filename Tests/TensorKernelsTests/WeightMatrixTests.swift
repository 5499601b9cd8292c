import Testing
import TestSupport
import ModelFormats
@testable import TensorKernels

/// Random but valid blocks: random bytes, with every f16 scale field set to a small finite value.
func randomQuantized(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) -> [UInt8] {
    var g = SplitMix(seed)
    let blocks = rows * cols / type.blockSize
    var bytes = (0..<blocks * type.blockBytes).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    func setHalf(_ at: Int, _ v: Float) {
        withUnsafeBytes(of: Float16(v)) { bytes[at] = $0[0]; bytes[at + 1] = $0[1] }
    }
    for b in 0..<blocks {
        let base = b * type.blockBytes
        let r = Float(g.next() % 1000) / 1000
        switch type {
        case .q4_0, .q8_0: setHalf(base, 0.01 + 0.05 * r)
        case .q4_1: setHalf(base, 0.01 + 0.05 * r); setHalf(base + 2, -0.3 * r)
        case .q4_K, .q5_K: setHalf(base, 0.001 + 0.005 * r); setHalf(base + 2, 0.002 * r)
        case .q6_K: setHalf(base + 208, 0.0005 + 0.002 * r)
        case .f16: for i in 0..<type.blockSize { setHalf(base + 2 * i, Float(Int(g.next() % 2001) - 1000) / 1000) }
        case .bf16:
            let f = Float(Int(g.next() % 2001) - 1000) / 1000
            let bits = UInt16(f.bitPattern >> 16)
            bytes[base] = UInt8(bits & 0xff); bytes[base + 1] = UInt8(bits >> 8)
        case .f32:
            let f = Float(Int(g.next() % 2001) - 1000) / 1000
            withUnsafeBytes(of: f) { for i in 0..<4 { bytes[base + i] = $0[i] } }
        default: fatalError()
        }
    }
    return bytes
}

final class Storage { let bytes: [UInt8]; init(_ b: [UInt8]) { bytes = b } }

func matrix(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) -> (WeightMatrix, [[Double]]) {
    matrix(type, bytes: randomQuantized(type, rows: rows, cols: cols, seed: seed), rows: rows, cols: cols)
}

/// A matrix over these blocks, and its values dequantised to float64.
func matrix(_ type: GGMLType, bytes: [UInt8], rows: Int, cols: Int) -> (WeightMatrix, [[Double]]) {
    let storage = Storage(bytes)
    let view = storage.bytes.withUnsafeBytes { raw in
        TensorView(name: "w", type: type, shape: [cols, rows], data: raw.baseAddress!, byteCount: raw.count, owner: storage)
    }
    let w = WeightMatrix(view)
    var dense = [[Double]]()
    var row = [Float](repeating: 0, count: cols)
    for r in 0..<rows {
        w.dequantizeRow(r, into: &row)
        dense.append(row.map(Double.init))
    }
    return (w, dense)
}

/// The largest difference of y = x·Wᵀ (plus `initial` when accumulating) from the float64 product
/// with `dense` (W dequantised); expects each y row's padding past W's rows untouched.
func productError(_ y: [Float], initial: [Float], accumulate: Bool, x: [Float], xStride: Int, n: Int, dense: [[Double]], yStride: Int) -> Double {
    let rows = dense.count, cols = dense[0].count
    var worst = 0.0
    for t in 0..<n {
        for o in 0..<rows {
            var want = accumulate ? Double(initial[t * yStride + o]) : 0
            for c in 0..<cols { want += dense[o][c] * Double(x[t * xStride + c]) }
            worst = max(worst, abs(Double(y[t * yStride + o]) - want))
        }
        for o in rows..<yStride { #expect(y[t * yStride + o] == initial[t * yStride + o]) }
    }
    return worst
}

@Suite struct WeightMatrixTests {
    static let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q5_K, .q6_K]

    /// Every multiply path (fused kernel in groups of two to four inputs or a single one, tiled sgemm) against
    /// a float64 product of the dequantised matrix, with and without accumulation and strides.
    @Test(arguments: types, [1, 2, 3, 4, 5, 9, 16, 17, 70])
    func multiplyMatchesDenseProduct(_ type: GGMLType, _ n: Int) {
        let rows = 67, cols = 512
        let (w, dense) = matrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue) * 31 + UInt64(n))
        let xStride = cols + 5, yStride = rows + 3
        let x = randomFloats(n * xStride, seed: 9)
        let initial = randomFloats(n * yStride, seed: 10)
        for accumulate in [false, true] {
            var y = initial
            w.multiply(x, xStride: xStride, n: n, into: &y, yStride: yStride, accumulate: accumulate)
            let worst = productError(y, initial: initial, accumulate: accumulate, x: x, xStride: xStride, n: n, dense: dense, yStride: yStride)
            #expect(worst < 2e-4, "\(type) n=\(n) accumulate=\(accumulate): max error \(worst)")
        }
    }

    @Test func outputRangeWritesOnlyThoseColumns() {
        let (w, dense) = matrix(.q4_1, rows: 40, cols: 64, seed: 3)
        let x = randomFloats(64 * 6, seed: 4)
        var y = [Float](repeating: -7, count: 6 * 40)
        w.multiply(x, xStride: 64, n: 6, into: &y, yStride: 40, outputs: 10..<25)
        for t in 0..<6 {
            for o in 0..<40 {
                if (10..<25).contains(o) {
                    let want = (0..<64).reduce(0.0) { $0 + dense[o][$1] * Double(x[t * 64 + $1]) }
                    #expect(abs(Double(y[t * 40 + o]) - want) < 1e-4)
                } else {
                    #expect(y[t * 40 + o] == -7)
                }
            }
        }
    }
}

@Suite struct ComputePoolTests {
    @Test func everyItemRunsExactlyOnceAcrossManyLoops() {
        let pool = ComputePool(threads: 3)
        for count in [1, 2, 3, 17, 1000] {
            for _ in 0..<50 {
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
                hits.initialize(repeating: 0, count: count)
                pool.run(count) { i, thread in
                    precondition(thread < 3)
                    hits[i] += 1
                }
                #expect((0..<count).allSatisfy { hits[$0] == 1 })
                hits.deallocate()
            }
        }
    }

    @Test func concurrentCallersAreSerialised() async {
        let pool = ComputePool(threads: 2)
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var ok = true
                    for _ in 0..<200 {
                        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 64)
                        sums.initialize(repeating: 0, count: 64)
                        pool.run(64) { i, _ in sums[i] = i }
                        ok = ok && (0..<64).allSatisfy { sums[$0] == $0 }
                        sums.deallocate()
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
