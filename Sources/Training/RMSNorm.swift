import TensorKernels

/// RMSNorm: y = x · r · w, r = 1 / √(mean(x²) + eps), the gain w frozen or trained.
enum RMSNorm {
    // x: (n, d), w: (d), y: (n, d)
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        n: Int, d: Int, eps: Float, pool: ComputePool) {
        pool.forEachRow(n) { r in VectorOps.rmsNorm(x + r * d, w, y + r * d, d, eps: eps) }
    }

    // dy: (n, d), x: (n, d) the forward's input, dx: (n, d) accumulated into.
    // With g = w·dy: dx = r·g − x · r³ · (x·g) / d. dw (d), if given, += Σ_rows dy · x · r.
    static func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>, n: Int, d: Int, eps: Float, dw: UnsafeMutablePointer<Float>? = nil,
                         pool: ComputePool) {
        if let dw {
            // All rows add into one gain: in row order, on one thread (a few hundred thousand products).
            for row in 0..<n {
                let xr = x + row * d, dyr = dy + row * d
                let r = 1 / (VectorOps.dot(xr, xr, d) / Float(d) + eps).squareRoot()
                for i in 0..<d { dw[i] += dyr[i] * xr[i] * r }
            }
        }
        pool.forEachRow(n) { row in
            let xr = x + row * d, dyr = dy + row * d, dxr = dx + row * d
            let r = 1 / (VectorOps.dot(xr, xr, d) / Float(d) + eps).squareRoot()
            var xg: Float = 0
            for i in 0..<d { xg += xr[i] * w[i] * dyr[i] }
            let c = r * r * r * xg / Float(d)
            for i in 0..<d { dxr[i] += r * w[i] * dyr[i] - c * xr[i] }
        }
    }
}
