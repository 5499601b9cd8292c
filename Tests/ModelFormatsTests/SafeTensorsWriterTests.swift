import Foundation
import Testing
import TestSupport
import ModelFormats

@Suite struct SafeTensorsWriterTests {
    let dir = temporaryDirectory("safetensors-writer-tests")

    @Test func roundTripsAllFloatTypes() throws {
        var w = SafeTensorsWriter(metadata: ["format": "pt", "quote\"d": "a\\b\n/c"])
        w.addTensor(name: "layer.weight", shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        let halves: [Float16] = [0.5, -3, 1024]
        w.addTensor(name: "half", type: .f16, shape: [3], bytes: halves.withUnsafeBytes { Array($0) })
        let brains: [UInt16] = [0x3F80, 0xC040] // 1.0, -3.0
        w.addTensor(name: "Brain", type: .bf16, shape: [1, 2], bytes: brains.withUnsafeBytes { Array($0) })
        let path = dir + "/rt.safetensors"
        try w.write(to: path)

        let f = try SafeTensorsFile(path: path)
        #expect(f.names == ["Brain", "half", "layer.weight"])
        #expect(f.metadata == ["format": "pt", "quote\"d": "a\\b\n/c"])
        let t = try f.tensor("layer.weight")
        #expect(t.type == .f32 && t.shape == [3, 2] && f.info("layer.weight")?.shape == [2, 3])
        #expect(floats(t) == [1, 2, 3, 4, 5, 6])
        #expect(try f.tensor("half").type == .f16 && floats(f.tensor("half")) == [0.5, -3, 1024])
        #expect(try f.tensor("Brain").shape == [1, 2] && floats(f.tensor("Brain")) == [1, -3])
    }

    /// The exact bytes: sorted keys at every level, offsets in name order, space padding to 8.
    @Test func headerLayoutMatchesReferenceConventions() throws {
        var w = SafeTensorsWriter()
        w.addTensor(name: "b", shape: [1], floats: [2])
        w.addTensor(name: "a", shape: [2], floats: [0, 1])
        w.metadata["format"] = "pt"
        let bytes = w.serialized()
        let header = #"{"__metadata__":{"format":"pt"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},"b":{"data_offsets":[8,12],"dtype":"F32","shape":[1]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        #expect(bytes.count == 8 + padded.utf8.count + 12)
        #expect(Array(bytes[0..<8]) == withUnsafeBytes(of: UInt64(padded.utf8.count).littleEndian) { Array($0) })
        #expect(String(decoding: bytes[8..<(8 + padded.utf8.count)], as: UTF8.self) == padded)
        #expect(Array(bytes.suffix(12)) == [Float(0), 1, 2].withUnsafeBytes { Array($0) })
    }

    @Test func writesEmptyFileWithoutMetadata() throws {
        let bytes = SafeTensorsWriter().serialized()
        #expect(bytes == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let path = dir + "/empty.safetensors"
        try SafeTensorsWriter().write(to: path)
        #expect(try SafeTensorsFile(path: path).names.isEmpty)
    }
}
