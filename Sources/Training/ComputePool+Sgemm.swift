import CBLAS
import TensorKernels

extension ComputePool {
    /// Row-major C (m × n) = alpha · op(A) · op(B) + beta · C, split over the threads by rows of
    /// C, or by columns when C has fewer rows than columns: every element of C comes from one
    /// call, so the sums run in the same order whichever thread takes which part.
    func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
               _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
               beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        let byRows = m >= n, size = byRows ? m : n
        let parts = max(1, min(2 * threads, size / 16)), chunk = (size + parts - 1) / parts
        run((size + chunk - 1) / chunk) { item, _ in
            let lo = item * chunk, count = min(chunk, size - lo)
            let (pa, pb, pc) = byRows
                ? (transA ? a + lo : a + lo * lda, b, c + lo * ldc)
                : (a, transB ? b + lo * ldb : b + lo, c + lo)
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(byRows ? count : m), Int32(byRows ? n : count), Int32(k),
                        alpha, pa, Int32(lda), pb, Int32(ldb), beta, pc, Int32(ldc))
        }
    }
}
