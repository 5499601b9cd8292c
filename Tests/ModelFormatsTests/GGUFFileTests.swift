import Foundation
import Testing
import TestSupport
@testable import ModelFormats

@Suite struct GGUFFileTests {
    let dir = temporaryDirectory("gguf-tests")

    func sample() -> GGUFWriter {
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("llama.block_count", .uint32(2))
        w.set("llama.rope.freq_base", .float32(10000))
        w.set("flag", .bool(true))
        w.set("tokens", .array(.string, [.string("a"), .string("é"), .string("<s>")]))
        w.set("scores", .array(.float32, [.float32(-1), .float32(0.5), .float32(2)]))
        w.set("nested", .array(.array, [.array(.int8, [.int8(-3)])]))
        w.addTensor(name: "w", shape: [4, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])
        w.addTensor(name: "q", type: .q8_0, shape: [32], bytes: [UInt8](repeating: 1, count: 34))
        return w
    }

    @Test func roundTripsMetadataAndTensors() throws {
        let path = dir + "/a.gguf"
        try sample().write(to: path)
        let f = try GGUFFile(path: path)
        #expect(f.version == 3)
        #expect(try f.string("general.architecture") == "llama")
        #expect(try f.int("llama.block_count") == 2)
        #expect(try f.double("llama.rope.freq_base") == 10000)
        #expect(f.metadata["flag"]?.boolValue == true)
        #expect(f.metadata["tokens"]?.stringArray == ["a", "é", "<s>"])
        #expect(f.metadata["scores"]?.floatArray == [-1, 0.5, 2])
        #expect(f.metadata["nested"] == .array(.array, [.array(.int8, [.int8(-3)])]))
        #expect(f.metadataKeys.first == "general.architecture")
        let w = try f.tensor("w")
        #expect(w.shape == [4, 2] && w.cols == 4 && w.rows == 2 && w.type == .f32)
        #expect(Array(UnsafeBufferPointer(start: w.data.assumingMemoryBound(to: Float.self), count: 8)) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Int(bitPattern: w.data) % 32 == 0)
        let q = try f.tensor("q")
        #expect(q.type == .q8_0 && q.byteCount == 34)
    }

    @Test func rejectsBadMagic() throws {
        let path = dir + "/bad.gguf"
        try AtomicFileWriter.write(Array("GGML0000000000000000000000".utf8), to: path)
        #expect(throws: ModelFormatError.badMagic(path: path, found: "'GGML'")) { try GGUFFile(path: path) }
    }

    @Test func rejectsEveryTruncation() throws {
        let bytes = sample().serialized()
        // Cut at many points: header, metadata, tensor infos and data. Each must be a clean error.
        // The last 30 bytes are alignment padding after the 34-byte Q8_0 tensor: not needed.
        for cut in stride(from: 1, to: bytes.count - 30, by: 3) {
            let path = dir + "/cut.gguf"
            try AtomicFileWriter.write(Array(bytes[..<cut]), to: path)
            do {
                _ = try GGUFFile(path: path)
                Issue.record("file cut at \(cut) of \(bytes.count) bytes was accepted")
            } catch let e as ModelFormatError {
                switch e {
                case .truncated, .malformed: break
                default: Issue.record("cut at \(cut): unexpected \(e)")
                }
            }
        }
    }

    @Test func rejectsUnknownTensorTypeAndVersion() throws {
        var bytes = sample().serialized()
        // The last tensor info's type field sits 12 bytes before the end of the info block:
        // find "q" tensor info by scanning for its name.
        let name: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "q")]
        let at = (0..<bytes.count - name.count).first { Array(bytes[$0..<$0 + name.count]) == name }!
        let typeAt = at + name.count + 4 + 8
        bytes[typeAt] = 99
        let path = dir + "/type.gguf"
        try AtomicFileWriter.write(bytes, to: path)
        #expect(throws: ModelFormatError.unknownTensorType(path: path, tensor: "q", typeID: 99)) { try GGUFFile(path: path) }

        var v = sample().serialized()
        v[4] = 7
        try AtomicFileWriter.write(v, to: path)
        #expect(throws: ModelFormatError.unsupportedVersion(path: path, version: 7)) { try GGUFFile(path: path) }
    }

    @Test func missingTensorAndMetadataNameTheKey() throws {
        let path = dir + "/a.gguf"
        try sample().write(to: path)
        let f = try GGUFFile(path: path)
        #expect(throws: ModelFormatError.missingTensor(path: path, tensor: "nope")) { try f.tensor("nope") }
        #expect(throws: ModelFormatError.missingMetadata(path: path, key: "nope")) { try f.int("nope") }
        #expect(throws: ModelFormatError.wrongMetadataType(path: path, key: "tokens", expected: "an integer")) { try f.int("tokens") }
    }

    @Test func missingFileAndDirectory() {
        #expect(throws: ModelFormatError.self) { try GGUFFile(path: dir + "/none.gguf") }
        #expect(throws: ModelFormatError.self) { try GGUFFile(path: dir) }
    }

    @Test func sha256MatchesKnownVector() throws {
        #expect(FileDigest.sha256(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
