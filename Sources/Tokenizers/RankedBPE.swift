/// GPT-2 style BPE merging of one word: repeatedly merge the adjacent pair whose merge rule
/// has the lowest rank (leftmost on ties) — llama.cpp's `llm_tokenizer_bpe_session` and
/// Hugging Face's BPE model. Symbols are token ids; a merge is looked up by the ids of the
/// pair, so a step costs a hash lookup and a heap operation: O(n log n) per word.
struct RankedBPE: Sendable {
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    private let merges: [UInt64: Merge]

    /// `rules` in rank order. A rule whose parts or result are not tokens can never apply to
    /// token-id symbols and is dropped; for a repeated pair the first rule wins (as llama.cpp).
    init(rules: [(left: Int, right: Int, result: Int)]) {
        var m = [UInt64: Merge](minimumCapacity: rules.count)
        for (rank, r) in rules.enumerated() {
            let key = Self.key(Int32(r.left), Int32(r.right))
            if m[key] == nil { m[key] = Merge(rank: Int32(rank), result: Int32(r.result)) }
        }
        merges = m
    }

    private static func key(_ l: Int32, _ r: Int32) -> UInt64 { UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r)) }

    /// Per-call buffers, reused across the words of one text.
    struct Scratch {
        /// In: the word's initial symbols (negative = not a token; never merges).
        /// Out: the final symbols, in order.
        var ids: [Int32] = []
        /// Out: for each final symbol, the index of its first initial symbol.
        var origins: [Int32] = []
        fileprivate var next: [Int32] = []
        fileprivate var prev: [Int32] = []
        fileprivate var queue = MinHeap<Candidate>()
    }

    fileprivate struct Candidate: Comparable {
        let order: UInt64 // rank << 32 | left: lowest rank first, then leftmost
        let right: Int32
        let leftID: Int32
        let rightID: Int32
        let result: Int32
        static func < (a: Self, b: Self) -> Bool { a.order < b.order }
        static func == (a: Self, b: Self) -> Bool { a.order == b.order }
    }

    func merge(_ s: inout Scratch) {
        let n = s.ids.count
        s.origins.removeAll(keepingCapacity: true)
        guard n > 1 else {
            if n == 1 { s.origins.append(0) }
            return
        }
        s.next.removeAll(keepingCapacity: true)
        s.prev.removeAll(keepingCapacity: true)
        for i in 0..<n {
            s.prev.append(Int32(i - 1))
            s.next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        s.queue.removeAll()
        for i in 1..<n { consider(Int32(i - 1), Int32(i), &s) }

        while let c = s.queue.pop() {
            let left = Int(truncatingIfNeeded: c.order & 0xFFFF_FFFF)
            let right = Int(c.right)
            // Stale if either side has merged since (its id changed or it is gone).
            guard s.next[left] == c.right, s.ids[left] == c.leftID, s.ids[right] == c.rightID else { continue }
            s.ids[left] = c.result
            s.ids[right] = -1
            let after = s.next[right]
            s.next[left] = after
            s.next[right] = -2 // dead
            if after >= 0 { s.prev[Int(after)] = Int32(left) }
            consider(s.prev[left], Int32(left), &s)
            consider(Int32(left), after, &s)
        }

        var out = 0
        var i: Int32 = 0
        while i >= 0 {
            s.ids[out] = s.ids[Int(i)]
            s.origins.append(i)
            out += 1
            i = s.next[Int(i)]
        }
        s.ids.removeLast(n - out)
    }

    private func consider(_ left: Int32, _ right: Int32, _ s: inout Scratch) {
        guard left >= 0, right >= 0 else { return }
        let l = s.ids[Int(left)], r = s.ids[Int(right)]
        guard l >= 0, r >= 0, let m = merges[Self.key(l, r)] else { return }
        s.queue.push(Candidate(order: UInt64(UInt32(m.rank)) << 32 | UInt64(UInt32(left)), right: right, leftID: l, rightID: r, result: m.result))
    }
}
