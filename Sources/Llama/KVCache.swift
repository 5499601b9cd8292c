/// Keys and values of one sequence, for every layer: row p of layer l's buffers holds the
/// (RoPE-rotated) key and the value of the token at position p, `kvDim` floats each.
/// A prompt- or prefix-tuned sequence starts with `virtualRows` rows of its adapter's
/// `KVPrefix`, and its tokens follow at positions virtualRows...
/// Storage grows in steps as the sequence grows, up to `maxTokens` rows.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    public let kvDim: Int
    public let maxTokens: Int
    /// The tokens whose keys and values are stored, in order (used to reuse a shared prefix).
    public private(set) var tokens: [Int] = []
    public private(set) var capacity = 0
    /// Rows in front of the tokens that hold an adapter's prefix.
    public private(set) var virtualRows = 0
    private var keys: [UnsafeMutablePointer<Float>] = []
    private var values: [UnsafeMutablePointer<Float>] = []
    static let growthStep = 256

    public init(layerCount: Int, kvDim: Int, maxTokens: Int) {
        self.layerCount = layerCount
        self.kvDim = kvDim
        self.maxTokens = maxTokens
    }

    deinit { release() }

    /// A cache that starts with `prefix`'s rows.
    public convenience init(layerCount: Int, kvDim: Int, maxTokens: Int, prefix: KVPrefix) throws {
        self.init(layerCount: layerCount, kvDim: kvDim, maxTokens: maxTokens)
        try reserve(prefix.count)
        for l in 0..<layerCount {
            keys[l].update(from: prefix.keys[l], count: prefix.count * kvDim)
            values[l].update(from: prefix.values[l], count: prefix.count * kvDim)
        }
        virtualRows = prefix.count
    }

    /// Tokens stored (the virtual rows aside).
    public var count: Int { tokens.count }
    /// Rows stored: the virtual rows and the tokens; the next token's position.
    public var rows: Int { virtualRows + tokens.count }
    /// Bytes of storage held (keys and values, all layers).
    public var byteCount: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<Float>.size }

    public func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys[layer] }
    public func values(layer: Int) -> UnsafeMutablePointer<Float> { values[layer] }

    /// Makes room for `n` more tokens.
    public func reserve(_ n: Int) throws {
        let needed = rows + n
        guard needed <= maxTokens else { throw LlamaError.contextOverflow(needed: needed, limit: maxTokens) }
        guard needed > capacity else { return }
        let newCapacity = min(maxTokens, max(needed, capacity + max(Self.growthStep, capacity / 2)))
        func grow(_ old: UnsafeMutablePointer<Float>?) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * kvDim)
            if let old {
                p.update(from: old, count: rows * kvDim)
                old.deallocate()
            }
            return p
        }
        keys = (0..<layerCount).map { grow(capacity > 0 ? keys[$0] : nil) }
        values = (0..<layerCount).map { grow(capacity > 0 ? values[$0] : nil) }
        capacity = newCapacity
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
        let c = KVCache(layerCount: layerCount, kvDim: kvDim, maxTokens: maxTokens ?? self.maxTokens)
        try! c.reserve(rows)
        for l in 0..<layerCount {
            c.keys[l].update(from: keys[l], count: rows * kvDim)
            c.values[l].update(from: values[l], count: rows * kvDim)
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
