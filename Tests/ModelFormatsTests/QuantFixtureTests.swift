import Testing
import ModelFormats

/// Tests/Fixtures/quant-blocks.gguf (scripts/make-quant-fixture.py) is the reference for the kernels'
/// dequantise and dot-product tests. These checks make sure it reads as documented.
@Suite struct QuantFixtureTests {
    let file: GGUFFile

    init() throws { file = try GGUFFile(path: repoRoot + "/Tests/Fixtures/quant-blocks.gguf") }

    @Test func holdsEveryTypeWithItsFloatReference() throws {
        // Names spelled out: GGMLType.description recurses for the quantised types.
        let types: [(GGMLType, String)] = [(.q4_0, "Q4_0"), (.q4_1, "Q4_1"), (.q8_0, "Q8_0"), (.q4_K, "Q4_K"),
                                           (.q5_K, "Q5_K"), (.q6_K, "Q6_K"), (.f16, "F16"), (.bf16, "BF16")]
        #expect(file.tensors.count == 2 * types.count)
        for (type, name) in types {
            let q = try file.tensor(name + ".q"), f = try file.tensor(name + ".f32")
            #expect(q.type == type && q.shape == [512, 2] && q.byteCount == 2 * 512 / type.blockSize * type.blockBytes)
            #expect(f.type == .f32 && f.shape == [512, 2])
            let values = floats(f)
            #expect(values.allSatisfy(\.isFinite) && Set(values).count > 256, "\(name)")
        }
    }

    @Test func halfFloatReferencesAreExactConversions() throws {
        #expect(try floats(file.tensor("F16.q")).map(\.bitPattern) == floats(file.tensor("F16.f32")).map(\.bitPattern))
        #expect(try floats(file.tensor("BF16.q")).map(\.bitPattern) == floats(file.tensor("BF16.f32")).map(\.bitPattern))
        let f16 = try floats(file.tensor("F16.f32"))
        #expect(f16.contains { $0 != 0 && abs($0) < 0x1p-14 }, "no f16 subnormals")
        #expect(f16.contains { $0 == 0 && $0.sign == .minus })
    }

    /// Q8_0 is simple enough to decode here: block = f16 scale d, 32 × int8 q; value = d·q.
    @Test func q8_0ReferenceMatchesBlockLayout() throws {
        let q = try file.tensor("Q8_0.q")
        let expected = try floats(file.tensor("Q8_0.f32"))
        var decoded = [Float]()
        for b in 0..<q.byteCount / 34 {
            let block = q.data + b * 34
            let d = Float(block.loadUnaligned(as: Float16.self))
            for i in 0..<32 { decoded.append(d * Float(block.load(fromByteOffset: 2 + i, as: Int8.self))) }
        }
        #expect(decoded == expected)
    }
}
