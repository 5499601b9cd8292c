/// A GGUF (v2/v3) file, memory-mapped. Metadata and tensor infos are parsed on open;
/// tensor data stays in the mapping and is handed out as `TensorView`s.
public final class GGUFFile: @unchecked Sendable {
    public static let magic: UInt32 = 0x4655_4747 // "GGUF" read little-endian

    public struct TensorInfo: Sendable {
        public let name: String
        public let type: GGMLType
        public let shape: [Int]
        /// Offset from the start of the data section.
        public let offset: Int
        public let byteCount: Int
    }

    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let tensors: [TensorInfo]
    public let alignment: Int
    public let dataOffset: Int
    private let file: MappedFile
    private let index: [String: Int]

    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        path = file.path
        var c = ByteCursor(path: path, base: file.base, count: file.count)
        let magic = try c.read(UInt32.self, "magic")
        guard magic == Self.magic else {
            let b = withUnsafeBytes(of: magic.littleEndian) { Array($0) }
            let shown = b.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            throw ModelFormatError.badMagic(path: path, found: "'\(shown)'")
        }
        version = try c.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw ModelFormatError.unsupportedVersion(path: path, version: version) }
        let tensorCount = try c.read(UInt64.self, "tensor count")
        let kvCount = try c.read(UInt64.self, "metadata count")
        // Each entry takes at least 8 bytes; a larger count can only come from a corrupt header.
        guard tensorCount < UInt64(file.count / 8), kvCount < UInt64(file.count / 8) else {
            throw ModelFormatError.malformed(path: path, detail: "implausible counts (\(tensorCount) tensors, \(kvCount) metadata entries)")
        }

        var metadata = [String: GGUFValue]()
        var keys = [String]()
        for i in 0..<Int(kvCount) {
            let key = try Self.readString(&c, "metadata key #\(i)")
            let rawType = try c.read(UInt32.self, "type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw ModelFormatError.malformed(path: path, detail: "metadata '\(key)' has unknown value type \(rawType)")
            }
            metadata[key] = try Self.readValue(&c, type: type, key: key)
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        alignment = metadata["general.alignment"]?.intValue ?? 32
        guard alignment > 0, alignment % 8 == 0 else {
            throw ModelFormatError.malformed(path: path, detail: "general.alignment \(alignment) is not a positive multiple of 8")
        }

        var infos = [TensorInfo]()
        var index = [String: Int]()
        for i in 0..<Int(tensorCount) {
            let name = try Self.readString(&c, "tensor name #\(i)")
            let nDims = try c.read(UInt32.self, "dimension count of '\(name)'")
            guard (1...4).contains(nDims) else {
                throw ModelFormatError.malformed(path: path, detail: "tensor '\(name)' has \(nDims) dimensions")
            }
            var shape = [Int]()
            for _ in 0..<nDims {
                let d = try c.read(UInt64.self, "shape of '\(name)'")
                guard d > 0, d < 1 << 40 else { throw ModelFormatError.malformed(path: path, detail: "tensor '\(name)' has dimension \(d)") }
                shape.append(Int(d))
            }
            let rawType = try c.read(UInt32.self, "type of '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw ModelFormatError.unknownTensorType(path: path, tensor: name, typeID: rawType)
            }
            let offset = try c.read(UInt64.self, "offset of '\(name)'")
            guard let bytes = type.byteCount(values: shape.reduce(1, *)), shape[0] % type.blockSize == 0 else {
                throw ModelFormatError.malformed(path: path, detail: "tensor '\(name)' of type \(type) has row length \(shape[0]), not a multiple of \(type.blockSize)")
            }
            guard offset % UInt64(alignment) == 0, offset < 1 << 50 else {
                throw ModelFormatError.malformed(path: path, detail: "tensor '\(name)' data offset \(offset) is not aligned to \(alignment)")
            }
            guard index[name] == nil else { throw ModelFormatError.malformed(path: path, detail: "duplicate tensor '\(name)'") }
            index[name] = infos.count
            infos.append(TensorInfo(name: name, type: type, shape: shape, offset: Int(offset), byteCount: bytes))
        }
        tensors = infos
        self.index = index

        dataOffset = (c.offset + alignment - 1) / alignment * alignment
        for t in infos where dataOffset + t.offset + t.byteCount > file.count {
            throw ModelFormatError.truncated(path: path, detail: "tensor '\(t.name)' needs bytes up to \(dataOffset + t.offset + t.byteCount), file has \(file.count)")
        }
    }

    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    public func tensor(_ name: String) throws -> TensorView {
        guard let t = info(name) else { throw ModelFormatError.missingTensor(path: path, tensor: name) }
        return TensorView(name: name, type: t.type, shape: t.shape, data: file.base + dataOffset + t.offset,
                          byteCount: t.byteCount, owner: file)
    }

    // MARK: typed metadata access (errors name the key)

    public func string(_ key: String) throws -> String {
        guard let v = metadata[key] else { throw ModelFormatError.missingMetadata(path: path, key: key) }
        guard let s = v.stringValue else { throw ModelFormatError.wrongMetadataType(path: path, key: key, expected: "a string") }
        return s
    }

    public func int(_ key: String) throws -> Int {
        guard let v = metadata[key] else { throw ModelFormatError.missingMetadata(path: path, key: key) }
        guard let i = v.intValue else { throw ModelFormatError.wrongMetadataType(path: path, key: key, expected: "an integer") }
        return i
    }

    public func double(_ key: String) throws -> Double {
        guard let v = metadata[key] else { throw ModelFormatError.missingMetadata(path: path, key: key) }
        guard let d = v.doubleValue else { throw ModelFormatError.wrongMetadataType(path: path, key: key, expected: "a number") }
        return d
    }

    // MARK: parsing

    private static func readString(_ c: inout ByteCursor, _ what: String) throws -> String {
        let n = try c.read(UInt64.self, "length of \(what)")
        guard n <= UInt64(c.count - c.offset) else {
            throw ModelFormatError.truncated(path: c.path, detail: "\(what) claims \(n) bytes at offset \(c.offset)")
        }
        let b = try c.bytes(Int(n), what)
        return String(decoding: b, as: UTF8.self)
    }

    private static func readValue(_ c: inout ByteCursor, type: GGUFValueType, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try c.read(UInt8.self, key))
        case .int8: return .int8(try c.read(Int8.self, key))
        case .uint16: return .uint16(try c.read(UInt16.self, key))
        case .int16: return .int16(try c.read(Int16.self, key))
        case .uint32: return .uint32(try c.read(UInt32.self, key))
        case .int32: return .int32(try c.read(Int32.self, key))
        case .uint64: return .uint64(try c.read(UInt64.self, key))
        case .int64: return .int64(try c.read(Int64.self, key))
        case .float32: return .float32(try c.readFloat(key))
        case .float64: return .float64(try c.readDouble(key))
        case .bool:
            let b = try c.read(UInt8.self, key)
            guard b <= 1 else { throw ModelFormatError.malformed(path: c.path, detail: "metadata '\(key)' has bool value \(b)") }
            return .bool(b == 1)
        case .string: return .string(try readString(&c, "value of '\(key)'"))
        case .array:
            guard depth < 4 else { throw ModelFormatError.malformed(path: c.path, detail: "metadata '\(key)' nests arrays too deeply") }
            let rawType = try c.read(UInt32.self, "element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw ModelFormatError.malformed(path: c.path, detail: "metadata '\(key)' has unknown element type \(rawType)")
            }
            let n = try c.read(UInt64.self, "length of '\(key)'")
            guard n <= UInt64(c.count - c.offset) else {
                throw ModelFormatError.truncated(path: c.path, detail: "array '\(key)' claims \(n) elements at offset \(c.offset)")
            }
            var values = [GGUFValue]()
            values.reserveCapacity(Int(n))
            for _ in 0..<Int(n) { values.append(try readValue(&c, type: elementType, key: key, depth: depth + 1)) }
            return .array(elementType, values)
        }
    }
}
