/// SentencePiece BPE as llama.cpp's `llm_tokenizer_spm` runs it: the text's UTF-8 characters
/// are symbols; repeatedly merge the adjacent pair whose concatenation is the vocabulary
/// piece with the highest score (leftmost on ties); a final symbol that is not a piece
/// becomes byte tokens `<0xXX>`. The caller has already escaped spaces as "▁" and added the
/// space prefix.
struct SentencePieceBPE: Sendable {
    /// Pieces that text may produce: normal, user-defined and unused tokens. Control,
    /// unknown and byte tokens are left out, as SentencePiece does, so that "<s>" or
    /// "<0x41>" in user text stays plain text.
    let pieces: ByteStringTable
    let scores: [Float]
    /// Token for each byte value: `<0xXX>`, else the unknown token, else -1 (dropped).
    let byteTokens: [Int32]

    private struct Symbol {
        var start: Int32
        var length: Int32 // 0 once merged into its left neighbour
        var prev: Int32
        var next: Int32
        var id: Int32     // -1 while the symbol is not a piece
    }

    private struct Candidate: Comparable {
        let order: UInt64 // (descending score, ascending left) as one ascending key
        let right: Int32
        let size: Int32   // byte length when queued: stale if either side has grown
        let id: Int32
        static func < (a: Self, b: Self) -> Bool { a.order < b.order }
        static func == (a: Self, b: Self) -> Bool { a.order == b.order }
    }

    func encode(_ text: [UInt8], into out: inout [Int]) {
        guard !text.isEmpty else { return }
        text.withUnsafeBufferPointer { bytes in
            var symbols = [Symbol]()
            var offset = 0
            while offset < bytes.count {
                let n = min(UTF8.length(leadByte: bytes[offset]), bytes.count - offset)
                let id = pieces.value(UnsafeBufferPointer(rebasing: bytes[offset..<offset + n])) ?? -1
                let index = Int32(symbols.count)
                offset += n
                symbols.append(Symbol(start: Int32(offset - n), length: Int32(n), prev: index - 1,
                                      next: offset == bytes.count ? -1 : index + 1, id: Int32(id)))
            }

            var queue = MinHeap<Candidate>()
            func consider(_ left: Int32, _ right: Int32) {
                guard left >= 0, right >= 0 else { return }
                let l = symbols[Int(left)], r = symbols[Int(right)]
                let size = Int(l.length + r.length)
                let slice = UnsafeBufferPointer(rebasing: bytes[Int(l.start)..<Int(l.start) + size])
                guard let id = pieces.value(slice) else { return }
                let order = UInt64(~Self.sortable(scores[id])) << 32 | UInt64(UInt32(left))
                queue.push(Candidate(order: order, right: right, size: Int32(size), id: Int32(id)))
            }
            for i in 1..<Int32(symbols.count) { consider(i - 1, i) }

            while let c = queue.pop() {
                let left = Int(truncatingIfNeeded: c.order & 0xFFFF_FFFF), right = Int(c.right)
                guard symbols[left].length > 0, symbols[right].length > 0,
                      symbols[left].length + symbols[right].length == c.size else { continue }
                symbols[left].length = c.size
                symbols[left].id = c.id
                symbols[right].length = 0
                let after = symbols[right].next
                symbols[left].next = after
                if after >= 0 { symbols[Int(after)].prev = Int32(left) }
                consider(symbols[left].prev, Int32(left))
                consider(Int32(left), after)
            }

            var i = 0
            while i >= 0 {
                let s = symbols[i]
                if s.id >= 0 {
                    out.append(Int(s.id))
                } else {
                    for b in bytes[Int(s.start)..<Int(s.start + s.length)] where byteTokens[Int(b)] >= 0 {
                        out.append(Int(byteTokens[Int(b)]))
                    }
                }
                i = Int(s.next)
            }
        }
    }

    /// Maps a float to an unsigned key with the same order.
    private static func sortable(_ f: Float) -> UInt32 {
        let b = f.bitPattern
        return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
    }
}
