/// Builds a safetensors file (e.g. a PEFT adapter) that the reference implementation reads.
/// Output is deterministic: JSON keys sorted at every level, tensor data in name order,
/// header padded with spaces to a multiple of 8 bytes as the reference writer does.
public struct SafeTensorsWriter {
    public var metadata: [String: String] = [:]
    private var tensors: [String: (dtype: String, shape: [Int], bytes: [UInt8])] = [:]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Adds a tensor whose bytes are already in `type`'s layout (.f32, .f16 or .bf16).
    /// `shape` is in ggml order; the file stores it reversed, as safetensors expects.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) {
        let dtype: String
        switch type {
        case .f32: dtype = "F32"
        case .f16: dtype = "F16"
        case .bf16: dtype = "BF16"
        default: fatalError("tensor \(name): safetensors writer supports F32, F16 and BF16, not \(type)")
        }
        precondition(name != "__metadata__" && tensors[name] == nil, "tensor \(name): duplicate or reserved name")
        precondition(type.byteCount(values: shape.reduce(1, *)) == bytes.count, "tensor \(name): byte count does not match shape")
        tensors[name] = (dtype, shape.reversed(), bytes)
    }

    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "tensor \(name): value count does not match shape")
        addTensor(name: name, type: .f32, shape: shape, bytes: floats.withUnsafeBytes { Array($0) })
    }

    public func serialized() -> [UInt8] {
        let names = tensors.keys.sorted(by: Self.byteOrder)
        var entries = [(key: String, json: String)]()
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append((name, "{\"data_offsets\":[\(offset),\(offset + t.bytes.count)],\"dtype\":\"\(t.dtype)\",\"shape\":[\(shape)]}"))
            offset += t.bytes.count
        }
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted(by: Self.byteOrder).map { Self.quoted($0) + ":" + Self.quoted(metadata[$0]!) }
            entries.append(("__metadata__", "{" + fields.joined(separator: ",") + "}"))
        }
        entries.sort { Self.byteOrder($0.key, $1.key) }
        var header = Array(("{" + entries.map { Self.quoted($0.key) + ":" + $0.json }.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out += header
        for name in names { out += tensors[name]!.bytes }
        return out
    }

    /// Writes the file atomically.
    public func write(to path: String) throws {
        try AtomicFileWriter.write(serialized(), to: path)
    }

    /// Code point order, as Python's `json.dumps(sort_keys=True)` sorts.
    private static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += "\\u00" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
