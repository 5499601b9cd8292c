/// Keys and values that a prompt- or prefix-tuned adapter puts in front of every sequence's
/// KV cache, as the cache holds them (keys rotated and in GGUF row order): a prompt that is
/// always cached, so it costs no prefill.
public struct KVPrefix: Sendable {
    /// Rows: the adapter's virtual tokens, at positions 0..<count.
    public let count: Int
    /// Per layer, count × kvDim.
    public let keys: [[Float]]
    public let values: [[Float]]

    public init(count: Int, keys: [[Float]], values: [[Float]], config: LlamaConfig) throws(LlamaError) {
        guard count > 0, keys.count == config.layerCount, values.count == config.layerCount,
              (keys + values).allSatisfy({ $0.count == count * config.kvDim }) else {
            throw .invalidAdapter("a prefix of \(count) rows needs \(config.layerCount) layers of \(count)×\(config.kvDim) keys and values")
        }
        guard (keys + values).allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw .invalidAdapter("the prefix holds NaN or infinite values") }
        self.count = count
        self.keys = keys
        self.values = values
    }

    public var byteCount: Int { 2 * keys.reduce(0) { $0 + $1.count } * MemoryLayout<Float>.size }
}
