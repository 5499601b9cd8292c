import TensorKernels

enum Softmax {
    /// x[i] = e^(x[i] − max x) for i < n; returns the max and Σ e^(x[i] − max), summed in Double
    /// (a float sum over a 49,152-token vocabulary is off by about 1e-4, which biases the loss
    /// and every gradient). `fastExp` keeps the loop vectorised.
    static func exponentiate(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> (peak: Float, sum: Double) {
        let raw = UnsafeMutableRawPointer(x)
        func load8(_ i: Int) -> SIMD8<Float> { raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) }
        // Explicit lanes: neither a max nor a sum over floats vectorises by itself.
        var peaks = SIMD8<Float>(repeating: -.infinity), i = 0
        while i + 8 <= n {
            let v = load8(i)
            peaks.replace(with: v, where: v .> peaks)
            i += 8
        }
        var peak = peaks.max()
        for j in i..<n { peak = max(peak, x[j]) }
        for j in 0..<n { x[j] = fastExp(x[j] - peak) }
        // Float lanes over runs of 512, each run's total added in Double.
        var sum = 0.0
        for run in stride(from: 0, to: n, by: 512) {
            let end = min(n, run + 512)
            var lanes = SIMD8<Float>(), j = run
            while j + 8 <= end {
                lanes += load8(j)
                j += 8
            }
            var part = lanes.sum()
            while j < end {
                part += x[j]
                j += 1
            }
            sum += Double(part)
        }
        return (peak, sum)
    }
}
