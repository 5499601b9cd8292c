import CBLAS

extension WeightMatrix {
    /// dx[t·dxStride + c] (+)= Σ_o dy[t·dyStride + o] · W[o, c], for t < n and c < cols: the
    /// product with the transpose, which carries a gradient back through a frozen weight.
    /// Each thread owns a range of dx's columns, whole quantisation blocks wide, and walks down W
    /// dequantising tiles of (rows × those columns) into its scratch: no two threads
    /// add into the same values and every sum runs in the same order, so results are reproducible.
    /// (OpenBLAS packs dy once per sgemm, and each range needs all of dy: one range per thread.)
    /// With `integer`, in 16-bit integers where `hasIntegerProducts` (dy times W's block scales
    /// rounded to 16 bits per 32 rows: too coarse for values as spread as a softmax's).
    public func multiplyTransposed(_ dy: UnsafePointer<Float>, dyStride: Int, n: Int,
                                   into dx: UnsafeMutablePointer<Float>, dxStride: Int,
                                   accumulate: Bool = false, integer: Bool = false, pool: ComputePool = .shared) {
        guard n > 0 else { return }
        if integer, hasIntegerProducts {
            return multiplyTransposedInteger(dy, dyStride: dyStride, n: n, into: dx, dxStride: dxStride, accumulate: accumulate, pool: pool)
        }
        let block = type.blockSize
        let ranges = Self.evenSplit(cols / block, parts: pool.threads).map { $0.lowerBound * block..<$0.upperBound * block }
        pool.run(ranges.count) { item, thread in
            let columns = ranges[item], depth = min(rows, Self.largeBatchTileRows(cols: columns.count))
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
