import CBLAS
import TensorKernels

/// Causal grouped-query attention over sequences packed end to end as rows: each row attends
/// to the rows of its own sequence up to itself. Query head h reads key/value head h / group.
enum CausalAttention {
    /// Query rows per block: bounds the score scratch for long sequences.
    static let block = 64

    // q: (rows, heads·hd), k, v: (rows, kvHeads·hd), out: (rows, heads·hd)
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                        sequences: [Range<Int>], heads: Int, kvHeads: Int, headDim hd: Int, pool: ComputePool) {
        let d = heads * hd, kvd = kvHeads * hd, group = heads / kvHeads
        var items = [(sequence: Range<Int>, head: Int, first: Int)]()
        for s in sequences {
            for h in 0..<heads {
                for first in stride(from: 0, to: s.count, by: block) { items.append((s, h, first)) }
            }
        }
        pool.run(items.count) { item, thread in
            let (s, h, first) = items[item]
            let n = min(block, s.count - first), kvh = h / group, row = s.lowerBound + first
            let scores = pool.scratch(thread: thread, slot: 1, count: n * (first + n))
            Attention.causal(q: q + row * d + h * hd, qStride: d, n: n, start: first,
                             k: k + s.lowerBound * kvd + kvh * hd, v: v + s.lowerBound * kvd + kvh * hd, kvStride: kvd,
                             headDim: hd, scale: 1 / Float(hd).squareRoot(), out: out + row * d + h * hd, outStride: d, scores: scores)
        }
    }

    // dout: (rows, heads·hd) and the forward's q, k, v, out → dq: (rows, heads·hd), dk, dv: (rows, kvHeads·hd), overwritten.
    // The probabilities P are recomputed from q and k rather than stored. With S = scale·QKᵀ:
    // dV = Pᵀ·dO, dS = P ⊙ (dO·Vᵀ − rowsum(dO ⊙ O)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
    // One item per (sequence, key/value head) owns that head's dK and dV, so the heads of its
    // group add into them in a fixed order.
    static func backward(dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         out: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                         dv: UnsafeMutablePointer<Float>, sequences: [Range<Int>], heads: Int, kvHeads: Int, headDim hd: Int,
                         pool: ComputePool) {
        let d = heads * hd, kvd = kvHeads * hd, group = heads / kvHeads
        let scale = 1 / Float(hd).squareRoot()
        pool.run(sequences.count * kvHeads) { item, thread in
            let s = sequences[item / kvHeads], kvh = item % kvHeads
            let kh = k + s.lowerBound * kvd + kvh * hd, vh = v + s.lowerBound * kvd + kvh * hd
            let dkh = dk + s.lowerBound * kvd + kvh * hd, dvh = dv + s.lowerBound * kvd + kvh * hd
            for r in 0..<s.count {
                (dkh + r * kvd).update(repeating: 0, count: hd)
                (dvh + r * kvd).update(repeating: 0, count: hd)
            }
            let p = pool.scratch(thread: thread, slot: 1, count: block * s.count)
            let ds = pool.scratch(thread: thread, slot: 2, count: block * s.count)
            for h in kvh * group..<(kvh + 1) * group {
                for first in stride(from: 0, to: s.count, by: block) {
                    let n = min(block, s.count - first), keys = first + n
                    let offset = (s.lowerBound + first) * d + h * hd
                    let qb = q + offset, ob = out + offset, dob = dout + offset, dqb = dq + offset
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(keys), Int32(hd),
                                scale, qb, Int32(d), kh, Int32(kvd), 0, p, Int32(keys))
                    for i in 0..<n {
                        let len = first + i + 1
                        let row = p + i * keys, scale = Float(1 / Softmax.exponentiate(row, len).sum)
                        for j in 0..<len { row[j] *= scale }
                        (p + i * keys + len).update(repeating: 0, count: keys - len)
                    }
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(hd), Int32(n),
                                1, p, Int32(keys), dob, Int32(d), 1, dvh, Int32(kvd))
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(keys), Int32(hd),
                                1, dob, Int32(d), vh, Int32(kvd), 0, ds, Int32(keys))
                    for i in 0..<n {
                        let rowDot = VectorOps.dot(dob + i * d, ob + i * d, hd)
                        // P is zero past the causal limit, so dS is too.
                        for j in 0..<keys { ds[i * keys + j] = p[i * keys + j] * (ds[i * keys + j] - rowDot) }
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hd), Int32(keys),
                                scale, ds, Int32(keys), kh, Int32(kvd), 0, dqb, Int32(d))
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keys), Int32(hd), Int32(n),
                                scale, ds, Int32(keys), qb, Int32(d), 1, dkh, Int32(kvd))
                }
            }
        }
    }
}
