import CBLAS

extension WeightMatrix {
    /// Rows of W dequantised per sgemm of a large-batch product: at least 256, more while they
    /// fit in 2 MB of floats (the batch is packed once per sgemm, so fewer tiles pack it less).
    static func largeBatchTileRows(cols: Int) -> Int { max(256, (1 << 19) / cols) }

    /// y[t·yStride + o] (+)= Σ_c W[o, c] · x[t·xStride + c], for t < n and o < rows, as `multiply`,
    /// tiled for batches of hundreds of rows (training). With `integer`, in 16-bit integers where
    /// `hasIntegerProducts` (x rounded to 16 bits per block of 32 values, to 1/65534 of the largest).
    public func multiplyLargeBatch(_ x: UnsafePointer<Float>, xStride: Int, n: Int,
                                   into y: UnsafeMutablePointer<Float>, yStride: Int,
                                   accumulate: Bool = false, integer: Bool = false, pool: ComputePool = .shared) {
        Self.multiplyLargeBatch([(self, y, yStride)], x, xStride: xStride, n: n, accumulate: accumulate, integer: integer, pool: pool)
    }

    /// The same for matrices with a common input (a layer's q, k and v), each into its own y,
    /// in tiles of rows as large as `largeBatchTileRows` allows and as even as the matrices
    /// allow, a whole number per thread.
    public static func multiplyLargeBatch(_ products: [(weight: WeightMatrix, y: UnsafeMutablePointer<Float>, yStride: Int)],
                                          _ x: UnsafePointer<Float>, xStride: Int, n: Int,
                                          accumulate: Bool = false, integer: Bool = false, pool: ComputePool = .shared) {
        guard n > 0, let cols = products.first?.weight.cols else { return }
        precondition(products.allSatisfy { $0.weight.cols == cols })
        var products = products
        if integer {
            // Matrices of other types (a Q6_K v among Q4_K q and k) go on to the float tiles.
            let fast = products.filter { $0.weight.hasIntegerProducts }
            if !fast.isEmpty { multiplyInteger(fast, x, xStride: xStride, n: n, accumulate: accumulate, pool: pool) }
            products.removeAll { $0.weight.hasIntegerProducts }
            if products.isEmpty { return }
        }
        let rows = products.reduce(0) { $0 + $1.weight.rows }, threads = pool.threads
        let cap = largeBatchTileRows(cols: cols), perThread = (rows + threads * cap - 1) / (threads * cap)
        let tileRows = (rows + threads * perThread - 1) / (threads * perThread)
        let tiles = products.indices.flatMap { p in
            evenSplit(products[p].weight.rows, parts: (products[p].weight.rows + tileRows - 1) / tileRows).map { (p, $0) }
        }
        pool.run(tiles.count) { item, thread in
            let (p, outputs) = tiles[item]
            let (weight, y, yStride) = products[p]
            let (w, ldw) = weight.floats(rows: outputs, columns: 0..<cols,
                                         scratch: pool.scratch(thread: thread, slot: 0, count: outputs.count * cols))
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(outputs.count), Int32(cols),
                        1, x, Int32(xStride), w, Int32(ldw), accumulate ? 1 : 0, y + outputs.lowerBound, Int32(yStride))
        }
    }

    /// W's `rows` × `columns` as row-major floats and their leading dimension: f32 data where it
    /// lies, other types dequantised into `scratch`. `columns` starts on a block boundary.
    func floats(rows: Range<Int>, columns: Range<Int>, scratch: UnsafeMutablePointer<Float>) -> (UnsafePointer<Float>, Int) {
        let offset = type.byteCount(values: columns.lowerBound)!
        if type == .f32 { return ((row(rows.lowerBound) + offset).assumingMemoryBound(to: Float.self), cols) }
        for r in rows { withFileRow(r) { Dequantize.row(type, $0 + offset, scratch + (r - rows.lowerBound) * columns.count, count: columns.count) } }
        return (UnsafePointer(scratch), columns.count)
    }

    /// 0..<count in `parts` consecutive ranges whose sizes differ by at most one.
    static func evenSplit(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, count))
        return (0..<parts).map { i in i * count / parts..<(i + 1) * count / parts }
    }
}
