import TensorKernels

/// PEFT's dropout on an adapter's input path, as a pure function of (seed, row, column):
/// the backward pass and activation checkpointing regenerate the mask instead of storing it.
struct DropoutMask {
    let seed: UInt64
    let rate: Float

    // x, y: (n, cols), may alias; y = x · keep / (1 − rate), keep drawn with probability 1 − rate.
    func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int, cols: Int, pool: ComputePool) {
        let threshold = UInt64(Double(rate) * Double(1 << 24)), keepScale = 1 / (1 - rate)
        pool.forEachRow(n) { r in
            for c in 0..<cols {
                let i = r * cols + c
                y[i] = SplitMix64.mix(seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >> 40 >= threshold ? x[i] * keepScale : 0
            }
        }
    }
}
