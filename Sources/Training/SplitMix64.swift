/// The trainer's seeded generator (SplitMix64): one word of state, so a checkpoint holds it
/// exactly, and a mixing function that doubles as a counter-based hash for dropout masks.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform in [0, 1), 24 random bits.
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
