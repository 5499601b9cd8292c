import CKernels
import Testing
import TestSupport
import ModelFormats
@testable import TensorKernels

/// Every SIMD path against the plain C beside it, at each instruction set this CPU runs (so an
/// AVX-512 machine tests its AVX2 kernels too): the scalar code is the reference.
@Suite struct InstructionSetTests {
    /// The SIMD sets this process may use (LOREKEEPER_CPU caps them too).
    static let simdSets = InstructionSet.allCases.filter { $0 != .scalar && $0.rawValue <= InstructionSet.current.rawValue }
    static let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q5_K, .q6_K]

    @Test func namesRoundTripAndUnknownNamesAreRejected() {
        for set in InstructionSet.allCases { #expect(InstructionSet(name: set.description) == set) }
        #expect(InstructionSet(name: "sse9") == nil)
    }

    @Test func aThreadCapLowersTheLevelOnThatThreadOnly() {
        let before = InstructionSet.current
        InstructionSet.with(.scalar) { #expect(InstructionSet.current == .scalar) }
        #expect(InstructionSet.current == before)
        #expect(lk_qgemm_available(GGMLType.q4_0.rawValue) == (before == .avx512 ? 1 : 0))
        InstructionSet.with(.avx2) { #expect(lk_qgemm_available(GGMLType.q4_0.rawValue) == 0) }
    }

    /// Dequantisation is exact in every path: the same products in the same order.
    @Test(arguments: types)
    func dequantisationIsIdenticalAtEverySet(_ type: GGMLType) {
        let cols = 512, bytes = randomQuantized(type, rows: 3, cols: cols, seed: 5)
        func run() -> [Float] {
            var y = [Float](repeating: .nan, count: 3 * cols)
            bytes.withUnsafeBytes { _ = lk_dequantize_row(type.rawValue, $0.baseAddress!, &y, 3 * cols) }
            return y
        }
        let want = InstructionSet.with(.scalar, run)
        for set in Self.simdSets { #expect(InstructionSet.with(set, run) == want, "\(type) at \(set)") }
    }

    @Test(arguments: types, [1, 2, 3, 4, 7])
    func rowProductsAgreeWithTheScalarPath(_ type: GGMLType, _ n: Int) {
        let rows = 13, cols = 512, xStride = cols + 3, yStride = rows + 1
        let bytes = randomQuantized(type, rows: rows, cols: cols, seed: 6)
        let x = randomFloats(n * xStride, seed: 7), initial = randomFloats(n * yStride, seed: 8)
        func run() -> [Float] {
            var y = initial, scratch = [Float](repeating: 0, count: cols)
            bytes.withUnsafeBytes {
                lk_multiply_rows(type.rawValue, $0.baseAddress!, bytes.count / rows, rows, cols, x, xStride, n, &y, yStride, 1, &scratch)
            }
            return y
        }
        let want = InstructionSet.with(.scalar, run)
        for set in Self.simdSets {
            let scale = max(1, want.map(abs).max()!)
            let worst = zip(InstructionSet.with(set, run), want).map { abs($0 - $1) / scale }.max()!
            #expect(worst < 2e-6, "\(type) n=\(n) at \(set): \(worst)")
        }
    }

    @Test func dotSoftmaxAndSwiGLUAgreeWithTheScalarPath() {
        let a = randomFloats(301, scale: 4, seed: 1), b = randomFloats(301, scale: 4, seed: 2)
        let want = InstructionSet.with(.scalar) { (lk_dot_f32(a, b, 301), softmax(a), swiglu(a, b)) }
        for set in Self.simdSets {
            let got = InstructionSet.with(set) { (lk_dot_f32(a, b, 301), softmax(a), swiglu(a, b)) }
            #expect(abs(got.0 - want.0) < 1e-4, "\(set)")
            #expect(abs(got.1.sum - want.1.sum) < 1e-5 * want.1.sum, "\(set)")
            #expect(zip(got.1.values, want.1.values).allSatisfy { abs($0 - $1) <= 2e-7 * max(1, $1) }, "\(set)")
            #expect(zip(got.2, want.2).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "\(set)")
        }
    }

    func softmax(_ x: [Float]) -> (values: [Float], sum: Float) {
        var v = x
        let s = lk_softmax_numerators(&v, v.count)
        return (v, s)
    }

    func swiglu(_ gate: [Float], _ up: [Float]) -> [Float] {
        var g = gate
        lk_swiglu(&g, up, g.count)
        return g
    }

    /// Head sizes that do and do not fill the vector loops, one head or a group.
    @Test(arguments: [(64, 1, 37), (64, 3, 130), (40, 2, 9), (6, 2, 5)])
    func attentionRowAgreesWithTheScalarPath(_ hd: Int, _ heads: Int, _ len: Int) {
        let stride = hd * 2 + 3
        let q = randomFloats(heads * hd, scale: 2, seed: 3), k = randomFloats(len * stride, scale: 2, seed: 4)
        let v = randomFloats(len * stride, seed: 5)
        func run() -> [Float] {
            var out = [Float](repeating: .nan, count: heads * hd), scores = [Float](repeating: 0, count: heads * len)
            lk_attention_row(q, heads, k, v, stride, len, hd, 0.125, &out, &scores)
            return out
        }
        let want = InstructionSet.with(.scalar, run)
        for set in Self.simdSets {
            #expect(zip(InstructionSet.with(set, run), want).allSatisfy { abs($0 - $1) < 1e-5 }, "hd=\(hd) heads=\(heads) at \(set)")
        }
    }
}
