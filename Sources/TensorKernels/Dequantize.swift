import ModelFormats

// One dequantise routine per tensor type, over whole blocks, in ggml's block layouts
// (ggml-common.h). Each is checked block by block against gguf-py's reference.

@inline(__always) func half(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
    Float(p.loadUnaligned(fromByteOffset: offset, as: Float16.self))
}

@inline(__always) func floats(_ v: SIMD16<UInt8>) -> SIMD16<Float> {
    SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v))
}

@inline(__always) func floats(_ v: SIMD16<Int8>) -> SIMD16<Float> {
    SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v))
}

@inline(__always) func store(_ v: SIMD16<Float>, _ y: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(y).storeBytes(of: v, as: SIMD16<Float>.self)
}

public enum Dequantize {
    /// Converts `count` values (a whole number of blocks) of type `type` starting at `src` into floats.
    public static func row(_ type: GGMLType, _ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let blocks = count / type.blockSize
        switch type {
        case .f32: y.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: f16(src, y, count)
        case .bf16: bf16(src, y, count)
        case .q8_0: for b in 0..<blocks { q8_0(src + b * 34, y + b * 32) }
        case .q4_0: for b in 0..<blocks { q4_0(src + b * 18, y + b * 32) }
        case .q4_1: for b in 0..<blocks { q4_1(src + b * 20, y + b * 32) }
        case .q4_K: for b in 0..<blocks { q4_K(src + b * 144, y + b * 256) }
        case .q5_K: for b in 0..<blocks { q5_K(src + b * 176, y + b * 256) }
        case .q6_K: for b in 0..<blocks { q6_K(src + b * 210, y + b * 256) }
        default: preconditionFailure("dequantise: unsupported type \(type)")
        }
    }

    static func f16(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let h = src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<Float16>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD8<Float>(h), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] = half(src, 2 * i); i += 1 }
    }

    static func bf16(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let h = src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            let bits = SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16
            UnsafeMutableRawPointer(y + i).storeBytes(of: bits, as: SIMD8<UInt32>.self)
            i += 8
        }
        while i < n { y[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16); i += 1 }
    }

    /// Q8_0: f16 scale d, 32 × int8 q; y = d·q.
    @inline(__always) static func q8_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p)
        store(d * floats(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)), y)
        store(d * floats(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)), y + 16)
    }

    /// Q4_0: f16 scale d, 16 bytes of nibbles; value j is the low nibble of byte j, value j+16 the high one; y = d·(q − 8).
    @inline(__always) static func q4_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p)
        let q = p.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
        store(d * (floats(q & 0x0F) - 8), y)
        store(d * (floats(q &>> 4) - 8), y + 16)
    }

    /// Q4_1: f16 scale d and minimum m, nibbles as in Q4_0; y = d·q + m.
    @inline(__always) static func q4_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p), m = half(p, 2)
        let q = p.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        store(d * floats(q & 0x0F) + m, y)
        store(d * floats(q &>> 4) + m, y + 16)
    }

    /// 6-bit scale and minimum of sub-block j (0..<8) from the 12 packed bytes of Q4_K/Q5_K.
    @inline(__always) static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (Float, Float) {
        let b = q.assumingMemoryBound(to: UInt8.self)
        if j < 4 {
            return (Float(b[j] & 63), Float(b[j + 4] & 63))
        }
        let d = (b[j + 4] & 0x0F) | ((b[j - 4] >> 6) << 4)
        let m = (b[j + 4] >> 4) | ((b[j] >> 6) << 4)
        return (Float(d), Float(m))
    }

    /// Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit sub-block scales/mins, 128 bytes of nibbles (256 values,
    /// in 4 groups of 64: 32 low nibbles then 32 high nibbles). y = d·sc·q − dmin·m.
    static func q4_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p), dmin = half(p, 2)
        let scales = p + 4
        for g in 0..<4 {
            let (s1, m1) = scaleMinK4(2 * g, scales)
            let (s2, m2) = scaleMinK4(2 * g + 1, scales)
            let d1 = d * s1, o1 = dmin * m1, d2 = d * s2, o2 = dmin * m2
            for h in 0..<2 {
                let q = p.loadUnaligned(fromByteOffset: 16 + 32 * g + 16 * h, as: SIMD16<UInt8>.self)
                store(d1 * floats(q & 0x0F) - o1, y + 64 * g + 16 * h)
                store(d2 * floats(q &>> 4) - o2, y + 64 * g + 32 + 16 * h)
            }
        }
    }

    /// Q5_K: as Q4_K plus 32 bytes of high bits (bit 2g of qh[l] for the low half of group g, bit 2g+1 for the high half).
    static func q5_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p), dmin = half(p, 2)
        let scales = p + 4
        for g in 0..<4 {
            let (s1, m1) = scaleMinK4(2 * g, scales)
            let (s2, m2) = scaleMinK4(2 * g + 1, scales)
            let d1 = d * s1, o1 = dmin * m1, d2 = d * s2, o2 = dmin * m2
            let bitLo = UInt8(1) << (2 * g), bitHi = UInt8(2) << (2 * g)
            for h in 0..<2 {
                let q = p.loadUnaligned(fromByteOffset: 48 + 32 * g + 16 * h, as: SIMD16<UInt8>.self)
                let qh = p.loadUnaligned(fromByteOffset: 16 + 16 * h, as: SIMD16<UInt8>.self)
                let lo = (q & 0x0F) | ((qh & bitLo).replacing(with: 16, where: (qh & bitLo) .!= 0))
                let hi = (q &>> 4) | ((qh & bitHi).replacing(with: 16, where: (qh & bitHi) .!= 0))
                store(d1 * floats(lo) - o1, y + 64 * g + 16 * h)
                store(d2 * floats(hi) - o2, y + 64 * g + 32 + 16 * h)
            }
        }
    }

    /// Q6_K: 128 bytes low nibbles (ql), 64 bytes of 2-bit highs (qh), 16 int8 scales, f16 d.
    /// Two halves of 128 values; y = d·scale·(q − 32).
    static func q6_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 208)
        let sc = (p + 192).assumingMemoryBound(to: Int8.self)
        for n in 0..<2 {
            let ql = p + 64 * n, qh = p + 128 + 32 * n
            let s = sc + 8 * n, out = y + 128 * n
            for h in 0..<2 {
                let l = 16 * h
                let a = ql.loadUnaligned(fromByteOffset: l, as: SIMD16<UInt8>.self)
                let b = ql.loadUnaligned(fromByteOffset: l + 32, as: SIMD16<UInt8>.self)
                let hb = qh.loadUnaligned(fromByteOffset: l, as: SIMD16<UInt8>.self)
                let q1 = (a & 0x0F) | ((hb & 3) &<< 4)
                let q2 = (b & 0x0F) | (((hb &>> 2) & 3) &<< 4)
                let q3 = (a &>> 4) | (((hb &>> 4) & 3) &<< 4)
                let q4 = (b &>> 4) | (((hb &>> 6) & 3) &<< 4)
                // Scale index is l/16 within each 32-value quarter, i.e. h here.
                store(d * Float(s[h + 0]) * (floats(q1) - 32), out + l)
                store(d * Float(s[h + 2]) * (floats(q2) - 32), out + l + 32)
                store(d * Float(s[h + 4]) * (floats(q3) - 32), out + l + 64)
                store(d * Float(s[h + 6]) * (floats(q4) - 32), out + l + 96)
            }
        }
    }
}
