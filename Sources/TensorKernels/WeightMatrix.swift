import CBLAS
import CKernels
import ModelFormats

/// A frozen 2-D weight of `rows` outputs × `cols` inputs, in any supported tensor type,
/// multiplied in place: quantised rows are dequantised into per-thread scratch as they
/// are used, never into a full float copy of the matrix.
public struct WeightMatrix: @unchecked Sendable {
    public let tensor: TensorView
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    /// Rows before this one are interleaved by eight (`interleaved()`); the others lie as in the file.
    public let grouped: Int

    public init(_ tensor: TensorView) {
        self.init(tensor, grouped: 0)
    }

    private init(_ tensor: TensorView, grouped: Int) {
        precondition(tensor.shape.count <= 2 && tensor.type.isSupported)
        self.tensor = tensor
        cols = tensor.cols
        rows = tensor.rows
        rowBytes = tensor.type.byteCount(values: cols)!
        self.grouped = grouped
    }

    public var type: GGMLType { tensor.type }

    /// This matrix with its rows interleaved by eight where the integer row products read them
    /// faster that way (Q4_0, Q4_1, and Q8_0 with AVX-512 VNNI: eight rows' scales in one load,
    /// their levels already transposed), in a buffer of its own of the same size; the pages of a
    /// mapped file it came from leave the process's memory. Itself where nothing is interleaved.
    public func interleaved() -> WeightMatrix {
        let grouped = lk_interleaved_rows(type.rawValue, rows, cols)
        guard grouped > 0, self.grouped == 0 else { return self }
        let buffer = AlignedBuffer(byteCount: tensor.byteCount)
        lk_interleave8(type.rawValue, tensor.data, rowBytes, rows, buffer.raw)
        (tensor.owner as? MappedFile)?.release(tensor.data, byteCount: tensor.byteCount)
        let view = TensorView(name: tensor.name, type: type, shape: tensor.shape, data: buffer.raw, byteCount: tensor.byteCount, owner: buffer)
        return WeightMatrix(view, grouped: grouped)
    }

    /// Row r in ggml's layout; r ≥ `grouped` (earlier rows: `fileRows`).
    public func row(_ r: Int) -> UnsafeRawPointer { tensor.data + r * rowBytes }

    /// Rows `range` in ggml's layout: where they lie, or copied out of their groups into `scratch`
    /// (range.count · rowBytes bytes).
    func fileRows(_ range: Range<Int>, scratch: UnsafeMutableRawPointer) -> UnsafeRawPointer {
        if range.lowerBound >= grouped { return row(range.lowerBound) }
        lk_deinterleave_rows(type.rawValue, tensor.data, rowBytes, grouped, range.lowerBound, range.upperBound, scratch)
        return UnsafeRawPointer(scratch)
    }

    /// body(row r in ggml's layout).
    func withFileRow<R>(_ r: Int, _ body: (UnsafeRawPointer) -> R) -> R {
        if r >= grouped { return body(row(r)) }
        return withUnsafeTemporaryAllocation(byteCount: rowBytes, alignment: 64) { body(fileRows(r..<r + 1, scratch: $0.baseAddress!)) }
    }

    public func dequantizeRow(_ r: Int, into y: UnsafeMutablePointer<Float>) {
        withFileRow(r) { Dequantize.row(type, $0, y, count: cols) }
    }

    /// Batches up to this size multiply row by row in a fused kernel that reads each quantised
    /// block once for up to four inputs (a row stays in L1 for the next four); larger batches
    /// dequantise tiles of rows and call sgemm, which wins from about 24 inputs (measured).
    public static let rowwiseBatchLimit = 16
    /// Floats in one dequantised tile of rows for sgemm (1 MB).
    static let tileFloats = 1 << 18

    /// y[t·yStride + o] (+)= Σ_c W[o, c] · x[t·xStride + c], for t < n and o < rows.
    public func multiply(_ x: UnsafePointer<Float>, xStride: Int, n: Int,
                         into y: UnsafeMutablePointer<Float>, yStride: Int,
                         accumulate: Bool = false, pool: ComputePool = .shared) {
        multiply(x, xStride: xStride, n: n, into: y, yStride: yStride, outputs: 0..<rows, accumulate: accumulate, pool: pool)
    }

    /// The same for a range of output rows (their results land at columns `outputs` of y).
    public func multiply(_ x: UnsafePointer<Float>, xStride: Int, n: Int,
                         into y: UnsafeMutablePointer<Float>, yStride: Int, outputs: Range<Int>,
                         accumulate: Bool = false, pool: ComputePool = .shared) {
        guard n > 0, !outputs.isEmpty else { return }
        if n <= Self.rowwiseBatchLimit {
            return Self.multiplyRows([(self, outputs, y, yStride)], x, xStride: xStride, n: n, quantized: nil, accumulate: accumulate, pool: pool)
        }
        // Large tiles: sgemm packs all of x again for every tile.
        let tile = max(8, min(Self.tileFloats / cols, outputs.count / (pool.threads * 2)))
        let items = (outputs.count + tile - 1) / tile
        pool.run(items) { item, thread in
            let lo = outputs.lowerBound + item * tile, hi = min(lo + tile, outputs.upperBound)
            let w: UnsafePointer<Float>
            if type == .f32 {
                w = row(lo).assumingMemoryBound(to: Float.self)
            } else {
                let scratch = pool.scratch(thread: thread, slot: 0, count: tile * cols)
                for o in lo..<hi { dequantizeRow(o, into: scratch + (o - lo) * cols) }
                w = UnsafePointer(scratch)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(hi - lo), Int32(cols),
                        1, x, Int32(xStride), w, Int32(cols), accumulate ? 1 : 0, y + lo, Int32(yStride))
        }
    }
}
