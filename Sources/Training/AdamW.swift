import Foundation
import TensorKernels

/// AdamW as PyTorch's `torch.optim.AdamW` computes it (decoupled weight decay, bias-corrected
/// moments, the scalar factors in double, the element-wise work in float), over slices of one
/// flat parameter vector so that each layer can have its own learning rate.
struct AdamW {
    let beta1: Float
    let beta2: Float
    let epsilon: Float
    let weightDecay: Float
    /// First and second moments, one per parameter.
    var m: [Float]
    var v: [Float]

    init(count: Int, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// Update `range` of the parameters with step `step` (counted from 1) at learning rate `lr`,
    /// in blocks over the pool's threads (each value's update is its own).
    mutating func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, range: Range<Int>, lr: Float, step: Int,
                         pool: ComputePool = .shared) {
        let decay = Float(1 - Double(lr) * Double(weightDecay))
        let stepSize = Float(Double(lr) / (1 - pow(Double(beta1), Double(step))))
        let correction2 = Float((1 - pow(Double(beta2), Double(step))).squareRoot())
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                pool.run((range.count + parameterBlock - 1) / parameterBlock) { b, _ in
                    let start = range.lowerBound + b * parameterBlock
                    for i in start..<min(start + parameterBlock, range.upperBound) {
                        p[i] *= decay
                        m[i] += (g[i] - m[i]) * (1 - b1)
                        v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
                        p[i] -= stepSize * (m[i] / (v[i].squareRoot() / correction2 + eps))
                    }
                }
            }
        }
    }
}
