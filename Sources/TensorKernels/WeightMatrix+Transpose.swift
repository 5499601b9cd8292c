import CBLAS

extension WeightMatrix {
    /// Rows of W dequantised per sgemm of `multiplyTransposed`.
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
        // Two ranges per thread, in whole blocks, even to within one block.
        let block = type.blockSize
        let ranges = Self.evenSplit(cols / block, parts: 2 * pool.threads).map { $0.lowerBound * block..<$0.upperBound * block }
        let depth = Self.transposedTileRows
        pool.run(ranges.count) { item, thread in
            let columns = ranges[item]
            let scratch = pool.scratch(thread: thread, slot: 0, count: depth * columns.count)
            for lo in stride(from: 0, to: rows, by: depth) {
                let tile = lo..<min(lo + depth, rows)
                let (w, ldw) = floats(rows: tile, columns: columns, scratch: scratch)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(columns.count), Int32(tile.count),
                            1, dy + lo, Int32(dyStride), w, Int32(ldw), accumulate || lo > 0 ? 1 : 0,
                            dx + columns.lowerBound, Int32(dxStride))
            }
        }
    }
}
