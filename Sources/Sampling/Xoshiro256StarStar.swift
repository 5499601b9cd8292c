/// xoshiro256** (Blackman & Vigna, 2018; https://prng.di.unimi.it/xoshiro256starstar.c): 256 bits of state,
/// a handful of shifts and xors per output, passes BigCrush. Seeded with splitmix64 as its authors recommend,
/// so every 64-bit seed, 0 included, gives a well-mixed non-zero state.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable {
    private var s0, s1, s2, s3: UInt64

    /// The state is the first four outputs of splitmix64 started at `seed`.
    public init(seed: UInt64) {
        var x = seed
        (s0, s1, s2, s3) = (Self.splitMix64(&x), Self.splitMix64(&x), Self.splitMix64(&x), Self.splitMix64(&x))
    }

    /// A raw state, as the reference test vectors are given. It must not be all zeros (the generator would stay there).
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zeros")
        (s0, s1, s2, s3) = state
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1): the top 53 bits of one output. Spelled out rather than `Double.random(in:using:)`
    /// so that a seed keeps giving the same draws whatever the standard library's implementation.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// splitmix64 (Steele, Lea & Flood; https://prng.di.unimi.it/splitmix64.c): advances `x` and returns the next output.
    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
