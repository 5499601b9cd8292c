#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorKernels

/// Top-k, top-p and min-p over the candidate buffer: which tokens stay in the running.
extension Sampler {
    struct Candidate: Equatable {
        var id: Int32
        var logit: Float
    }

    struct Bucket {
        var tokens: Int32 = 0
        var mass = 0.0
    }

    enum Quota {
        case tokens(Int)
        /// A share of the candidates' probability.
        case probability(Double)
    }

    /// Moves the best of `c[0..<count]` (highest logit, ties to the lower id) to the front and returns how many to
    /// keep: the shortest best-first run that holds `quota`. `weights` is scratch.
    ///
    /// Linear time, without sorting the vocabulary: tokens are counted into buckets of equal logit width, the run's
    /// end is found bucket by bucket, and only the bucket it ends in is sorted. Equal logits share a bucket, so ties
    /// at the cut are decided by that sort.
    static func keepBest(
        _ c: UnsafeMutableBufferPointer<Candidate>, count: Int, _ quota: Quota,
        weights: UnsafeMutableBufferPointer<Float>, buckets: UnsafeMutableBufferPointer<Bucket>
    ) -> Int {
        var hi = -Float.infinity, lo = Float.infinity
        for i in 0..<count {
            hi = max(hi, c[i].logit)
            if c[i].logit > -.infinity { lo = min(lo, c[i].logit) }
        }
        // hi maps to bucket 0 and lo to the last; -inf and NaN (the comparison fails) go to the last too.
        // Equal logits, or none finite, put every finite logit in bucket 0: one sort, still exact.
        let last = buckets.count - 1
        let scale = hi > lo ? Float(last) / (hi - lo) : 0
        @inline(__always) func bucket(_ logit: Float) -> Int {
            let x = (hi - logit) * scale
            return x < Float(last) ? Int(x) : last
        }

        buckets.update(repeating: Bucket())
        var target = 0.0
        switch quota {
        case .tokens:
            for i in 0..<count { buckets[bucket(c[i].logit)].tokens += 1 }
        case let .probability(share):
            for i in 0..<count { weights[i] = fastExp(c[i].logit - hi) }
            var total = 0.0
            for i in 0..<count {
                let b = bucket(c[i].logit)
                buckets[b].tokens += 1
                buckets[b].mass += Double(weights[i])
                total += Double(weights[i])
            }
            target = share * total
        }

        // The bucket where the run ends, and what the buckets before it hold.
        var tokensBefore = 0, massBefore = 0.0
        var boundary = -1
        for b in buckets.indices {
            let reached: Bool
            switch quota {
            case let .tokens(k): reached = tokensBefore + Int(buckets[b].tokens) >= k
            case .probability: reached = massBefore + buckets[b].mass >= target
            }
            if reached {
                boundary = b
                break
            }
            tokensBefore += Int(buckets[b].tokens)
            massBefore += buckets[b].mass
        }
        if boundary < 0 { return count }  // rounding left the target a hair out of reach: keep all

        var front = 0
        for i in 0..<count where bucket(c[i].logit) < boundary {
            c.swapAt(i, front)
            front += 1
        }
        var end = front
        for i in front..<count where bucket(c[i].logit) == boundary {
            c.swapAt(i, end)
            end += 1
        }
        sortBestFirst(UnsafeMutableBufferPointer(rebasing: c[front..<end]))
        switch quota {
        case let .tokens(k):
            return front + (k - tokensBefore)
        case .probability:
            var mass = massBefore
            for i in front..<end {
                mass += Double(fastExp(c[i].logit - hi))
                if mass >= target { return i + 1 }
            }
            return end
        }
    }

    /// min-p: keeps, in order, the candidates with probability at least `minP` times the best one's, that is
    /// logit >= max + log(minP). The best always stays; NaN stays too, so the set is never empty.
    static func keepLikely(_ c: UnsafeMutableBufferPointer<Candidate>, count: Int, minP: Float) -> Int {
        var maxLogit = c[0].logit
        for i in 1..<count { maxLogit = max(maxLogit, c[i].logit) }
        let threshold = maxLogit + log(minP)
        var kept = 0
        for i in 0..<count where !(c[i].logit < threshold) {
            c[kept] = c[i]
            kept += 1
        }
        return kept
    }
}

/// "a is a worse token than b": lower logit, or the same logit and a higher id.
@inline(__always) private func worse(_ a: Sampler.Candidate, _ b: Sampler.Candidate) -> Bool {
    a.logit < b.logit || (a.logit == b.logit && a.id > b.id)
}

/// Heapsort, best first, in place and without allocating (the standard library's sort may allocate).
private func sortBestFirst(_ c: UnsafeMutableBufferPointer<Sampler.Candidate>) {
    // A heap with the worst token at the root; moving the root to the back each time leaves the best first.
    func siftDown(_ i: Int, _ count: Int) {
        var parent = i
        while true {
            var child = 2 * parent + 1
            if child >= count { return }
            if child + 1 < count && worse(c[child + 1], c[child]) { child += 1 }
            if !worse(c[child], c[parent]) { return }
            c.swapAt(parent, child)
            parent = child
        }
    }
    for i in stride(from: c.count / 2 - 1, through: 0, by: -1) { siftDown(i, c.count) }
    for end in stride(from: c.count - 1, to: 0, by: -1) {
        c.swapAt(0, end)
        siftDown(0, end)
    }
}
