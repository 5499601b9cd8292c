/// e^x for x <= 0, within a few ulp of libm's expf but branch-free, so loops over a vocabulary vectorise
/// (glibc's expf costs ~10 ns a call: 1 ms per 128k-token softmax). Results below 2^-126 flush to 0;
/// fastExp(0) is exactly 1, so the most likely token always weighs exactly 1.
///
/// Cephes' expf: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so n ln2 is exact), e^r by a degree-7 polynomial,
/// 2^n put straight into the exponent bits. n is rounded with the 1.5 * 2^23 trick, which also leaves n in the low bits.
@inlinable @inline(__always) public func fastExp(_ x: Float) -> Float {
    let lowest: Float = -87.33654  // ln(2^-126)
    let clamped = max(x, lowest)
    let shifted = clamped * 1.442_695_04 + 0x1.8p23
    let n = shifted - 0x1.8p23
    let r = (clamped - n * 0.693_359_375) - n * -2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let er = p * (r * r) + r + 1
    let twoToN = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
    return x < lowest ? 0 : er * twoToN
}
