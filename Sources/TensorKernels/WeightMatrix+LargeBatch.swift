import CBLAS

extension WeightMatrix {
    /// Largest tile of rows dequantised for one sgemm of a large batch: 256 rows of a
    /// 1,536-wide matrix are 1.5 MB, and bigger tiles mean the batch is packed fewer times.
    static let largeBatchTileRows = 256

    /// y[t·yStride + o] (+)= Σ_c W[o, c] · x[t·xStride + c], for t < n and o < rows, as `multiply`,
    /// tiled for batches of hundreds of rows (training): OpenBLAS packs the whole batch once per
    /// tile, so tiles are as large as the scratch allows, and split evenly over the threads.
    public func multiplyLargeBatch(_ x: UnsafePointer<Float>, xStride: Int, n: Int,
                                   into y: UnsafeMutablePointer<Float>, yStride: Int,
                                   accumulate: Bool = false, pool: ComputePool = .shared) {
        guard n > 0 else { return }
        let parts = pool.threads * ((rows + pool.threads * Self.largeBatchTileRows - 1) / (pool.threads * Self.largeBatchTileRows))
        let tiles = Self.evenSplit(rows, parts: parts)
        pool.run(tiles.count) { item, thread in
            let outputs = tiles[item]
            let (w, ldw) = floats(rows: outputs, columns: 0..<cols, scratch: pool.scratch(thread: thread, slot: 0, count: outputs.count * cols))
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(outputs.count), Int32(cols),
                        1, x, Int32(xStride), w, Int32(ldw), accumulate ? 1 : 0, y + outputs.lowerBound, Int32(yStride))
        }
    }

    /// W's `rows` × `columns` as row-major floats and their leading dimension: f32 data where it
    /// lies, other types dequantised into `scratch`. `columns` starts on a block boundary.
    func floats(rows: Range<Int>, columns: Range<Int>, scratch: UnsafeMutablePointer<Float>) -> (UnsafePointer<Float>, Int) {
        let offset = type.byteCount(values: columns.lowerBound)!
        if type == .f32 { return ((row(rows.lowerBound) + offset).assumingMemoryBound(to: Float.self), cols) }
        for r in rows { Dequantize.row(type, row(r) + offset, scratch + (r - rows.lowerBound) * columns.count, count: columns.count) }
        return (UnsafePointer(scratch), columns.count)
    }

    /// 0..<count in `parts` consecutive ranges whose sizes differ by at most one.
    static func evenSplit(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, count))
        return (0..<parts).map { i in i * count / parts..<(i + 1) * count / parts }
    }
}
