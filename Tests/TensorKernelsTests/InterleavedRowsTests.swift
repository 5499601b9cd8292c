import CKernels
import Testing
import TestSupport
import ModelFormats
@testable import TensorKernels

/// Matrices re-laid with their rows interleaved by eight (`WeightMatrix.interleaved()`) for the
/// decode products: every product and every reader gives the bits it gives on the file's layout.
@Suite struct InterleavedRowsTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q8_0, .q4_K, .q5_K, .q6_K]
    /// Q8_0 and Q6_K are interleaved only where their eight-row kernels run (AVX-512 VNNI).
    static func interleaves(_ type: GGMLType) -> Bool { (type != .q8_0 && type != .q6_K) || InstructionSet.current == .avx512 }
    /// Odd counts: whole groups of eight and rows past the last one, which stay as they lie.
    static let rowCounts = [8, 13, 29]

    func quantize(_ x: [Float], n: Int, cols: Int, _ body: (QuantizedRows) -> Void) {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: QuantizedRows.byteCount(n: n, cols: cols), alignment: 64)
        defer { storage.deallocate() }
        body(QuantizedRows(quantizing: x, xStride: cols, n: n, cols: cols, storage: storage))
    }

    /// Rows of the quantised types are interleaved in whole groups (F16's never); the bytes keep their
    /// count and come back as they were.
    @Test(arguments: types + [.f16], rowCounts)
    func interleavingKeepsTheBytesAndComesBack(_ type: GGMLType, _ rows: Int) {
        for cols in [64, 256, 576, 1024, 2048] where cols % type.blockSize == 0 {
            let bytes = randomQuantized(type, rows: rows, cols: cols, seed: UInt64(rows + cols))
            let (w, _) = matrix(type, bytes: bytes, rows: rows, cols: cols)
            let v = w.interleaved()
            let expected = Self.types.contains(type) && Self.interleaves(type) ? rows / 8 * 8 : 0
            #expect(v.grouped == expected, "\(type) \(rows)×\(cols)")
            #expect(v.tensor.byteCount == bytes.count)
            if expected == 0 { #expect(v.tensor.data == w.tensor.data); continue }
            #expect(Array(UnsafeRawBufferPointer(start: v.tensor.data, count: bytes.count)) != bytes)
            var back = [UInt8](repeating: 0, count: bytes.count)
            lk_deinterleave_rows(type.rawValue, v.tensor.data, v.rowBytes, v.grouped, 0, rows, &back)
            #expect(back == bytes, "\(type) \(rows)×\(cols)")
            let part = 3..<min(rows, 11)
            back = [UInt8](repeating: 0, count: part.count * w.rowBytes)
            lk_deinterleave_rows(type.rawValue, v.tensor.data, v.rowBytes, v.grouped, part.lowerBound, part.upperBound, &back)
            #expect(back[...] == bytes[part.lowerBound * w.rowBytes..<part.upperBound * w.rowBytes], "\(type) rows \(part)")
        }
    }

    /// The row products on interleaved rows give the scalar reference's bits on the file's rows, on
    /// every instruction set, for any range of rows (inside a group, across groups, into the rows
    /// past the last group), short and long rows, and up to nine inputs.
    @Test(arguments: types, [1, 2, 3, 4, 5, 9])
    func rowProductsGiveTheScalarBitsInEitherLayout(_ type: GGMLType, _ n: Int) {
        for cols in [256, 576, 1024] where cols % type.blockSize == 0 { rowProductsGiveTheScalarBits(type, n, cols: cols) }
    }

    func rowProductsGiveTheScalarBits(_ type: GGMLType, _ n: Int, cols: Int) {
        let rows = 29, yStride = rows + 2
        let (w, _) = matrix(type, rows: rows, cols: cols, seed: 40 + UInt64(n))
        let v = w.interleaved()
        let x = randomFloats(n * cols, scale: 2, seed: 41), initial = randomFloats(n * yStride, seed: 42)
        quantize(x, n: n, cols: cols) { q in
            for range in [0..<rows, 0..<8, 3..<21, 9..<10, 5..<29, 16..<29, 26..<28] {
                func run(_ m: WeightMatrix) -> [Float] {
                    var y = initial
                    lk_multiply_rows_quantized(type.rawValue, m.tensor.data, m.rowBytes, m.grouped, range.lowerBound, range.upperBound, cols,
                                               q.levels, q.bytes, q.scales, q.sums, n, &y, yStride, 1)
                    return y
                }
                let want = InstructionSet.with(.scalar) { run(w) }
                #expect(InstructionSet.with(.scalar) { run(v) } == want, "\(type) n=\(n) rows \(range) scalar")
                for set in InstructionSetTests.simdSets {
                    #expect(InstructionSet.with(set) { run(v) } == want, "\(type) \(cols) n=\(n) rows \(range) at \(set)")
                    #expect(InstructionSet.with(set) { run(w) } == want, "\(type) \(cols) n=\(n) rows \(range) at \(set), file layout")
                }
            }
        }
    }

    /// Every other reader of the weights gets the same numbers from the interleaved matrix: rows
    /// dequantised, float row products and tiles, the integer large-batch products and the
    /// products with the transpose (training), float and integer. 77 rows: the integer products'
    /// panels of 32 rows, two of them whole interleaved groups (unpacked by vectors) and one not.
    @Test(arguments: types)
    func everyOtherProductGivesTheSameBits(_ type: GGMLType) {
        let rows = 77, cols = 1024
        let (w, _) = matrix(type, rows: rows, cols: cols, seed: 50)
        let v = w.interleaved()
        #expect(v.grouped == (Self.interleaves(type) ? 72 : 0))
        var a = [Float](repeating: 0, count: cols), b = a
        for r in 0..<rows {
            w.dequantizeRow(r, into: &a)
            v.dequantizeRow(r, into: &b)
            #expect(a == b, "\(type) row \(r)")
        }
        for n in [3, 20, 40] {
            let x = randomFloats(n * cols, seed: 51), dy = randomFloats(n * rows, seed: 52)
            func forward(_ m: WeightMatrix, _ body: (WeightMatrix, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
                var y = randomFloats(n * rows, seed: 53)
                y.withUnsafeMutableBufferPointer { body(m, $0.baseAddress!) }
                return y
            }
            func backward(_ m: WeightMatrix, integer: Bool) -> [Float] {
                var dx = randomFloats(n * cols, seed: 54)
                m.multiplyTransposed(dy, dyStride: rows, n: n, into: &dx, dxStride: cols, accumulate: true, integer: integer)
                return dx
            }
            func same(_ what: String, _ body: (WeightMatrix, UnsafeMutablePointer<Float>) -> Void) {
                #expect(forward(v, body) == forward(w, body), "\(type) n=\(n) \(what)")
            }
            same("multiply") { $0.multiply(x, xStride: cols, n: n, into: $1, yStride: rows, accumulate: true) }
            same("multiply rows 5..<19") { $0.multiply(x, xStride: cols, n: n, into: $1, yStride: rows, outputs: 5..<19) }
            for integer in [false, true] {
                same("large batch, integer \(integer)") {
                    $0.multiplyLargeBatch(x, xStride: cols, n: n, into: $1, yStride: rows, accumulate: true, integer: integer)
                }
                #expect(backward(v, integer: integer) == backward(w, integer: integer), "\(type) n=\(n) transposed, integer \(integer)")
            }
        }
    }
}
