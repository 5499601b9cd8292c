/// What a trainer optimises: one flat vector of values with their gradients beside it, so that
/// the optimiser, clipping and checkpoints see a single buffer whatever the method.
protocol TrainableParameters: AnyObject {
    var values: UnsafeMutablePointer<Float> { get }
    var gradients: UnsafeMutablePointer<Float> { get }
    var count: Int { get }
    /// Slices of the vector with the layer they belong to, for layer-wise learning-rate decay
    /// (nil: not in a layer, the full learning rate).
    var groups: [(layer: Int?, range: Range<Int>)] { get }
}

extension TrainableParameters {
    func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// The L2 norm of all gradients, summed in a fixed order.
    func gradientNorm() -> Float {
        var sum = 0.0
        for i in 0..<count { sum += Double(gradients[i]) * Double(gradients[i]) }
        return Float(sum.squareRoot())
    }

    func scaleGradients(by s: Float) {
        for i in 0..<count { gradients[i] *= s }
    }
}
