/// A typed view of one tensor's bytes inside a mapped file (or an owned buffer).
/// `shape` is in ggml order: `shape[0]` is the contiguous (innermost) dimension, so a
/// weight matrix with `rows` outputs and `cols` inputs has shape `[cols, rows]`.
public struct TensorView: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    public let shape: [Int]
    public let data: UnsafeRawPointer
    public let byteCount: Int
    /// Keeps the memory that `data` points into alive.
    public let owner: AnyObject

    public init(name: String, type: GGMLType, shape: [Int], data: UnsafeRawPointer, byteCount: Int, owner: AnyObject) {
        self.name = name
        self.type = type
        self.shape = shape
        self.data = data
        self.byteCount = byteCount
        self.owner = owner
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// Size of the innermost dimension.
    public var cols: Int { shape.first ?? 1 }
    /// Product of all outer dimensions.
    public var rows: Int { shape.dropFirst().reduce(1, *) }
}

/// An owned, 64-byte aligned byte buffer, for tensors built in memory (permuted, converted).
public final class AlignedBuffer: @unchecked Sendable {
    public let raw: UnsafeMutableRawPointer
    public let count: Int

    public init(byteCount: Int) {
        count = byteCount
        raw = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
    }

    deinit { raw.deallocate() }

    public func floats(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: count)
    }
}
