import TensorKernels

/// The llama-architecture transformer: RMSNorm, RoPE, grouped-query attention, SwiGLU.
/// One `forward` runs a batch of chunks — each a run of new tokens of one sequence, with
/// its KV cache — so prefill chunks and single-token decodes of many sequences share
/// every weight read.
public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    public let rope: RotaryEmbedding
    public let pool: ComputePool
    /// Whether the projections multiply the weights' integer levels by the inputs rounded to 16
    /// bits per block of 32 (`QuantizedRows` for a few rows, the 16-bit matrix products for prompts
    /// where the CPU has AVX-512 VNNI): faster, logits within about 0.01 of the float products'.
    /// With false, float32 products (the reference).
    public let integerProducts: Bool

    public init(config: LlamaConfig, weights: LlamaWeights, pool: ComputePool = .shared, integerProducts: Bool = false) {
        self.config = config
        self.weights = weights
        self.pool = pool
        self.integerProducts = integerProducts
        rope = RotaryEmbedding(dimensions: config.headDim, base: config.ropeTheta,
                               freqFactors: weights.ropeFreqFactors, linearScale: config.ropeLinearScale)
    }

    /// Which positions of a chunk produce logits.
    public enum LogitsRequest: Sendable { case none, last, all }

    public struct Chunk {
        public let cache: KVCache
        public let tokens: [Int]
        public let logits: LogitsRequest
        /// The low-rank adapter this sequence runs under; nil for the base model.
        public let adapter: LoRAAdapter?
        public init(cache: KVCache, tokens: [Int], logits: LogitsRequest = .last, adapter: LoRAAdapter? = nil) {
            self.cache = cache
            self.tokens = tokens
            self.logits = logits
            self.adapter = adapter
        }
    }

    /// A cache for one sequence of at most `maxTokens` tokens (the model's context by default).
    public func makeCache(maxTokens: Int? = nil) -> KVCache {
        KVCache(layerCount: config.layerCount, kvDim: config.kvDim, headCount: config.kvHeadCount, maxTokens: maxTokens ?? config.contextLength)
    }

    /// A cache for a sequence under `adapter`: it starts with the adapter's prefix, if it has one.
    public func makeCache(maxTokens: Int? = nil, adapter: LoRAAdapter?) throws -> KVCache {
        guard let prefix = adapter?.prefix else { return makeCache(maxTokens: maxTokens) }
        return try KVCache(layerCount: config.layerCount, kvDim: config.kvDim, headCount: config.kvHeadCount,
                           maxTokens: maxTokens ?? config.contextLength, prefix: prefix)
    }

    /// Query rows per attention block: bounds the score scratch for long prompts.
    static let attentionBlock = 128

    /// Runs the chunks' tokens through the model, appending their keys and values to each
    /// chunk's cache. Returns the requested logits, `vocabSize` floats per row, in chunk order.
    /// Each sequence may appear in at most one chunk per call.
    public func forward(_ chunks: [Chunk]) throws -> [Float] { try run(chunks, residualAfter: nil) }

    /// The residual stream after the first `layers` blocks at the rows the chunks request
    /// (`hiddenSize` floats per row, in chunk order): what sentence embeddings are read from.
    /// The caches receive keys and values of those blocks only, so they cannot continue a sequence.
    public func hiddenStates(_ chunks: [Chunk], afterLayers layers: Int) throws -> [Float] {
        precondition((1...config.layerCount).contains(layers), "no block \(layers)")
        return try run(chunks, residualAfter: layers)
    }

    /// Logits after every block, or the residual stream after the first `residualAfter`.
    private func run(_ chunks: [Chunk], residualAfter: Int?) throws -> [Float] {
        let cfg = config
        let d = cfg.hiddenSize, kvd = cfg.kvDim, hd = cfg.headDim, ff = cfg.intermediateSize
        let nh = cfg.headCount, group = cfg.headCount / cfg.kvHeadCount
        precondition(Set(chunks.map { ObjectIdentifier($0.cache) }).count == chunks.count, "a sequence appears twice in one batch")
        for c in chunks {
            for t in c.tokens where t < 0 || t >= cfg.vocabSize { throw LlamaError.tokenOutOfRange(token: t, vocabularySize: cfg.vocabSize) }
            if c.cache.rows + c.tokens.count > c.cache.maxTokens {
                throw LlamaError.contextOverflow(needed: c.cache.rows + c.tokens.count, limit: c.cache.maxTokens)
            }
        }
        for c in chunks { try c.cache.reserve(c.tokens.count) }

        var starts = [Int](), tokens = [Int](), positions = [Int]()
        for c in chunks {
            starts.append(tokens.count)
            tokens += c.tokens
            positions += (0..<c.tokens.count).map { c.cache.rows + $0 }
        }
        let rows = tokens.count
        guard rows > 0 else { return [] }
        // Rows by adapter, so each adapter's matrices are read once per projection.
        var adapterRows = [(adapter: LoRAAdapter, rows: [Int])]()
        for (ci, c) in chunks.enumerated() {
            guard let a = c.adapter else { continue }
            let range = starts[ci]..<starts[ci] + c.tokens.count
            if let g = adapterRows.firstIndex(where: { $0.adapter === a }) { adapterRows[g].rows += range } else { adapterRows.append((a, Array(range))) }
        }
        func adapt(_ l: Int, _ p: Projection, x: UnsafePointer<Float>, xStride: Int, y: UnsafeMutablePointer<Float>, yStride: Int) {
            guard !adapterRows.isEmpty else { return }
            pool.run(adapterRows.count) { g, _ in
                adapterRows[g].adapter.apply(layer: l, p, rows: adapterRows[g].rows, x: x, xStride: xStride, y: y, yStride: yStride, config: cfg)
            }
        }

        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: rows * (4 * d + 2 * kvd + 2 * ff + hd))
        defer { buffer.deallocate() }
        let x = buffer, xn = x + rows * d, q = xn + rows * d, att = q + rows * d
        let k = att + rows * d, v = k + rows * kvd, gate = v + rows * kvd, up = gate + rows * ff
        let rotations = up + rows * ff
        // In integers every batch takes products that give each row the same bits: the row products
        // up to rowwiseBatchLimit rows, the tiled ones beyond, or the row products for all where
        // there are no tiled ones (CPUs without AVX-512 VNNI).
        let everyBatchRowwise = integerProducts && WeightMatrix.rowProductsForEveryBatch
        let rowStorage = UnsafeMutableRawPointer.allocate(
            byteCount: integerProducts ? QuantizedRows.byteCount(n: everyBatchRowwise ? rows : min(rows, WeightMatrix.rowwiseBatchLimit), cols: max(d, ff)) : 0,
            alignment: 64)
        defer { rowStorage.deallocate() }
        /// The products of `input` (n rows of `cols`) with matrices that share it, in one parallel loop where n is small.
        func project(_ products: [WeightMatrix.Product], _ input: UnsafePointer<Float>, cols: Int, n: Int, accumulate: Bool = false) {
            if n <= WeightMatrix.rowwiseBatchLimit || (everyBatchRowwise && products.allSatisfy { $0.weight.hasQuantizedRowProducts }) {
                let quantized = integerProducts ? QuantizedRows(quantizing: input, xStride: cols, n: n, cols: cols, storage: rowStorage) : nil
                WeightMatrix.multiply(products, input, xStride: cols, n: n, quantized: quantized, accumulate: accumulate, pool: pool)
            } else if integerProducts {
                WeightMatrix.multiplyLargeBatch(products, input, xStride: cols, n: n, accumulate: accumulate, integer: true, pool: pool)
            } else {
                for (w, y, yStride) in products { w.multiply(input, xStride: cols, n: n, into: y, yStride: yStride, accumulate: accumulate, pool: pool) }
            }
        }

        pool.forEachRow(rows) { r in
            weights.tokenEmbedding.dequantizeRow(tokens[r], into: x + r * d)
            rope.rotation(position: positions[r], into: rotations + r * hd)
        }
        let scale = 1 / Float(hd).squareRoot()
        // Attention items: (chunk, query heads, first query row, rows). An item reads the keys and values
        // of each key/value head its query heads share once, so all heads of a key/value head go in one
        // item where that leaves enough items to keep every thread busy. Where it does not, a chunk of
        // one token (decode) splits its heads into one contiguous run per thread: each thread then reads
        // only its run's key/value heads (two of SmolLM2's three on two threads, where single heads
        // handed out in turn had both threads read all three), and a prompt takes single heads.
        // Either way a row's bits are the same (`Attention.causal`).
        let wholeGroups = chunks.count * cfg.kvHeadCount >= 2 * pool.threads
        var attentionItems = [(chunk: Int, heads: Range<Int>, first: Int, count: Int)]()
        for (ci, c) in chunks.enumerated() {
            let runs = wholeGroups ? cfg.kvHeadCount : c.tokens.count == 1 ? min(pool.threads, nh) : nh
            for i in 0..<runs {
                for first in stride(from: 0, to: c.tokens.count, by: Self.attentionBlock) {
                    attentionItems.append((ci, i * nh / runs..<(i + 1) * nh / runs, first, min(Self.attentionBlock, c.tokens.count - first)))
                }
            }
        }
        for (l, layer) in weights.layers.prefix(residualAfter ?? cfg.layerCount).enumerated() {
            pool.forEachRow(rows) { r in VectorOps.rmsNorm(x + r * d, layer.attentionNorm, xn + r * d, d, eps: cfg.rmsNormEps) }
            project([(layer.q, q, d), (layer.k, k, kvd), (layer.v, v, kvd)], xn, cols: d, n: rows)
            adapt(l, .q, x: xn, xStride: d, y: q, yStride: d)
            adapt(l, .k, x: xn, xStride: d, y: k, yStride: kvd)
            adapt(l, .v, x: xn, xStride: d, y: v, yStride: kvd)
            for (ci, c) in chunks.enumerated() {
                pool.forEachRow(c.tokens.count) { i in
                    let r = starts[ci] + i
                    rope.apply(q + r * d, heads: nh, headDim: hd, rotation: rotations + r * hd)
                    rope.apply(k + r * kvd, heads: cfg.kvHeadCount, headDim: hd, rotation: rotations + r * hd)
                    c.cache.store(layer: l, row: positions[r], key: k + r * kvd, value: v + r * kvd)
                }
            }
            pool.run(attentionItems.count) { item, thread in
                let (ci, heads, first, n) = attentionItems[item]
                let c = chunks[ci]
                let row = starts[ci] + first, start = c.cache.rows + first
                let scores = pool.scratch(thread: thread, slot: 1, count: Attention.scratchCount(heads: min(heads.count, group), n: n, start: start, headDim: hd))
                // The run's heads by the key/value head they share.
                for kvh in heads.lowerBound / group...(heads.upperBound - 1) / group {
                    let h = max(heads.lowerBound, kvh * group), count = min(heads.upperBound, (kvh + 1) * group) - h
                    Attention.causal(q: q + row * d + h * hd, qStride: d, heads: count, n: n, start: start,
                                     k: c.cache.keys(layer: l, head: kvh), v: c.cache.values(layer: l, head: kvh), kvStride: hd,
                                     headDim: hd, scale: scale, out: att + row * d + h * hd, outStride: d, scores: scores)
                }
            }
            project([(layer.o, x, d)], att, cols: d, n: rows, accumulate: true)
            adapt(l, .o, x: att, xStride: d, y: x, yStride: d)

            pool.forEachRow(rows) { r in VectorOps.rmsNorm(x + r * d, layer.ffnNorm, xn + r * d, d, eps: cfg.rmsNormEps) }
            project([(layer.gate, gate, ff), (layer.up, up, ff)], xn, cols: d, n: rows)
            adapt(l, .gate, x: xn, xStride: d, y: gate, yStride: ff)
            adapt(l, .up, x: xn, xStride: d, y: up, yStride: ff)
            pool.forEachRow(rows) { r in VectorOps.swiglu(gate + r * ff, up + r * ff, ff) }
            project([(layer.down, x, d)], gate, cols: ff, n: rows, accumulate: true)
            adapt(l, .down, x: gate, xStride: ff, y: x, yStride: d)
        }
        for (ci, c) in chunks.enumerated() { c.cache.commit(tokens[starts[ci]..<starts[ci] + c.tokens.count]) }

        var outputRows = [Int]()
        for (ci, c) in chunks.enumerated() {
            switch c.logits {
            case .none: break
            case .last: outputRows.append(starts[ci] + c.tokens.count - 1)
            case .all: outputRows += starts[ci]..<starts[ci] + c.tokens.count
            }
        }
        guard !outputRows.isEmpty else { return [] }
        if residualAfter != nil { return outputRows.flatMap { Array(UnsafeBufferPointer(start: x + $0 * d, count: d)) } }
        pool.forEachRow(outputRows.count) { i in
            VectorOps.rmsNorm(x + outputRows[i] * d, weights.outputNorm, xn + i * d, d, eps: cfg.rmsNormEps)
        }
        let vocab = cfg.vocabSize
        return [Float](unsafeUninitializedCapacity: outputRows.count * vocab) { out, count in
            project([(weights.output, out.baseAddress!, vocab)], xn, cols: d, n: outputRows.count)
            count = outputRows.count * vocab
        }
    }
}
