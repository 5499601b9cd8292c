import CBLAS
import CKernels

/// Causal scaled dot-product attention for one head of one sequence.
public enum Attention {
    /// Query rows at or below this count use the per-row kernel; more use two sgemms.
    static let rowwiseLimit = 4

    /// For each query row i < n at position p = start + i and each of `heads` query heads h that
    /// share one key/value head: out_ih = softmax(scale · q_ih · K[0...p]ᵀ) · V[0...p].
    /// q: (n, heads, headDim) with row stride qStride; k, v: (start + n, headDim) with row stride kvStride;
    /// out: (n, heads, headDim) with row stride outStride; scores: scratch of max(heads, n) · (start + n) floats.
    public static func causal(q: UnsafePointer<Float>, qStride: Int, heads: Int = 1, n: Int, start: Int,
                              k: UnsafePointer<Float>, v: UnsafePointer<Float>, kvStride: Int,
                              headDim: Int, scale: Float,
                              out: UnsafeMutablePointer<Float>, outStride: Int,
                              scores: UnsafeMutablePointer<Float>) {
        let keys = start + n
        if n <= rowwiseLimit {
            // Each key and value row is read once for all heads of the group.
            for i in 0..<n {
                lk_attention_row(q + i * qStride, heads, k, v, kvStride, start + i + 1, headDim, scale, out + i * outStride, scores)
            }
            return
        }
        for h in 0..<heads {
            let q = q + h * headDim, out = out + h * headDim
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(keys), Int32(headDim),
                        scale, q, Int32(qStride), k, Int32(kvStride), 0, scores, Int32(keys))
            for i in 0..<n {
                let row = scores + i * keys
                let len = start + i + 1
                VectorOps.softmax(row, len)
                (row + len).update(repeating: 0, count: keys - len)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(headDim), Int32(keys),
                        1, scores, Int32(keys), v, Int32(kvStride), 0, out, Int32(outStride))
        }
    }
}
