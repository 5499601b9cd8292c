import Foundation

/// A passage's sentence vectors (`LoadedModel.sentenceEmbeddings`): its text's first, then one
/// per synthesised question. Stored in `knowledge.json` as one base64 string of little-endian
/// float16 values per vector: half the bytes of float32, each value kept to 11 significant bits.
public struct SentenceVectors: Sendable, Hashable, Codable {
    public var rows: [[Float]]

    public init(_ rows: [[Float]]) { self.rows = rows }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        rows = try container.decode([String].self).map { text in
            guard let data = Data(base64Encoded: text), data.count % 2 == 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a vector is not base64 float16")
            }
            return data.withUnsafeBytes { raw in
                (0..<data.count / 2).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rows.map { row in
            var data = Data(capacity: 2 * row.count)
            // Clamped to float16's range: a model's few very large states stay large, not infinite.
            for v in row { withUnsafeBytes(of: Float16(min(max(v, -65504), 65504)).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data.base64EncodedString()
        })
    }
}

/// Which of the model's states the vectors of an index are: the block they are read after and
/// their length. A question is embedded the same way, or the index is ranked by its words alone.
public struct EmbeddingSpace: Sendable, Hashable, Codable {
    public var layer: Int
    public var dimensions: Int

    public init(layer: Int, dimensions: Int) {
        self.layer = layer
        self.dimensions = dimensions
    }
}
