import TensorKernels

/// The MLP's gated activation: out = silu(gate) · up, silu(g) = g·σ(g).
enum SwiGLU {
    // gate, up: (n, ff) pre-activations (kept for the backward), out: (n, ff)
    static func forward(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                        n: Int, ff: Int, pool: ComputePool) {
        pool.forEachRow(n) { r in
            for i in r * ff..<(r + 1) * ff { out[i] = gate[i] * sigmoid(gate[i]) * up[i] }
        }
    }

    // dout: (n, ff) → dgate, dup: (n, ff), overwritten. silu'(g) = σ(g) · (1 + g·(1 − σ(g))).
    static func backward(_ dout: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                         _ dgate: UnsafeMutablePointer<Float>, _ dup: UnsafeMutablePointer<Float>, n: Int, ff: Int, pool: ComputePool) {
        pool.forEachRow(n) { r in
            for i in r * ff..<(r + 1) * ff {
                let g = gate[i], s = sigmoid(g)
                dup[i] = dout[i] * g * s
                dgate[i] = dout[i] * up[i] * s * (1 + g * (1 - s))
            }
        }
    }

    /// σ(g) = 1 / (1 + e^−g), with e^x taken at x ≤ 0 only (where `fastExp` holds) so the loops vectorise.
    @inline(__always)
    static func sigmoid(_ g: Float) -> Float {
        let e = fastExp(-abs(g))
        return g >= 0 ? 1 / (1 + e) : e / (1 + e)
    }
}
