import TensorKernels

/// What a trainer optimises: one flat vector of values with their gradients beside it, so that
/// the optimiser, clipping and checkpoints see a single buffer whatever the method.
protocol TrainableParameters: AnyObject {
    var values: UnsafeMutablePointer<Float> { get }
    var gradients: UnsafeMutablePointer<Float> { get }
    var count: Int { get }
    /// Slices of the vector with the layer they belong to, for layer-wise learning-rate decay
    /// (nil: not in a layer, the full learning rate; −1: below the first layer, the embedding).
    var groups: [(layer: Int?, range: Range<Int>)] { get }
}

/// Blocks of a parameter vector that element-wise work splits over threads: fixed, whatever
/// the thread count, so that sums over blocks come out the same on every machine.
let parameterBlock = 1 << 16

extension TrainableParameters {
    func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// The L2 norm of all gradients: squares summed in float within blocks, the blocks in double
    /// in a fixed order (a full fine-tuning's 135M gradients take a few milliseconds, not a second).
    func gradientNorm(pool: ComputePool = .shared) -> Float {
        let blocks = (count + parameterBlock - 1) / parameterBlock
        var sums = [Double](repeating: 0, count: blocks)
        sums.withUnsafeMutableBufferPointer { sums in
            pool.run(blocks) { b, _ in
                let start = b * parameterBlock, g = gradients + start
                sums[b] = Double(VectorOps.dot(g, g, min(parameterBlock, count - start)))
            }
        }
        return Float(sums.reduce(0, +).squareRoot())
    }

    func scaleGradients(by s: Float, pool: ComputePool = .shared) {
        pool.run((count + parameterBlock - 1) / parameterBlock) { b, _ in
            let start = b * parameterBlock
            for i in start..<min(start + parameterBlock, count) { gradients[i] *= s }
        }
    }
}
