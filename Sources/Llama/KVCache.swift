/// Keys and values of one sequence, for every layer, laid out per key/value head: head h's rows
/// of layer l are `capacity` rows of `headDim` floats, row p holding the (RoPE-rotated) key or the
/// value of the token at position p. Attention then streams one head's keys and values contiguously.
/// A prompt- or prefix-tuned sequence starts with `virtualRows` rows of its adapter's
/// `KVPrefix`, and its tokens follow at positions virtualRows...
/// Storage grows in steps as the sequence grows, up to `maxTokens` rows.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    public let kvDim: Int
    public let headCount: Int
    public let headDim: Int
    public let maxTokens: Int
    /// The tokens whose keys and values are stored, in order (used to reuse a shared prefix).
    public private(set) var tokens: [Int] = []
    public private(set) var capacity = 0
    /// Rows in front of the tokens that hold an adapter's prefix.
    public private(set) var virtualRows = 0
    private var keys: [UnsafeMutablePointer<Float>] = []
    private var values: [UnsafeMutablePointer<Float>] = []
    static let growthStep = 256

    public init(layerCount: Int, kvDim: Int, headCount: Int, maxTokens: Int) {
        precondition(headCount > 0 && kvDim % headCount == 0)
        self.layerCount = layerCount
        self.kvDim = kvDim
        self.headCount = headCount
        headDim = kvDim / headCount
        self.maxTokens = maxTokens
    }

    deinit { release() }

    /// A cache that starts with `prefix`'s rows.
    public convenience init(layerCount: Int, kvDim: Int, headCount: Int, maxTokens: Int, prefix: KVPrefix) throws {
        self.init(layerCount: layerCount, kvDim: kvDim, headCount: headCount, maxTokens: maxTokens)
        try reserve(prefix.count)
        for l in 0..<layerCount {
            prefix.keys[l].withUnsafeBufferPointer { k in
                prefix.values[l].withUnsafeBufferPointer { v in
                    for p in 0..<prefix.count { store(layer: l, row: p, key: k.baseAddress! + p * kvDim, value: v.baseAddress! + p * kvDim) }
                }
            }
        }
        virtualRows = prefix.count
    }

    /// Tokens stored (the virtual rows aside).
    public var count: Int { tokens.count }
    /// Rows stored: the virtual rows and the tokens; the next token's position.
    public var rows: Int { virtualRows + tokens.count }
    /// Bytes of storage held (keys and values, all layers).
    public var byteCount: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<Float>.size }

    /// Key/value head `head`'s rows of `layer`: row p at p · headDim (valid until the cache grows).
    public func keys(layer: Int, head: Int) -> UnsafeMutablePointer<Float> { keys[layer] + head * capacity * headDim }
    public func values(layer: Int, head: Int) -> UnsafeMutablePointer<Float> { values[layer] + head * capacity * headDim }

    /// Writes row `row` of `layer` from one token's key and value (kvDim floats each, heads side by side).
    public func store(layer: Int, row: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        precondition(row < capacity)
        for h in 0..<headCount {
            (keys(layer: layer, head: h) + row * headDim).update(from: key + h * headDim, count: headDim)
            (values(layer: layer, head: h) + row * headDim).update(from: value + h * headDim, count: headDim)
        }
    }

    /// Makes room for `n` more tokens.
    public func reserve(_ n: Int) throws {
        let needed = rows + n
        guard needed <= maxTokens else { throw LlamaError.contextOverflow(needed: needed, limit: maxTokens) }
        guard needed > capacity else { return }
        let newCapacity = min(maxTokens, max(needed, capacity + max(Self.growthStep, capacity / 2)))
        let (oldKeys, oldValues, oldCapacity) = (keys, values, capacity)
        keys = (0..<layerCount).map { _ in .allocate(capacity: newCapacity * kvDim) }
        values = (0..<layerCount).map { _ in .allocate(capacity: newCapacity * kvDim) }
        capacity = newCapacity
        for l in 0..<oldKeys.count {
            for h in 0..<headCount {
                keys(layer: l, head: h).update(from: oldKeys[l] + h * oldCapacity * headDim, count: rows * headDim)
                values(layer: l, head: h).update(from: oldValues[l] + h * oldCapacity * headDim, count: rows * headDim)
            }
            oldKeys[l].deallocate()
            oldValues[l].deallocate()
        }
    }

    /// Records that the keys and values of `newTokens` have been written after the current ones.
    func commit(_ newTokens: ArraySlice<Int>) {
        precondition(rows + newTokens.count <= capacity)
        tokens.append(contentsOf: newTokens)
    }

    /// Forgets everything after the first `n` tokens (the prefix stays valid).
    public func truncate(to n: Int) {
        precondition(n <= count)
        tokens.removeLast(count - n)
    }

    /// The number of leading tokens shared with `other`.
    public func commonPrefixLength(with other: [Int]) -> Int {
        var n = 0
        while n < min(count, other.count), tokens[n] == other[n] { n += 1 }
        return n
    }

    /// An independent copy of the virtual rows and the first `n` tokens' entries (e.g. to fork a
    /// prompt into `n` completions).
    public func copy(prefix n: Int? = nil, maxTokens: Int? = nil) -> KVCache {
        let n = n ?? count, rows = virtualRows + n
        let c = KVCache(layerCount: layerCount, kvDim: kvDim, headCount: headCount, maxTokens: maxTokens ?? self.maxTokens)
        try! c.reserve(rows)
        for l in 0..<layerCount {
            for h in 0..<headCount {
                c.keys(layer: l, head: h).update(from: keys(layer: l, head: h), count: rows * headDim)
                c.values(layer: l, head: h).update(from: values(layer: l, head: h), count: rows * headDim)
            }
        }
        c.virtualRows = virtualRows
        c.tokens = Array(tokens[..<n])
        return c
    }

    private func release() {
        for p in keys { p.deallocate() }
        for p in values { p.deallocate() }
        keys = []
        values = []
        capacity = 0
    }
}
