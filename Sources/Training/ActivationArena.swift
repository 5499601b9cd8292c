#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float buffers carved out of large anonymous mappings that ask the kernel for transparent huge
/// pages: a step's GEMMs stream through about a gigabyte of activations, and with 4 KB pages
/// the TLB misses cost a few percent of the step. Memory is returned when the arena goes.
final class ActivationArena {
    private static let chunkBytes = 64 << 20
    /// Buffers start on 4 KB boundaries, so that no two share a cache line or page.
    private static let alignment = 4096
    private var chunks: [(base: UnsafeMutableRawPointer, bytes: Int)] = []
    private var used = 0
    /// Bytes handed out so far.
    private(set) var byteCount = 0

    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = (count * MemoryLayout<Float>.size + Self.alignment - 1) / Self.alignment * Self.alignment
        if chunks.isEmpty || used + bytes > chunks.last!.bytes {
            let size = max(Self.chunkBytes, bytes)
            guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), base != MAP_FAILED else {
                fatalError("cannot map \(size) bytes of activation memory")
            }
            #if os(Linux)
            madvise(base, size, MADV_HUGEPAGE)
            #endif
            chunks.append((base, size))
            used = 0
        }
        byteCount += count * MemoryLayout<Float>.size
        defer { used += bytes }
        return (chunks.last!.base + used).bindMemory(to: Float.self, capacity: count)
    }

    deinit { for c in chunks { munmap(c.base, c.bytes) } }
}
