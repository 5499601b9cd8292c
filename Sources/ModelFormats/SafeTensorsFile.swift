import Foundation

/// A safetensors file (Hugging Face weights and PEFT adapters), memory-mapped.
/// Layout: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end]}, "__metadata__": {...}}`),
/// then the data section that the offsets index into.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct TensorInfo: Sendable {
        public let name: String
        /// The safetensors dtype name, e.g. "F32", "BF16", "I64".
        public let dtype: String
        /// Shape in safetensors (row-major, outermost first) order.
        public let shape: [Int]
        /// Offset from the start of the data section.
        public let offset: Int
        public let byteCount: Int
    }

    public let path: String
    /// Tensor names, sorted.
    public let names: [String]
    /// The header's free-form `__metadata__` strings.
    public let metadata: [String: String]
    private let file: MappedFile
    private let infos: [String: TensorInfo]
    private let dataOffset: Int

    public init(path: String) throws {
        file = try MappedFile(path: path)
        self.path = path
        var c = ByteCursor(path: path, base: file.base, count: file.count)
        let headerLength = try c.read(UInt64.self, "header length")
        guard headerLength <= UInt64(file.count - 8) else {
            throw ModelFormatError.truncated(path: path, detail: "header length \(headerLength) exceeds the \(file.count - 8) bytes after it")
        }
        dataOffset = 8 + Int(headerLength)
        let json = Data(bytes: file.base + 8, count: Int(headerLength))
        guard let header = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw ModelFormatError.malformed(path: path, detail: "header is not a JSON object")
        }

        var metadata = [String: String]()
        if let m = header["__metadata__"] {
            guard let strings = m as? [String: String] else {
                throw ModelFormatError.malformed(path: path, detail: "__metadata__ is not a map of strings")
            }
            metadata = strings
        }
        self.metadata = metadata

        let dataCount = file.count - dataOffset
        var infos = [String: TensorInfo]()
        for (name, value) in header where name != "__metadata__" {
            let info = try Self.parseEntry(name: name, value, path: path)
            guard info.offset + info.byteCount <= dataCount else {
                throw ModelFormatError.truncated(path: path, detail: "tensor '\(name)' ends at data byte \(info.offset + info.byteCount), data section has \(dataCount)")
            }
            infos[name] = info
        }
        // Zero-sized tensors occupy no bytes and cannot overlap anything.
        let byStart = infos.values.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where b.offset < a.offset + a.byteCount {
            throw ModelFormatError.malformed(path: path, detail: "tensors '\(a.name)' and '\(b.name)' overlap")
        }
        self.infos = infos
        names = infos.keys.sorted()
    }

    public func info(_ name: String) -> TensorInfo? { infos[name] }

    /// A view of an F32, F16 or BF16 tensor, with the shape reversed into ggml order
    /// (safetensors `[rows, cols]` becomes `[cols, rows]`; a scalar becomes `[1]`).
    public func tensor(_ name: String) throws -> TensorView {
        guard let t = infos[name] else { throw ModelFormatError.missingTensor(path: path, tensor: name) }
        let type: GGMLType
        switch t.dtype {
        case "F32": type = .f32
        case "F16": type = .f16
        case "BF16": type = .bf16
        default: throw ModelFormatError.unsupportedTensorType(path: path, tensor: name, type: t.dtype)
        }
        return TensorView(name: name, type: type, shape: t.shape.isEmpty ? [1] : t.shape.reversed(),
                          data: file.base + dataOffset + t.offset, byteCount: t.byteCount, owner: file)
    }

    /// Bits per element of every dtype the reference implementation accepts.
    static let dtypeBits: [String: Int] = [
        "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
        "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
        "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
        "I32": 32, "U32": 32, "F32": 32,
        "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    ]

    private static func parseEntry(name: String, _ value: Any, path: String) throws -> TensorInfo {
        func bad(_ detail: String) -> ModelFormatError { .malformed(path: path, detail: "tensor '\(name)' \(detail)") }
        guard let entry = value as? [String: Any] else { throw bad("is not a JSON object") }
        guard let dtype = entry["dtype"] as? String else { throw bad("has no dtype") }
        guard let bits = dtypeBits[dtype] else { throw bad("has unknown dtype '\(dtype)'") }
        guard let shape = entry["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else { throw bad("has no valid shape") }
        guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw bad("has no valid data_offsets")
        }
        var totalBits = bits
        for d in shape {
            let (p, overflow) = totalBits.multipliedReportingOverflow(by: d)
            guard !overflow else { throw bad("has an impossibly large shape \(shape)") }
            totalBits = p
        }
        guard totalBits % 8 == 0 else { throw bad("of dtype \(dtype) and shape \(shape) does not fill whole bytes") }
        let byteCount = offsets[1] - offsets[0]
        guard byteCount == totalBits / 8 else {
            throw bad("of dtype \(dtype) and shape \(shape) needs \(totalBits / 8) bytes, data_offsets \(offsets) span \(byteCount)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, offset: offsets[0], byteCount: byteCount)
    }
}
