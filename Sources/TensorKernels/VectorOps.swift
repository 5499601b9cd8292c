import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Small float kernels over contiguous buffers: dot products, norms, activations, softmax.
// Each has a plain reference in the tests.

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

public enum VectorOps {
    /// Σ a[i]·b[i].
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= n {
            s0.addProduct(load8(a + i), load8(b + i))
            s1.addProduct(load8(a + i + 8), load8(b + i + 8))
            s2.addProduct(load8(a + i + 16), load8(b + i + 16))
            s3.addProduct(load8(a + i + 24), load8(b + i + 24))
            i += 32
        }
        while i + 8 <= n {
            s0.addProduct(load8(a + i), load8(b + i))
            i += 8
        }
        var s = ((s0 + s1) + (s2 + s3)).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y += a·x.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            var v = load8(y + i)
            v.addProduct(a, load8(x + i))
            store8(v, y + i)
            i += 8
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// y[i] = x[i] / rms(x) · w[i], rms(x) = sqrt(mean(x²) + eps). `x` and `y` may alias.
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, eps: Float) {
        let scale = 1 / (dot(x, x, n) / Float(n) + eps).squareRoot()
        var i = 0
        while i + 8 <= n {
            store8(load8(x + i) * scale * load8(w + i), y + i)
            i += 8
        }
        while i < n { y[i] = x[i] * scale * w[i]; i += 1 }
    }

    /// gate[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^−g).
    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        lk_swiglu(gate, up, n)
    }

    /// In-place softmax of x[0..<n]; returns the normaliser Σ e^(x−max) for log-probabilities.
    @discardableResult
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        let sum = lk_softmax_numerators(x, n)
        let inv = 1 / sum
        for i in 0..<n { x[i] *= inv }
        return sum
    }

    /// y += x.
    public static func add(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            store8(load8(y + i) + load8(x + i), y + i)
            i += 8
        }
        while i < n { y[i] += x[i]; i += 1 }
    }
}
