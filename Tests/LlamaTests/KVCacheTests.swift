import Testing
@testable import Llama

/// The per-head layout keeps every row where a token's key and value were stored, through
/// growth, copies and an adapter's prefix.
@Suite struct KVCacheTests {
    let layers = 2, heads = 3, headDim = 4
    var kvDim: Int { heads * headDim }

    /// A distinct value for (layer, row, column, key or value).
    func entry(_ l: Int, _ p: Int, _ c: Int, value: Bool) -> Float { Float(((l * 1000 + p) * 100 + c) * 2 + (value ? 1 : 0)) }

    func write(_ cache: KVCache, rows: Range<Int>) throws {
        try cache.reserve(rows.count)
        for l in 0..<layers {
            for p in rows {
                let k = (0..<kvDim).map { entry(l, p, $0, value: false) }, v = (0..<kvDim).map { entry(l, p, $0, value: true) }
                cache.store(layer: l, row: p, key: k, value: v)
            }
        }
        cache.commit(ArraySlice(rows.map { $0 - cache.virtualRows }))
    }

    func expectRows(_ cache: KVCache, _ rows: Int) {
        for l in 0..<layers {
            for h in 0..<heads {
                let k = cache.keys(layer: l, head: h), v = cache.values(layer: l, head: h)
                for p in 0..<rows {
                    for i in 0..<headDim {
                        #expect(k[p * headDim + i] == entry(l, p, h * headDim + i, value: false))
                        #expect(v[p * headDim + i] == entry(l, p, h * headDim + i, value: true))
                    }
                }
            }
        }
    }

    @Test func rowsSurviveGrowthAndCopies() throws {
        let cache = KVCache(layerCount: layers, kvDim: kvDim, headCount: heads, maxTokens: 1000)
        try write(cache, rows: 0..<5)
        expectRows(cache, 5)
        let capacity = cache.capacity
        try write(cache, rows: 5..<capacity + 7)
        #expect(cache.capacity > capacity)
        expectRows(cache, capacity + 7)
        let copy = cache.copy(prefix: 9)
        #expect(copy.rows == 9)
        expectRows(copy, 9)
    }

    @Test func aPrefixFillsTheFirstRows() throws {
        let config = LlamaConfig(vocabSize: 8, hiddenSize: 24, intermediateSize: 8, layerCount: layers, headCount: 6, kvHeadCount: heads)
        let count = 3
        let keys = (0..<layers).map { l in (0..<count * kvDim).map { entry(l, $0 / kvDim, $0 % kvDim, value: false) } }
        let values = (0..<layers).map { l in (0..<count * kvDim).map { entry(l, $0 / kvDim, $0 % kvDim, value: true) } }
        let cache = try KVCache(layerCount: layers, kvDim: kvDim, headCount: heads, maxTokens: 100,
                                prefix: KVPrefix(count: count, keys: keys, values: values, config: config))
        #expect(cache.rows == count && cache.count == 0)
        try write(cache, rows: count..<count + 4)
        expectRows(cache, count + 4)
    }
}
