import CKernels

/// Large-batch products in 16-bit integers (CKernels' qgemm.c), on CPUs with AVX-512 VNNI:
/// Q4_0/Q4_1/Q8_0/Q4_K/Q5_K/Q6_K levels are used exactly and the float operand is rounded to 16
/// bits (15 for Q6_K in `multiplyTransposed`) per block of 32 values. Measured against dequantising into sgemm: 1.7-1.9× (forward) and
/// 1.2-1.5× (transposed) as fast. (With AVX2 alone the same integers ran at 1.1-1.2× and 0.9-1.05×
/// of OpenBLAS's AVX2 sgemm on Zen 4: not worth the rounding, so those CPUs stay in float.)
extension WeightMatrix {
    /// Whether products of this matrix with large batches run in 16-bit integers on this CPU.
    public var hasIntegerProducts: Bool { lk_qgemm_available(type.rawValue) != 0 }

    /// Weight rows per work item: whole panels of 32, a few items per thread so that a thread
    /// finishing early takes another, each large enough to stream the batch through once.
    static func integerRowItems(_ rows: Int, threads: Int) -> [Range<Int>] {
        let panels = (rows + 31) / 32
        return evenSplit(panels, parts: min(panels, 4 * threads)).map { $0.lowerBound * 32..<min(rows, $0.upperBound * 32) }
    }

    /// `multiplyLargeBatch` in integers: x is rounded once for all products, then every product's
    /// rows in items. Each input's results are the bits the row products (`QuantizedRows`) give it.
    static func multiplyInteger(_ products: [(weight: WeightMatrix, y: UnsafeMutablePointer<Float>, yStride: Int)],
                                _ x: UnsafePointer<Float>, xStride: Int, n: Int, accumulate: Bool, pool: ComputePool) {
        let cols = products[0].weight.cols, blocks = cols / 32
        let xq = UnsafeMutablePointer<Int16>.allocate(capacity: n * cols)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * blocks), sums = scales + n * blocks
        defer { xq.deallocate(); scales.deallocate() }
        let rowRanges = evenSplit(n, parts: pool.threads * 4)
        pool.run(rowRanges.count) { item, _ in
            let r = rowRanges[item]
            lk_qgemm_quantize(x + r.lowerBound * xStride, xStride, r.count, cols, LK_ROWS_LIMIT, xq + r.lowerBound * cols,
                              scales + r.lowerBound * blocks, sums + r.lowerBound * blocks)
        }
        let items = products.indices.flatMap { p in integerRowItems(products[p].weight.rows, threads: pool.threads).map { (p, $0) } }
        pool.run(items.count) { item, thread in
            let (p, rows) = items[item]
            let (weight, y, yStride) = products[p]
            let scratch = pool.alignedScratch(thread: thread, bytes: lk_qgemm_rows_scratch(rows.count, cols))
            lk_qgemm_rows(weight.type.rawValue, weight.tensor.data, weight.rowBytes, weight.grouped, rows.lowerBound, rows.upperBound, cols,
                          xq, scales, sums, n, y, yStride, accumulate ? 1 : 0, scratch)
        }
    }

    /// `multiplyTransposed` in integers: each thread owns a range of dx's block columns.
    func multiplyTransposedInteger(_ dy: UnsafePointer<Float>, dyStride: Int, n: Int, into dx: UnsafeMutablePointer<Float>,
                                   dxStride: Int, accumulate: Bool, pool: ComputePool) {
        let ranges = Self.evenSplit(cols / 32, parts: pool.threads)
        pool.run(ranges.count) { item, thread in
            let blocks = ranges[item]
            let scratch = pool.alignedScratch(thread: thread, bytes: lk_qgemm_columns_scratch(rows, blocks.count))
            lk_qgemm_columns(type.rawValue, tensor.data, rowBytes, grouped, rows, blocks.lowerBound, blocks.upperBound,
                             dy, dyStride, n, dx, dxStride, accumulate ? 1 : 0, scratch)
        }
    }
}

extension ComputePool {
    /// `bytes` of slot-0 scratch of `thread`, on a 64-byte boundary (AVX-512 loads).
    func alignedScratch(thread: Int, bytes: Int) -> UnsafeMutableRawPointer {
        let base = UnsafeMutableRawPointer(scratch(thread: thread, slot: 0, count: (bytes + 64) / 4 + 1))
        return base.alignedUp(toMultipleOf: 64)
    }
}
