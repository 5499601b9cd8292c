#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. Weights are read straight from the mapping,
/// so a model costs page cache, not private memory.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer
    public let count: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelFormatError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelFormatError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw ModelFormatError.cannotOpen(path: path, reason: "is a directory") }
        count = Int(st.st_size)
        guard count > 0 else { throw ModelFormatError.truncated(path: path, detail: "file is empty") }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ModelFormatError.cannotOpen(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(p)
    }

    /// Drops this process's copy of the whole pages inside `byteCount` bytes at `pointer` (a
    /// tensor copied elsewhere): they leave its resident memory and are read from the file again
    /// if anything touches them later.
    public func release(_ pointer: UnsafeRawPointer, byteCount: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE))), at = Int(bitPattern: pointer)
        precondition(at >= Int(bitPattern: base) && at + byteCount <= Int(bitPattern: base) + count)
        let start = (at + page - 1) / page * page, end = (at + byteCount) / page * page
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, Int32(MADV_DONTNEED)) }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }
}

/// Bounds-checked little-endian reader over a byte range; every overrun becomes `truncated`.
struct ByteCursor {
    let path: String
    let base: UnsafeRawPointer
    let count: Int
    var offset = 0

    mutating func bytes(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= count - offset else {
            throw ModelFormatError.truncated(path: path, detail: "reading \(what()) at offset \(offset), \(n) bytes past the end")
        }
        defer { offset += n }
        return UnsafeRawBufferPointer(start: base + offset, count: n)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let b = try bytes(MemoryLayout<T>.size, what())
        return T(littleEndian: b.loadUnaligned(as: T.self))
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float { Float(bitPattern: try read(UInt32.self, what())) }
    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double { Double(bitPattern: try read(UInt64.self, what())) }
}
