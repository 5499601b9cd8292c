import CBLAS
import TensorKernels

/// Causal grouped-query attention over sequences packed end to end as rows: each row attends
/// to its sequence's context rows (a prefix several sequences share, packed once), then to the
/// rows of its own sequence up to itself. Query head h reads key/value head h / group.
enum CausalAttention {
    /// One packed sequence: its rows, and the rows before them that it attends to first (empty
    /// unless it shares a prefix, which is then a sequence of its own, `PackedBatch`).
    struct Span: Equatable {
        var rows: Range<Int>
        var context: Range<Int>

        init(_ rows: Range<Int>, context: Range<Int> = 0..<0) {
            self.rows = rows
            self.context = context
        }

        /// Keys the query rows first..<first + n attend to at most.
        func keys(first: Int, n: Int) -> Int { context.count + first + n }
    }

    /// Query rows per block: bounds the scratch for long sequences, and the probabilities kept.
    static let block = 64

    /// Query blocks in the order both passes walk them, each with where its probabilities start
    /// (per sequence, per key/value head, per block of rows), and the probabilities' total.
    private static func blocks(_ sequences: [Span], kvHeads: Int, group: Int)
        -> (blocks: [(sequence: Span, kvHead: Int, first: Int, offset: Int)], total: Int) {
        var blocks = [(sequence: Span, kvHead: Int, first: Int, offset: Int)](), offset = 0
        for s in sequences {
            for kvh in 0..<kvHeads {
                for first in stride(from: 0, to: s.rows.count, by: block) {
                    blocks.append((s, kvh, first, offset))
                    let n = min(block, s.rows.count - first)
                    offset += group * n * s.keys(first: first, n: n)
                }
            }
        }
        return (blocks, offset)
    }

    /// Floats of probabilities the forward keeps for these sequences.
    static func probabilityCount(_ sequences: [Span], heads: Int) -> Int {
        blocks(sequences, kvHeads: 1, group: heads).total
    }

    /// The most `probabilityCount` can be for `rows` packed rows of sequences at most `maxLength`
    /// long and without context. A row holds as many probabilities as its block has keys, and
    /// that grows with the sequence's length, so full-length sequences need the most per row.
    static func probabilityCapacity(rows: Int, maxLength: Int, heads: Int) -> Int {
        (rows * probabilityCount([Span(0..<maxLength)], heads: heads) + maxLength - 1) / maxLength
    }

    /// Key/value head `kvh`'s keys and values of `s`'s context and then of its first `count`
    /// rows, gathered from (rows, kvd) into `into` as two (rows, hd) blocks; returns them.
    private static func gather(_ s: Span, count: Int, kvHead kvh: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               kvd: Int, hd: Int, into: UnsafeMutablePointer<Float>) -> (k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) {
        let vs = into + (s.context.count + count) * hd
        func copy(row r: Int, to i: Int) {
            (into + i * hd).update(from: k + r * kvd + kvh * hd, count: hd)
            (vs + i * hd).update(from: v + r * kvd + kvh * hd, count: hd)
        }
        for (i, r) in s.context.enumerated() { copy(row: r, to: i) }
        for (i, r) in s.rows.prefix(count).enumerated() { copy(row: r, to: s.context.count + i) }
        return (into, vs)
    }

    // q: (rows, heads·hd), k, v: (rows, kvHeads·hd), out: (rows, heads·hd); probabilities: where the
    // softmax of every block is kept for the backward (`probabilityCapacity` floats).
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                        probabilities: UnsafeMutablePointer<Float>, sequences: [Span], heads: Int, kvHeads: Int, headDim hd: Int,
                        pool: ComputePool) {
        let d = heads * hd, kvd = kvHeads * hd, group = heads / kvHeads
        let items = blocks(sequences, kvHeads: kvHeads, group: group).blocks
        pool.run(items.count) { item, thread in
            let (s, kvh, first, offset) = items[item]
            let n = min(block, s.rows.count - first), row = s.rows.lowerBound + first, h = kvh * group
            var (kh, vh, stride) = (k + s.rows.lowerBound * kvd + kvh * hd, v + s.rows.lowerBound * kvd + kvh * hd, kvd)
            if !s.context.isEmpty {
                let keys = s.keys(first: first, n: n)
                let gathered = gather(s, count: first + n, kvHead: kvh, k: k, v: v, kvd: kvd, hd: hd,
                                      into: pool.scratch(thread: thread, slot: 2, count: 2 * keys * hd))
                (kh, vh, stride) = (UnsafePointer(gathered.k), UnsafePointer(gathered.v), hd)
            }
            Attention.causalProducts(q: q + row * d + h * hd, qStride: d, heads: group, n: n, start: s.context.count + first,
                                     k: kh, v: vh, kvStride: stride,
                                     headDim: hd, scale: 1 / Float(hd).squareRoot(), out: out + row * d + h * hd, outStride: d,
                                     probabilities: probabilities + offset,
                                     stack: pool.scratch(thread: thread, slot: 1, count: 2 * group * n * hd))
        }
    }

    // dout: (rows, heads·hd), the forward's q, k, v, out and probabilities → dq: (rows, heads·hd),
    // dk, dv: (rows, kvHeads·hd), overwritten. With P the probabilities:
    // dV = Pᵀ·dO, dS = P ⊙ (dO·Vᵀ − rowsum(dO ⊙ O)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
    // One item per (sequence, key/value head) owns that head's dK and dV. As in the forward, the
    // heads of its group are stacked (row i·group + h) so that each product is one sgemm.
    // A sequence with context works on its gathered keys and values; its share of the context's
    // dK and dV is added to the context's own (its sequence's item) after all items, in order.
    static func backward(dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         out: UnsafePointer<Float>, probabilities: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                         dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, sequences: [Span], heads: Int,
                         kvHeads: Int, headDim hd: Int, pool: ComputePool) {
        let d = heads * hd, kvd = kvHeads * hd, group = heads / kvHeads, width = group * hd
        let scale = 1 / Float(hd).squareRoot()
        let items = blocks(sequences, kvHeads: kvHeads, group: group).blocks
        let firstBlocks = items.indices.filter { items[$0].first == 0 }
        // Each item with context: where its share of the context's dK and then dV goes.
        var contextOffsets = [Int](), contextFloats = 0
        for i in firstBlocks {
            contextOffsets.append(contextFloats)
            contextFloats += 2 * items[i].sequence.context.count * hd
        }
        var contextGradients = [Float](repeating: 0, count: contextFloats)
        contextGradients.withUnsafeMutableBufferPointer { shares in
            pool.run(firstBlocks.count) { item, thread in
                let s = items[firstBlocks[item]].sequence, kvh = items[firstBlocks[item]].kvHead, context = s.context.count
                let keyRows = context + s.rows.count
                var kh = k + s.rows.lowerBound * kvd + kvh * hd, vh = v + s.rows.lowerBound * kvd + kvh * hd
                var dkh = dk + s.rows.lowerBound * kvd + kvh * hd, dvh = dv + s.rows.lowerBound * kvd + kvh * hd, stride = kvd
                if context > 0 {
                    let room = pool.scratch(thread: thread, slot: 3, count: 4 * keyRows * hd)
                    let gathered = gather(s, count: s.rows.count, kvHead: kvh, k: k, v: v, kvd: kvd, hd: hd, into: room)
                    (kh, vh, stride) = (UnsafePointer(gathered.k), UnsafePointer(gathered.v), hd)
                    (dkh, dvh) = (room + 2 * keyRows * hd, room + 3 * keyRows * hd)
                }
                for r in 0..<keyRows {
                    (dkh + r * stride).update(repeating: 0, count: hd)
                    (dvh + r * stride).update(repeating: 0, count: hd)
                }
                let stackedRows = block * group
                let ds = pool.scratch(thread: thread, slot: 1, count: stackedRows * keyRows)
                let qs = pool.scratch(thread: thread, slot: 2, count: 3 * stackedRows * hd)
                let dos = qs + stackedRows * hd, dqs = dos + stackedRows * hd
                for b in items[firstBlocks[item]...].prefix(while: { $0.sequence == s && $0.kvHead == kvh }) {
                    let first = b.first, n = min(block, s.rows.count - first), keys = s.keys(first: first, n: n), rows = n * group
                    let p = probabilities + b.offset, offset = (s.rows.lowerBound + first) * d + kvh * width
                    for i in 0..<n {
                        (qs + i * width).update(from: q + offset + i * d, count: width)
                        (dos + i * width).update(from: dout + offset + i * d, count: width)
                    }
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(hd), Int32(rows),
                                1, p, Int32(keys), dos, Int32(hd), 1, dvh, Int32(stride))
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(keys), Int32(hd),
                                1, dos, Int32(hd), vh, Int32(stride), 0, ds, Int32(keys))
                    for r in 0..<rows {
                        let rowDot = VectorOps.dot(dos + r * hd, out + offset + (r / group) * d + (r % group) * hd, hd)
                        // P is zero past the causal limit, so dS is too.
                        for j in 0..<keys { ds[r * keys + j] = p[r * keys + j] * (ds[r * keys + j] - rowDot) }
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hd), Int32(keys),
                                scale, ds, Int32(keys), kh, Int32(stride), 0, dqs, Int32(hd))
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(hd), Int32(rows),
                                scale, ds, Int32(keys), qs, Int32(hd), 1, dkh, Int32(stride))
                    for i in 0..<n { (dq + offset + i * d).update(from: dqs + i * width, count: width) }
                }
                guard context > 0 else { return }
                let share = shares.baseAddress! + contextOffsets[item]
                share.update(from: dkh, count: context * hd)
                (share + context * hd).update(from: dvh, count: context * hd)
                for r in 0..<s.rows.count {
                    (dk + (s.rows.lowerBound + r) * kvd + kvh * hd).update(from: dkh + (context + r) * hd, count: hd)
                    (dv + (s.rows.lowerBound + r) * kvd + kvh * hd).update(from: dvh + (context + r) * hd, count: hd)
                }
            }
        }
        contextGradients.withUnsafeBufferPointer { shares in
            for (item, i) in firstBlocks.enumerated() {
                let s = items[i].sequence, kvh = items[i].kvHead, share = shares.baseAddress! + contextOffsets[item]
                for (j, r) in s.context.enumerated() {
                    VectorOps.add(share + j * hd, dk + r * kvd + kvh * hd, hd)
                    VectorOps.add(share + (s.context.count + j) * hd, dv + r * kvd + kvh * hd, hd)
                }
            }
        }
    }
}
