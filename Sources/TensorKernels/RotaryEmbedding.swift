#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rotary position embedding in GGUF's layout: adjacent pairs (x[2i], x[2i+1]) of each head
/// rotate by θ = position · invFreq[i]. (Hugging Face's rotate-half layout is the same after
/// GGUF's row permutation of the q/k projections.)
public struct RotaryEmbedding: Sendable {
    public let dimensions: Int
    /// base^(−2i/d) / freqFactor[i] / linearScale, in Float as Hugging Face computes it.
    public let invFreq: [Float]

    public init(dimensions: Int, base: Float, freqFactors: [Float]? = nil, linearScale: Float = 1) {
        precondition(dimensions % 2 == 0)
        self.dimensions = dimensions
        invFreq = (0..<dimensions / 2).map { i in
            let f = 1 / powf(base, Float(2 * i) / Float(dimensions))
            return f / (freqFactors?[i] ?? 1) / linearScale
        }
    }

    /// Rotates the first `dimensions` values of each of `heads` heads (stride `headDim`) at `position`.
    /// `inverse` rotates by −θ (the backward pass of the rotation).
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, position: Int, inverse: Bool = false) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: dimensions) { cs in
            rotation(position: position, into: cs.baseAddress!, inverse: inverse)
            apply(x, heads: heads, headDim: headDim, rotation: cs.baseAddress!)
        }
    }

    /// cos θ and sin θ of every frequency at `position`, interleaved (`dimensions` floats): computed
    /// once per position and shared by every layer and head.
    public func rotation(position: Int, into cs: UnsafeMutablePointer<Float>, inverse: Bool = false) {
        for i in 0..<dimensions / 2 {
            let angle = Float(position) * invFreq[i]
            cs[2 * i] = cosf(angle)
            cs[2 * i + 1] = inverse ? -sinf(angle) : sinf(angle)
        }
    }

    /// Rotates each of `heads` heads (stride `headDim`) by a table from `rotation(position:into:)`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, rotation cs: UnsafePointer<Float>) {
        for h in 0..<heads {
            let p = x + h * headDim
            for i in 0..<dimensions / 2 {
                let c = cs[2 * i], s = cs[2 * i + 1]
                let a = p[2 * i], b = p[2 * i + 1]
                p[2 * i] = a * c - b * s
                p[2 * i + 1] = a * s + b * c
            }
        }
    }
}
