import CKernels

/// Inputs rounded to 16-bit integers per block of 32 values (CKernels' lk_quantize_rows), for
/// `multiply`'s integer row products: levels, the same split in bytes (hi, lo), and per row and
/// block the step and the rounded sum.
public struct QuantizedRows {
    public let levels: UnsafeMutablePointer<Int16>
    public let bytes: UnsafeMutablePointer<UInt8>
    public let scales: UnsafeMutablePointer<Float>
    public let sums: UnsafeMutablePointer<Float>
    public let n: Int
    public let cols: Int

    /// Bytes of storage `quantizing` needs for n rows of `cols` values.
    public static func byteCount(n: Int, cols: Int) -> Int { n * cols * 4 + 2 * (n * cols / 32) * MemoryLayout<Float>.size }

    /// Rounds n rows of x (`cols` values each, a multiple of 32, xStride apart) into `storage`
    /// (`byteCount` bytes, 4-byte aligned).
    public init(quantizing x: UnsafePointer<Float>, xStride: Int, n: Int, cols: Int, storage: UnsafeMutableRawPointer) {
        precondition(cols % 32 == 0)
        let blocks = n * cols / 32
        scales = storage.bindMemory(to: Float.self, capacity: 2 * blocks)
        sums = scales + blocks
        levels = (storage + 2 * blocks * MemoryLayout<Float>.size).bindMemory(to: Int16.self, capacity: n * cols)
        bytes = UnsafeMutableRawPointer(levels + n * cols).bindMemory(to: UInt8.self, capacity: 2 * n * cols)
        (self.n, self.cols) = (n, cols)
        lk_quantize_rows(x, xStride, n, cols, levels, bytes, scales, sums)
    }
}

extension WeightMatrix {
    /// Whether `multiply` takes `QuantizedRows` for this matrix's type.
    public var hasQuantizedRowProducts: Bool { lk_rows_available(type.rawValue) != 0 }

    /// Whether integer products with batches past `rowwiseBatchLimit` should take the row products
    /// (`multiply` with `QuantizedRows`) too: on CPUs with SIMD row products but no tiled integer
    /// products (AVX2 without AVX-512 VNNI), so that an input's results do not depend on its batch.
    public static var rowProductsForEveryBatch: Bool { InstructionSet.current == .avx2 }

    /// One product of several that share an input: y[t·yStride + o] (+)= W[o, ·] · x_t.
    public typealias Product = (weight: WeightMatrix, y: UnsafeMutablePointer<Float>, yStride: Int)

    /// The products of matrices that share an input (a layer's q, k and v), all in one parallel
    /// loop: one wait for the threads instead of one per matrix. For `rowwiseBatchLimit` inputs or
    /// fewer (any number with `quantized` and matrices of `hasQuantizedRowProducts` types); with
    /// `quantized` (x rounded), the matrices of `hasQuantizedRowProducts` types multiply its integer
    /// levels, the others x.
    public static func multiply(_ products: [Product], _ x: UnsafePointer<Float>, xStride: Int, n: Int, quantized: QuantizedRows? = nil,
                                accumulate: Bool = false, pool: ComputePool = .shared) {
        multiplyRows(products.map { ($0.weight, 0..<$0.weight.rows, $0.y, $0.yStride) }, x, xStride: xStride, n: n, quantized: quantized,
                     accumulate: accumulate, pool: pool)
    }

    /// `multiply` over rows `outputs` of each matrix (their results land at columns `outputs` of y).
    static func multiplyRows(_ products: [(weight: WeightMatrix, outputs: Range<Int>, y: UnsafeMutablePointer<Float>, yStride: Int)],
                             _ x: UnsafePointer<Float>, xStride: Int, n: Int, quantized: QuantizedRows?, accumulate: Bool, pool: ComputePool) {
        guard n > 0, let cols = products.first?.weight.cols else { return }
        precondition(products.allSatisfy { $0.weight.cols == cols })
        precondition(n <= rowwiseBatchLimit || (quantized != nil && products.allSatisfy { $0.weight.hasQuantizedRowProducts }))
        precondition(quantized.map { $0.n == n && $0.cols == cols } ?? true)
        // Items of equal rows across the products, enough for balance and each large enough to amortise its claim.
        let total = products.reduce(0) { $0 + $1.outputs.count }
        // Whole passes of the row products' eight rows.
        let perItem = (max(8, total / (pool.threads * 8)) + 7) / 8 * 8
        var items = [(product: Int, rows: Range<Int>)]()
        for (p, product) in products.enumerated() {
            for lo in stride(from: product.outputs.lowerBound, to: product.outputs.upperBound, by: perItem) {
                items.append((p, lo..<min(lo + perItem, product.outputs.upperBound)))
            }
        }
        pool.run(items.count) { item, thread in
            let (p, rows) = items[item]
            let (w, _, y, yStride) = products[p]
            if let quantized, n > rowwiseBatchLimit, lk_qgemm_rows_available(w.type.rawValue) != 0 {
                // A prompt on AVX2: the tiled products, which give the row products' bits (qgemm.c).
                lk_qgemm_rows(w.type.rawValue, w.tensor.data, w.rowBytes, w.grouped, rows.lowerBound, rows.upperBound, cols,
                              quantized.levels, quantized.scales, quantized.sums, n, y, yStride, accumulate ? 1 : 0,
                              pool.alignedScratch(thread: thread, bytes: lk_qgemm_rows_scratch(rows.count, cols)))
            } else if let quantized, w.hasQuantizedRowProducts {
                lk_multiply_rows_quantized(w.type.rawValue, w.tensor.data, w.rowBytes, w.grouped, rows.lowerBound, rows.upperBound, cols,
                                           quantized.levels, quantized.bytes, quantized.scales, quantized.sums, n, y + rows.lowerBound, yStride,
                                           accumulate ? 1 : 0)
            } else {
                let rowScratch = w.grouped > rows.lowerBound ? pool.scratch(thread: thread, slot: 2, count: (rows.count * w.rowBytes + 3) / 4) : nil
                lk_multiply_rows(w.type.rawValue, rowScratch.map { w.fileRows(rows, scratch: $0) } ?? w.row(rows.lowerBound), w.rowBytes, rows.count, cols, x, xStride, n,
                                 y + rows.lowerBound, yStride, accumulate ? 1 : 0, pool.scratch(thread: thread, slot: 0, count: cols))
            }
        }
    }
}
