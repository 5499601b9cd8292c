import CKernels
import Testing
import TestSupport
import ModelFormats
@testable import TensorKernels

/// Products with inputs rounded to 16-bit integers per block of 32 (`QuantizedRows`).
@Suite struct QuantizedRowsTests {
    static let types: [GGMLType] = [.q8_0, .q4_0, .q4_1, .q4_K, .q5_K, .q6_K]

    func quantize(_ x: [Float], xStride: Int, n: Int, cols: Int, _ body: (QuantizedRows) -> Void) {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: QuantizedRows.byteCount(n: n, cols: cols), alignment: 64)
        defer { storage.deallocate() }
        body(QuantizedRows(quantizing: x, xStride: xStride, n: n, cols: cols, storage: storage))
    }

    /// Each block's largest value becomes ±32767; the rest round to the nearest step; the sum is
    /// that of the rounded values; the bytes split each level as 256·hi + lo; a block of zeros stays zero.
    @Test func roundingKeepsEachBlocksLargestValueAndSum() {
        let cols = 96
        var x = randomFloats(2 * cols, scale: 3, seed: 1)
        for c in 64..<96 { x[c] = 0 }
        quantize(x, xStride: cols, n: 2, cols: cols) { q in
            for t in 0..<2 {
                for b in 0..<3 {
                    let block = (t * cols + 32 * b)..<(t * cols + 32 * b + 32), i = t * 3 + b
                    let peak = x[block].map(abs).max()!, d = q.scales[i]
                    #expect(d == peak / 32767)
                    #expect(q.sums[i] == d * Float(block.reduce(0) { $0 + Int(q.levels[$1]) }))
                    for c in block { #expect(abs(x[c] - d * Float(q.levels[c])) <= d / 2 * 1.0001) }
                    for c in block {
                        let hi = Int(Int8(bitPattern: q.bytes[t * 2 * cols + c % cols])), lo = Int(q.bytes[t * 2 * cols + cols + c % cols])
                        #expect(256 * hi + lo == Int(q.levels[c]))
                    }
                    if peak > 0 { #expect(x[block].indices.contains { abs(Int(q.levels[$0])) == 32767 }) }
                }
            }
        }
    }

    /// Every instruction set rounds as the scalar reference: the same levels, bytes, steps and sums,
    /// for a block of zeros and for ties (a block whose peak is 32767 keeps its values, so k + 0.5 rounds to even).
    @Test func everyInstructionSetRoundsAsTheScalarPath() {
        let cols = 1536, n = 3, xStride = cols + 4
        var x = randomFloats(n * xStride, scale: 3, seed: 31)
        for c in 64..<96 { x[c] = 0 }
        x[96] = 32767
        for i in 1..<32 { x[96 + i] = Float(i % 2 == 0 ? 1 : -1) * (Float(i) + 0.5) }
        func rounded() -> [UInt32] {
            var bits = [UInt32]()
            quantize(x, xStride: xStride, n: n, cols: cols) { q in
                bits = (0..<n * cols).map { UInt32(UInt16(bitPattern: q.levels[$0])) } + (0..<2 * n * cols).map { UInt32(q.bytes[$0]) }
                    + (0..<n * cols / 32).flatMap { [q.scales[$0].bitPattern, q.sums[$0].bitPattern] }
            }
            return bits
        }
        let want = InstructionSet.with(.scalar, rounded)
        for set in InstructionSetTests.simdSets { #expect(InstructionSet.with(set, rounded) == want, "at \(set)") }
    }

    /// Against the float64 product of the dequantised matrix: the rounding is 1/65534 of each
    /// block's largest value, so the error stays below 1e-4 of Σ|w·x|.
    @Test(arguments: types, [1, 2, 3, 4, 5, 9, 16])
    func productMatchesTheDenseProduct(_ type: GGMLType, _ n: Int) {
        let rows = 67, cols = 512, xStride = cols + 5, yStride = rows + 3
        let (w, dense) = matrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue) * 7 + UInt64(n))
        let x = randomFloats(n * xStride, seed: 9), initial = randomFloats(n * yStride, seed: 10)
        quantize(x, xStride: xStride, n: n, cols: cols) { q in
            for accumulate in [false, true] {
                var y = initial
                y.withUnsafeMutableBufferPointer {
                    WeightMatrix.multiply([(w, $0.baseAddress!, yStride)], x, xStride: xStride, n: n, quantized: q, accumulate: accumulate)
                }
                for t in 0..<n {
                    for o in 0..<rows {
                        var want = accumulate ? Double(initial[t * yStride + o]) : 0, magnitude = 1.0
                        for c in 0..<cols {
                            want += dense[o][c] * Double(x[t * xStride + c])
                            magnitude += abs(dense[o][c] * Double(x[t * xStride + c]))
                        }
                        #expect(abs(Double(y[t * yStride + o]) - want) <= 1e-4 * magnitude, "\(type) n=\(n) row \(o)")
                    }
                    for o in rows..<yStride { #expect(y[t * yStride + o] == initial[t * yStride + o]) }
                }
            }
        }
    }

    /// Every instruction set gives the scalar reference's bits: the same exact integer sums, scaled
    /// by the same float operations in the same order, in both kernels (rows shorter than 1024
    /// values take four rows a pass, longer ones eight).
    @Test(arguments: types, [1, 2, 3, 4, 7])
    func everyInstructionSetAgreesWithTheScalarPath(_ type: GGMLType, _ n: Int) {
        for cols in [512, 1024] {
            let rows = 13, yStride = rows + 1
            let bytes = randomQuantized(type, rows: rows, cols: cols, seed: 6)
            let x = randomFloats(n * cols, scale: 2, seed: 7), initial = randomFloats(n * yStride, seed: 8)
            quantize(x, xStride: cols, n: n, cols: cols) { q in
                func run() -> [Float] {
                    var y = initial
                    bytes.withUnsafeBytes {
                        lk_multiply_rows_quantized(type.rawValue, $0.baseAddress!, bytes.count / rows, 0, 0, rows, cols, q.levels, q.bytes, q.scales,
                                                   q.sums, n, &y, yStride, 1)
                    }
                    return y
                }
                let want = InstructionSet.with(.scalar, run)
                for set in InstructionSetTests.simdSets { #expect(InstructionSet.with(set, run) == want, "\(type) n=\(n) cols=\(cols) at \(set)") }
            }
        }
    }

    /// Prompts past `rowwiseBatchLimit` inputs take the tiled products on AVX2 (`lk_qgemm_rows`, as on
    /// AVX-512 through `multiplyLargeBatch`): the scalar row products' bits, on rows interleaved by
    /// eight (whole panels of 32 unpacked by vectors, and a range that starts inside one) and not.
    @Test(arguments: types)
    func promptsTakeTheTiledProductsWithTheScalarBits(_ type: GGMLType) {
        let rows = 77, cols = 1024, n = 19
        let w = matrix(type, rows: rows, cols: cols, seed: 23).0.interleaved()
        let x = randomFloats(n * cols, scale: 3, seed: 24), initial = randomFloats(n * rows, seed: 25)
        quantize(x, xStride: cols, n: n, cols: cols) { q in
            for outputs in [0..<rows, 8..<70] {
                func run() -> [Float] {
                    var y = initial
                    y.withUnsafeMutableBufferPointer {
                        WeightMatrix.multiplyRows([(w, outputs, $0.baseAddress!, rows)], x, xStride: cols, n: n, quantized: q, accumulate: true,
                                                  pool: .shared)
                    }
                    return y
                }
                let want = InstructionSet.with(.scalar, run)
                for set in InstructionSetTests.simdSets { #expect(InstructionSet.with(set, run) == want, "\(type) rows \(outputs) at \(set)") }
            }
        }
    }

    /// An input's products are the same bits whatever the batch it comes in and however the rows
    /// are split (rows a kernel pass handles together, a pass's last rows, work items).
    @Test(arguments: types)
    func anInputsProductDoesNotDependOnItsBatchOrRowSplit(_ type: GGMLType) {
        let rows = 23, cols = 512, n = 7
        let (w, _) = matrix(type, rows: rows, cols: cols, seed: 21)
        let x = randomFloats(n * cols, scale: 3, seed: 22)
        func product(inputs: Range<Int>, outputs: Range<Int>) -> [Float] {
            var y = [Float](repeating: .nan, count: inputs.count * rows)
            x.withUnsafeBufferPointer { xs in
                quantize(Array(xs[inputs.lowerBound * cols..<inputs.upperBound * cols]), xStride: cols, n: inputs.count, cols: cols) { q in
                    y.withUnsafeMutableBufferPointer {
                        WeightMatrix.multiplyRows([(w, outputs, $0.baseAddress!, rows)], xs.baseAddress! + inputs.lowerBound * cols,
                                                  xStride: cols, n: inputs.count, quantized: q, accumulate: false, pool: .shared)
                    }
                }
            }
            return y
        }
        let whole = product(inputs: 0..<n, outputs: 0..<rows)
        for t in 0..<n {
            let want = Array(whole[t * rows..<(t + 1) * rows])
            #expect(product(inputs: t..<t + 1, outputs: 0..<rows) == want, "\(type) input \(t) alone")
            for split in [1, 2, 3, 5] {
                var pieces = [Float]()
                for lo in stride(from: 0, to: rows, by: split) {
                    let part = product(inputs: t..<t + 1, outputs: lo..<min(rows, lo + split))
                    pieces += part[lo..<min(rows, lo + split)]
                }
                #expect(pieces == want, "\(type) input \(t) in runs of \(split) rows")
            }
        }
        for group in [2, 3, 4] {
            for t0 in stride(from: 0, to: n, by: group) {
                let inputs = t0..<min(n, t0 + group)
                #expect(product(inputs: inputs, outputs: 0..<rows) == Array(whole[inputs.lowerBound * rows..<inputs.upperBound * rows]),
                        "\(type) inputs \(inputs)")
            }
        }
    }

    /// The fused product of several matrices equals each one's own product, float or integer.
    @Test func severalMatricesInOneLoopEqualEachAlone() {
        let cols = 256, n = 3
        let mats = [(GGMLType.q4_K, 40), (.q6_K, 24), (.f16, 17)].enumerated().map { i, spec in
            matrix(spec.0, rows: spec.1, cols: cols, seed: UInt64(i)).0
        }
        let x = randomFloats(n * cols, seed: 3)
        quantize(x, xStride: cols, n: n, cols: cols) { q in
            for quantized in [nil, q] {
                let outs = mats.map { UnsafeMutablePointer<Float>.allocate(capacity: n * $0.rows) }
                defer { for o in outs { o.deallocate() } }
                WeightMatrix.multiply(zip(mats, outs).map { ($0, $1, $0.rows) }, x, xStride: cols, n: n, quantized: quantized)
                for (m, out) in zip(mats, outs) {
                    var alone = [Float](repeating: 0, count: n * m.rows)
                    alone.withUnsafeMutableBufferPointer {
                        WeightMatrix.multiply([(m, $0.baseAddress!, m.rows)], x, xStride: cols, n: n, quantized: quantized)
                    }
                    #expect(Array(UnsafeBufferPointer(start: out, count: n * m.rows)) == alone)
                }
            }
        }
    }
}
