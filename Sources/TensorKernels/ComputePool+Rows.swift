extension ComputePool {
    /// Rows up to this count run their per-row ops (norms, RoPE, SwiGLU: microseconds each) on the
    /// calling thread, which is quicker than handing them to the pool.
    static let inlineRows = 8

    /// Runs `body` for each of `rows` independent rows, in blocks spread over the threads.
    public func forEachRow(_ rows: Int, _ body: (Int) -> Void) {
        guard rows > Self.inlineRows else {
            for r in 0..<rows { body(r) }
            return
        }
        let perItem = max(1, rows / (threads * 4))
        run((rows + perItem - 1) / perItem) { item, _ in
            for r in item * perItem..<min(rows, (item + 1) * perItem) { body(r) }
        }
    }
}
