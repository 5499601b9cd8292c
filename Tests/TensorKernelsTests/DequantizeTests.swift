import Foundation
import Testing
import TestSupport
import ModelFormats
@testable import TensorKernels

/// Every supported type's dequantisation against gguf-py's reference implementation
/// (Tests/Fixtures/quant-blocks.gguf, written by scripts/make-quant-fixture.py).
@Suite struct DequantizeTests {
    static let fixture: String = {
        var url = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { url.deleteLastPathComponent() }
        return url.path + "/Tests/Fixtures/quant-blocks.gguf"
    }()

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0, .q4_K, .q5_K, .q6_K, .f16, .bf16])
    func matchesGGUFPyBlockByBlock(_ type: GGMLType) throws {
        let file = try GGUFFile(path: Self.fixture)
        let q = try file.tensor("\(type).q"), want = try file.tensor("\(type).f32")
        #expect(q.type == type && q.shape == want.shape)
        let expected = UnsafeBufferPointer(start: want.data.assumingMemoryBound(to: Float.self), count: want.elementCount)
        var got = [Float](repeating: .nan, count: q.elementCount)
        let w = WeightMatrix(q)
        for r in 0..<w.rows { got.withUnsafeMutableBufferPointer { w.dequantizeRow(r, into: $0.baseAddress! + r * w.cols) } }
        for b in stride(from: 0, to: got.count, by: type.blockSize) {
            let block = b..<b + type.blockSize
            #expect(got[block].elementsEqual(expected[block]) { abs($0 - $1) <= 1e-6 * max(1, abs($1)) },
                    "\(type) block at value \(b) differs")
        }
    }

    /// The fused quantised-row dot product equals the dot of the dequantised row.
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0, .q4_K, .q5_K, .q6_K, .f16, .bf16])
    func fusedDotMatchesDequantisedDot(_ type: GGMLType) throws {
        let file = try GGUFFile(path: Self.fixture)
        let w = WeightMatrix(try file.tensor("\(type).q"))
        let x = randomFloats(w.cols * 2, seed: 11)
        var y = [Float](repeating: 0, count: 2 * w.rows)
        w.multiply(x, xStride: w.cols, n: 1, into: &y, yStride: w.rows)
        w.multiply(Array(x[w.cols...]), xStride: w.cols, n: 1, into: &y[w.rows], yStride: w.rows)
        let want = try file.tensor("\(type).f32")
        let dense = UnsafeBufferPointer(start: want.data.assumingMemoryBound(to: Float.self), count: want.elementCount)
        for t in 0..<2 {
            for r in 0..<w.rows {
                let terms = (0..<w.cols).map { Double(dense[r * w.cols + $0]) * Double(x[t * w.cols + $0]) }
                let ref = terms.reduce(0, +), magnitude = terms.reduce(0) { $0 + abs($1) }
                #expect(abs(Double(y[t * w.rows + r]) - ref) <= 1e-6 * magnitude, "\(type) row \(r)")
            }
        }
    }
}
