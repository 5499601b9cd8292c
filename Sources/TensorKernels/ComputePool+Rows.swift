extension ComputePool {
    /// Runs `body` for each of `rows` independent rows, in blocks spread over the threads.
    public func forEachRow(_ rows: Int, _ body: (Int) -> Void) {
        let perItem = max(1, rows / (threads * 4))
        run((rows + perItem - 1) / perItem) { item, _ in
            for r in item * perItem..<min(rows, (item + 1) * perItem) { body(r) }
        }
    }
}
