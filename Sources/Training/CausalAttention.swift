import CBLAS
import TensorKernels

/// Causal grouped-query attention over sequences packed end to end as rows: each row attends
/// to the rows of its own sequence up to itself. Query head h reads key/value head h / group.
enum CausalAttention {
    /// Query rows per block: bounds the scratch for long sequences, and the probabilities kept.
    static let block = 64

    /// Query blocks in the order both passes walk them, each with where its probabilities start
    /// (per sequence, per key/value head, per block of rows), and the probabilities' total.
    private static func blocks(_ sequences: [Range<Int>], kvHeads: Int, group: Int)
        -> (blocks: [(sequence: Range<Int>, kvHead: Int, first: Int, offset: Int)], total: Int) {
        var blocks = [(sequence: Range<Int>, kvHead: Int, first: Int, offset: Int)](), offset = 0
        for s in sequences {
            for kvh in 0..<kvHeads {
                for first in stride(from: 0, to: s.count, by: block) {
                    blocks.append((s, kvh, first, offset))
                    let n = min(block, s.count - first)
                    offset += group * n * (first + n)
                }
            }
        }
        return (blocks, offset)
    }

    /// Floats of probabilities the forward keeps for these sequences.
    static func probabilityCount(_ sequences: [Range<Int>], heads: Int) -> Int {
        blocks(sequences, kvHeads: 1, group: heads).total
    }

    /// The most `probabilityCount` can be for `rows` packed rows of sequences at most `maxLength`
    /// long. A row holds as many probabilities as its block has keys, and that grows with the
    /// sequence's length, so full-length sequences need the most per row.
    static func probabilityCapacity(rows: Int, maxLength: Int, heads: Int) -> Int {
        (rows * probabilityCount([0..<maxLength], heads: heads) + maxLength - 1) / maxLength
    }

    // q: (rows, heads·hd), k, v: (rows, kvHeads·hd), out: (rows, heads·hd); probabilities: where the
    // softmax of every block is kept for the backward (`probabilityCapacity` floats).
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                        probabilities: UnsafeMutablePointer<Float>, sequences: [Range<Int>], heads: Int, kvHeads: Int, headDim hd: Int,
                        pool: ComputePool) {
        let d = heads * hd, kvd = kvHeads * hd, group = heads / kvHeads
        let items = blocks(sequences, kvHeads: kvHeads, group: group).blocks
        pool.run(items.count) { item, thread in
            let (s, kvh, first, offset) = items[item]
            let n = min(block, s.count - first), row = s.lowerBound + first, h = kvh * group
            Attention.causalProducts(q: q + row * d + h * hd, qStride: d, heads: group, n: n, start: first,
                                     k: k + s.lowerBound * kvd + kvh * hd, v: v + s.lowerBound * kvd + kvh * hd, kvStride: kvd,
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
    static func backward(dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         out: UnsafePointer<Float>, probabilities: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                         dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, sequences: [Range<Int>], heads: Int,
                         kvHeads: Int, headDim hd: Int, pool: ComputePool) {
        let d = heads * hd, kvd = kvHeads * hd, group = heads / kvHeads, width = group * hd
        let scale = 1 / Float(hd).squareRoot()
        let items = blocks(sequences, kvHeads: kvHeads, group: group).blocks
        let firstBlocks = items.indices.filter { items[$0].first == 0 }
        pool.run(firstBlocks.count) { item, thread in
            let s = items[firstBlocks[item]].sequence, kvh = items[firstBlocks[item]].kvHead
            let kh = k + s.lowerBound * kvd + kvh * hd, vh = v + s.lowerBound * kvd + kvh * hd
            let dkh = dk + s.lowerBound * kvd + kvh * hd, dvh = dv + s.lowerBound * kvd + kvh * hd
            for r in 0..<s.count {
                (dkh + r * kvd).update(repeating: 0, count: hd)
                (dvh + r * kvd).update(repeating: 0, count: hd)
            }
            let stackedRows = block * group
            let ds = pool.scratch(thread: thread, slot: 1, count: stackedRows * s.count)
            let qs = pool.scratch(thread: thread, slot: 2, count: 3 * stackedRows * hd)
            let dos = qs + stackedRows * hd, dqs = dos + stackedRows * hd
            for b in items[firstBlocks[item]...].prefix(while: { $0.sequence == s && $0.kvHead == kvh }) {
                let first = b.first, n = min(block, s.count - first), keys = first + n, rows = n * group
                let p = probabilities + b.offset, offset = (s.lowerBound + first) * d + kvh * width
                for i in 0..<n {
                    (qs + i * width).update(from: q + offset + i * d, count: width)
                    (dos + i * width).update(from: dout + offset + i * d, count: width)
                }
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(hd), Int32(rows),
                            1, p, Int32(keys), dos, Int32(hd), 1, dvh, Int32(kvd))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(keys), Int32(hd),
                            1, dos, Int32(hd), vh, Int32(kvd), 0, ds, Int32(keys))
                for r in 0..<rows {
                    let rowDot = VectorOps.dot(dos + r * hd, out + offset + (r / group) * d + (r % group) * hd, hd)
                    // P is zero past the causal limit, so dS is too.
                    for j in 0..<keys { ds[r * keys + j] = p[r * keys + j] * (ds[r * keys + j] - rowDot) }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hd), Int32(keys),
                            scale, ds, Int32(keys), kh, Int32(kvd), 0, dqs, Int32(hd))
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(hd), Int32(rows),
                            scale, ds, Int32(keys), qs, Int32(hd), 1, dkh, Int32(kvd))
                for i in 0..<n { (dq + offset + i * d).update(from: dqs + i * width, count: width) }
            }
        }
    }
}
