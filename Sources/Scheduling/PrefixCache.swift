import Llama

/// KV caches of finished sequences, kept so that a new request starting with the same
/// tokens (a shared system prompt, the earlier turns of a conversation) copies those
/// entries instead of recomputing them. Least recently used entries go first when the
/// byte budget is exceeded. Entries are keyed by `namespace` too (the adapter and version
/// they were computed under), so a prefix is never reused across different weights.
public final class PrefixCache {
    struct Entry {
        let namespace: String
        let cache: KVCache
        var lastUse: UInt64
    }

    public let budgetBytes: Int
    /// Shorter shared prefixes are recomputed: copying them saves too little.
    public let minimumReuse: Int
    private var entries: [Entry] = []
    private var clock: UInt64 = 0

    public init(budgetBytes: Int, minimumReuse: Int = 8) {
        self.budgetBytes = budgetBytes
        self.minimumReuse = minimumReuse
    }

    public var byteCount: Int { entries.reduce(0) { $0 + $1.cache.byteCount } }
    public var count: Int { entries.count }

    /// Keeps `cache` (which is no longer written to). Entries it extends are dropped.
    public func store(_ cache: KVCache, namespace: String) {
        guard cache.count >= minimumReuse, cache.byteCount <= budgetBytes else { return }
        entries.removeAll { $0.namespace == namespace && cache.commonPrefixLength(with: $0.cache.tokens) == $0.cache.count }
        clock += 1
        entries.append(Entry(namespace: namespace, cache: cache, lastUse: clock))
        var total = byteCount
        while total > budgetBytes, let oldest = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
            total -= entries[oldest].cache.byteCount
            entries.remove(at: oldest)
        }
    }

    /// A new cache holding the longest cached prefix of `prompt` (at most `prompt.count − 1`
    /// tokens, so that the last prompt token is computed and yields logits), or nil.
    public func lookup(_ prompt: [Int], namespace: String, maxTokens: Int) -> KVCache? {
        var best: (index: Int, length: Int)?
        for (i, e) in entries.enumerated() where e.namespace == namespace {
            let n = min(e.cache.commonPrefixLength(with: prompt), prompt.count - 1)
            if n >= minimumReuse, n > (best?.length ?? 0) { best = (i, n) }
        }
        guard let best else { return nil }
        clock += 1
        entries[best.index].lastUse = clock
        return entries[best.index].cache.copy(prefix: best.length, maxTokens: maxTokens)
    }
}
