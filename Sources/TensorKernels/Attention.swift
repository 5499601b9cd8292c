import CBLAS
import CKernels

/// Causal scaled dot-product attention for one head of one sequence.
public enum Attention {
    /// Floats of `scores` scratch that `causal` needs.
    public static func scratchCount(heads: Int, n: Int, start: Int, headDim: Int) -> Int { heads * (start + n) }

    /// For each query row i < n at position p = start + i and each of `heads` query heads h that
    /// share one key/value head: out_ih = softmax(scale · q_ih · K[0...p]ᵀ) · V[0...p].
    /// q: (n, heads, headDim) with row stride qStride; k, v: (start + n, headDim) with row stride kvStride;
    /// out: (n, heads, headDim) with row stride outStride; scores: scratch of `scratchCount` floats.
    /// Row by row, whatever n and heads: a row's bits then depend only on its position and the cache,
    /// so a prompt gives the same numbers whole, split by the prefix cache, or batched with others
    /// (sgemm's would change with the matrix sizes).
    public static func causal(q: UnsafePointer<Float>, qStride: Int, heads: Int = 1, n: Int, start: Int,
                              k: UnsafePointer<Float>, v: UnsafePointer<Float>, kvStride: Int,
                              headDim hd: Int, scale: Float,
                              out: UnsafeMutablePointer<Float>, outStride: Int,
                              scores: UnsafeMutablePointer<Float>) {
        // Each key and value row is read once for all heads of the group.
        for i in 0..<n {
            lk_attention_row(q + i * qStride, heads, k, v, kvStride, start + i + 1, hd, scale, out + i * outStride, scores)
        }
    }

    /// `causal` through two sgemms, for any n: the group's heads are stacked into one (n·heads, hd)
    /// matrix, row i·heads + h (a row's heads lie side by side in q), so that each product is as
    /// large as the group. Leaves softmax(scale·QKᵀ) in `probabilities`, (n·heads, start + n) in the
    /// stacked row order and zero past each row's causal limit. stack: scratch of 2·n·heads·hd floats
    /// (unused for one head).
    public static func causalProducts(q: UnsafePointer<Float>, qStride: Int, heads: Int, n: Int, start: Int,
                                      k: UnsafePointer<Float>, v: UnsafePointer<Float>, kvStride: Int, headDim hd: Int,
                                      scale: Float, out: UnsafeMutablePointer<Float>, outStride: Int,
                                      probabilities: UnsafeMutablePointer<Float>, stack: UnsafeMutablePointer<Float>) {
        let keys = start + n, rows = n * heads
        let (qs, ldq) = heads == 1 ? (q, qStride) : (UnsafePointer(stack), hd)
        if heads > 1 { for i in 0..<n { (stack + i * heads * hd).update(from: q + i * qStride, count: heads * hd) } }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(keys), Int32(hd),
                    scale, qs, Int32(ldq), k, Int32(kvStride), 0, probabilities, Int32(keys))
        for r in 0..<rows {
            let row = probabilities + r * keys, len = start + r / heads + 1
            VectorOps.softmax(row, len)
            (row + len).update(repeating: 0, count: keys - len)
        }
        let (os, ldo) = heads == 1 ? (out, outStride) : (stack + rows * hd, hd)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hd), Int32(keys),
                    1, probabilities, Int32(keys), v, Int32(kvStride), 0, os, Int32(ldo))
        if heads > 1 { for i in 0..<n { (out + i * outStride).update(from: os + i * heads * hd, count: heads * hd) } }
    }
}
