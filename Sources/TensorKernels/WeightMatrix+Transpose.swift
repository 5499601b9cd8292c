import CBLAS

extension WeightMatrix {
    /// Rows of W dequantised per sgemm in `multiplyTransposed`: the tile's depth in the product.
    static let transposedTileRows = 256

    /// dx[t·dxStride + c] (+)= Σ_o dy[t·dyStride + o] · W[o, c], for t < n and c < cols: the
    /// product with the transpose, which carries a gradient back through a frozen weight.
    /// Each parallel item owns a range of dx's columns, whole quantisation blocks wide, and walks
    /// down W dequantising tiles of (rows × those columns) into per-thread scratch: no two threads
    /// add into the same values and every sum runs in the same order, so results are reproducible.
    public func multiplyTransposed(_ dy: UnsafePointer<Float>, dyStride: Int, n: Int,
                                   into dx: UnsafeMutablePointer<Float>, dxStride: Int,
                                   accumulate: Bool = false, pool: ComputePool = .shared) {
        guard n > 0 else { return }
        let block = type.blockSize, blocks = cols / block
        // Two ranges per thread for balance, at least 64 columns wide so each sgemm stays efficient.
        let minBlocks = (64 + block - 1) / block
        let widthBlocks = max(minBlocks, (blocks + 2 * pool.threads - 1) / (2 * pool.threads))
        let items = (blocks + widthBlocks - 1) / widthBlocks
        pool.run(items) { item, thread in
            let c0 = item * widthBlocks * block, width = min(widthBlocks * block, cols - c0)
            let columnBytes = type.byteCount(values: c0)!
            let scratch = pool.scratch(thread: thread, slot: 0, count: Self.transposedTileRows * width)
            for lo in stride(from: 0, to: rows, by: Self.transposedTileRows) {
                let tile = min(Self.transposedTileRows, rows - lo)
                let w: UnsafePointer<Float>, ldw: Int
                if type == .f32 {
                    (w, ldw) = (row(lo).assumingMemoryBound(to: Float.self) + c0, cols)
                } else {
                    for o in lo..<lo + tile { Dequantize.row(type, row(o) + columnBytes, scratch + (o - lo) * width, count: width) }
                    (w, ldw) = (UnsafePointer(scratch), width)
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(width), Int32(tile),
                            1, dy + lo, Int32(dyStride), w, Int32(ldw), accumulate || lo > 0 ? 1 : 0, dx + c0, Int32(dxStride))
            }
        }
    }
}
