/// Float32 rows into GGML's stored types, as llama.cpp's reference quantisers write them.
public enum Quantize {
    /// `values` in `type` (f32, f16 or q8_0; q8_0 rows a whole number of 32-value blocks).
    public static func bytes(_ values: UnsafeBufferPointer<Float>, as type: GGMLType) -> [UInt8] {
        switch type {
        case .f32: return Array(UnsafeRawBufferPointer(values))
        case .f16: return values.map(Float16.init).withUnsafeBytes { Array($0) }
        case .q8_0: return q8_0(values)
        // fatalError, not preconditionFailure: release builds (-Ounchecked) assume the latter unreachable.
        default: fatalError("quantising to \(type) is not implemented")
        }
    }

    /// Blocks of 32: the scale d = max|x| / 127 as float16, then round(x / d) as int8
    /// (llama.cpp's quantize_row_q8_0_ref: the division uses the float32 d).
    static func q8_0(_ values: UnsafeBufferPointer<Float>) -> [UInt8] {
        precondition(values.count % 32 == 0, "q8_0 needs whole blocks of 32 values")
        var out = [UInt8]()
        out.reserveCapacity(values.count / 32 * 34)
        for block in stride(from: 0, to: values.count, by: 32) {
            let x = values[block..<block + 32]
            let d = x.reduce(0) { max($0, abs($1)) } / 127, inverse = d == 0 ? 0 : 1 / d
            withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { out += $0 }
            for v in x { out.append(UInt8(bitPattern: Int8((v * inverse).rounded()))) }
        }
        return out
    }
}
