#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old file or the whole new one:
/// bytes go to a temporary name in the same folder, are fsynced, then renamed over the target.
public final class AtomicFileWriter {
    public let path: String
    private let tempPath: String
    private let fd: Int32
    private var committed = false

    public init(path: String, mode: mode_t = 0o644) throws {
        self.path = path
        tempPath = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw ModelFormatError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ModelFormatError.cannotOpen(path: path, reason: "write: " + String(cString: strerror(errno)))
            }
            done += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes to disk and moves the file into place (and fsyncs the folder, so the rename survives a crash).
    public func commit() throws {
        precondition(!committed, "commit() called twice")
        committed = true
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            unlink(tempPath)
            throw ModelFormatError.cannotOpen(path: path, reason: "fsync: " + String(cString: strerror(errno)))
        }
        guard rename(tempPath, path) == 0 else {
            unlink(tempPath)
            throw ModelFormatError.cannotOpen(path: path, reason: "rename: " + String(cString: strerror(errno)))
        }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// An uncommitted writer leaves nothing behind.
    deinit {
        if !committed {
            close(fd)
            unlink(tempPath)
        }
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let w = try AtomicFileWriter(path: path)
        try w.write(bytes)
        try w.commit()
    }
}
