import Foundation
import Testing
import TestSupport
@testable import ModelFormats

@Suite struct MappedFileTests {
    /// Pages given back (a tensor copied elsewhere) read the file's bytes again when touched, and
    /// the bytes around them, on pages partly outside the range, stay mapped as they were.
    @Test func releasedPagesReadTheFileAgain() throws {
        let path = temporaryDirectory() + "/pages.bin"
        var g = SplitMix(3)
        let bytes = (0..<5 * 4096 + 100).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try MappedFile(path: path)
        let all = UnsafeRawBufferPointer(start: file.base, count: file.count)
        #expect(Array(all) == bytes)
        file.release(file.base + 1000, byteCount: 3 * 4096 + 500)
        #expect(Array(all) == bytes)
        file.release(file.base, byteCount: file.count)
        #expect(Array(all) == bytes)
    }
}
