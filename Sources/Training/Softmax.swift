import TensorKernels

enum Softmax {
    /// x[i] = e^(x[i] − max x) for i < n; returns the max and Σ e^(x[i] − max), summed in Double
    /// (a float sum over a 49,152-token vocabulary is off by about 1e-4, which biases the loss
    /// and every gradient). `fastExp` keeps the loop vectorised.
    static func exponentiate(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> (peak: Float, sum: Double) {
        var peak = -Float.infinity
        for i in 0..<n { peak = max(peak, x[i]) }
        var sum = 0.0
        for i in 0..<n {
            x[i] = fastExp(x[i] - peak)
            sum += Double(x[i])
        }
        return (peak, sum)
    }
}
