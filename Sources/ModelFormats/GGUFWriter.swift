/// Builds a GGUF v3 file: metadata in insertion order, then tensors, each aligned.
public struct GGUFWriter {
    public let alignment: Int
    private var metadata: [(String, GGUFValue)] = []
    private var tensors: [(name: String, type: GGMLType, shape: [Int], bytes: [UInt8])] = []

    public init(alignment: Int = 32) { self.alignment = alignment }

    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let i = metadata.firstIndex(where: { $0.0 == key }) { metadata[i].1 = value } else { metadata.append((key, value)) }
    }

    /// Adds a tensor whose bytes are already in `type`'s layout. `shape` is in ggml order.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) {
        precondition(type.byteCount(values: shape.reduce(1, *)) == bytes.count, "tensor \(name): byte count does not match shape")
        tensors.append((name, type, shape, bytes))
    }

    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count)
        addTensor(name: name, type: .f32, shape: shape, bytes: floats.withUnsafeBytes { Array($0) })
    }

    public func serialized() -> [UInt8] {
        var out = [UInt8]()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        func value(_ v: GGUFValue) {
            switch v {
            case let .uint8(x): out.append(x)
            case let .int8(x): out.append(UInt8(bitPattern: x))
            case let .uint16(x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case let .int16(x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case let .uint32(x): u32(x)
            case let .int32(x): u32(UInt32(bitPattern: x))
            case let .uint64(x): u64(x)
            case let .int64(x): u64(UInt64(bitPattern: x))
            case let .float32(x): u32(x.bitPattern)
            case let .float64(x): u64(x.bitPattern)
            case let .bool(x): out.append(x ? 1 : 0)
            case let .string(x): str(x)
            case let .array(t, xs):
                u32(t.rawValue); u64(UInt64(xs.count))
                for x in xs { value(x) }
            }
        }
        func pad() { while out.count % alignment != 0 { out.append(0) } }

        u32(GGUFFile.magic); u32(3)
        u64(UInt64(tensors.count))
        var meta = metadata
        if alignment != 32, !meta.contains(where: { $0.0 == "general.alignment" }) { meta.append(("general.alignment", .uint32(UInt32(alignment)))) }
        u64(UInt64(meta.count))
        for (k, v) in meta { str(k); u32(v.type.rawValue); value(v) }
        var offset = 0
        for t in tensors {
            str(t.name)
            u32(UInt32(t.shape.count))
            for d in t.shape { u64(UInt64(d)) }
            u32(t.type.rawValue)
            u64(UInt64(offset))
            offset += (t.bytes.count + alignment - 1) / alignment * alignment
        }
        pad()
        for t in tensors { out.append(contentsOf: t.bytes); pad() }
        return out
    }

    /// Writes the file atomically.
    public func write(to path: String) throws {
        try AtomicFileWriter.write(serialized(), to: path)
    }
}
