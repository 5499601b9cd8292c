import Foundation
import Testing
import TestSupport
import ModelFormats

/// The repository root (the folder holding Package.swift), found from this file's path.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        url.deleteLastPathComponent()
    }
    return url.path
}()

func floats(_ t: TensorView) -> [Float] {
    switch t.type {
    case .f32: return Array(UnsafeBufferPointer(start: t.data.assumingMemoryBound(to: Float.self), count: t.elementCount))
    case .f16: return UnsafeBufferPointer(start: t.data.assumingMemoryBound(to: Float16.self), count: t.elementCount).map(Float.init)
    case .bf16: return UnsafeBufferPointer(start: t.data.assumingMemoryBound(to: UInt16.self), count: t.elementCount).map { Float(bitPattern: UInt32($0) << 16) }
    default: fatalError("no float conversion for \(t.type)")
    }
}

@Suite struct SafeTensorsFileTests {
    let dir = temporaryDirectory("safetensors-tests")

    /// Raw file: header length, `header` verbatim, then `data`.
    func write(header: String, data: [UInt8] = [], name: String = "t.safetensors") throws -> String {
        let h = Array(header.utf8)
        var bytes = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) }
        bytes += h + data
        let path = dir + "/" + name
        try AtomicFileWriter.write(bytes, to: path)
        return path
    }

    @Test func readsFileWrittenByPythonSafetensors() throws {
        let path = repoRoot + "/Tests/Fixtures/python-written.safetensors"
        let f = try SafeTensorsFile(path: path)
        #expect(f.names == ["bf16", "f16", "f32", "i64", "layers.0.cube"])
        #expect(f.metadata == ["format": "pt", "written_by": "safetensors-python"])

        let f32 = try f.tensor("f32")
        #expect(f32.type == .f32 && f32.shape == [3, 2] && f32.cols == 3 && f32.rows == 2 && f32.byteCount == 24)
        #expect(floats(f32).map(\.bitPattern) == ([1.0, -2.5, 0.125, 3.75, -0.0, 1e-3] as [Float]).map(\.bitPattern))

        let f16 = try f.tensor("f16")
        #expect(f16.type == .f16 && f16.shape == [2, 3])
        #expect(floats(f16).map(\.bitPattern) == ([0.5, -1.25, 65504, 0x1p-14, -0.0, 2] as [Float]).map(\.bitPattern))

        let bf16 = try f.tensor("bf16")
        #expect(bf16.type == .bf16 && bf16.shape == [2, 2])
        #expect(floats(bf16) == [1, -2, 0.15625, 0x1p127])

        let cube = try f.tensor("layers.0.cube")
        #expect(cube.shape == [4, 3, 2] && cube.cols == 4 && cube.rows == 6)
        #expect(floats(cube) == (0..<24).map(Float.init))

        #expect(f.info("i64")?.shape == [2] && f.info("i64")?.dtype == "I64")
        #expect(throws: ModelFormatError.unsupportedTensorType(path: path, tensor: "i64", type: "I64")) { try f.tensor("i64") }
        #expect(throws: ModelFormatError.missingTensor(path: path, tensor: "nope")) { try f.tensor("nope") }
    }

    /// A PEFT adapter as Hugging Face `peft` saves it (r=8, q_proj/v_proj of a 576-wide model, B initialised to 0).
    @Test func readsPeftAdapter() throws {
        let path = repoRoot + "/../shared/testdata/reference/train-qv-step0/adapter-init/adapter_model.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("shared test data missing: \(path)")
            return
        }
        let f = try SafeTensorsFile(path: path)
        #expect(f.names.count == 4 * 30) // 30 layers × {q,v} × {A,B}
        let a = try f.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        #expect(a.type == .f32 && a.shape == [576, 8])
        let aValues = floats(a)
        #expect(aValues.allSatisfy(\.isFinite) && aValues.contains { $0 != 0 })
        let b = try f.tensor("base_model.model.model.layers.29.self_attn.v_proj.lora_B.weight")
        #expect(b.shape == [8, 192])
        #expect(floats(b).allSatisfy { $0 == 0 })
    }

    @Test func acceptsScalarsAndEmptyTensors() throws {
        let path = try write(header: #"{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F16","shape":[0,3],"data_offsets":[4,4]}}"#,
                             data: withUnsafeBytes(of: Float(2.5)) { Array($0) })
        let f = try SafeTensorsFile(path: path)
        #expect(f.metadata.isEmpty)
        #expect(try f.tensor("s").shape == [1])
        #expect(try floats(f.tensor("s")) == [2.5])
        #expect(try f.tensor("e").shape == [3, 0] && f.tensor("e").byteCount == 0)
    }

    @Test func rejectsBadFiles() throws {
        let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let eight = [UInt8](repeating: 0, count: 8)
        _ = try SafeTensorsFile(path: write(header: good, data: eight))

        func expectError(_ header: String, data: [UInt8] = eight, _ matches: (ModelFormatError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let path = try write(header: header, data: data)
            do {
                _ = try SafeTensorsFile(path: path)
                Issue.record("accepted: \(header)", sourceLocation: sourceLocation)
            } catch let e as ModelFormatError {
                #expect(matches(e), "unexpected \(e)", sourceLocation: sourceLocation)
                #expect(e.description.hasPrefix(path + ": "), sourceLocation: sourceLocation)
            }
        }
        func isTruncated(_ e: ModelFormatError) -> Bool { if case .truncated = e { true } else { false } }
        func isMalformed(_ e: ModelFormatError, _ text: String) -> Bool {
            if case let .malformed(_, detail) = e { detail.contains(text) } else { false }
        }

        try expectError(good, data: [0, 0, 0], isTruncated)                                       // data cut short
        try expectError(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, isTruncated)  // offsets past the end
        try expectError("{\"a\":", data: [], { isMalformed($0, "not a JSON object") })            // bad JSON
        try expectError("[1,2]", data: [], { isMalformed($0, "not a JSON object") })
        try expectError(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, { isMalformed($0, "needs 12 bytes") })
        try expectError(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, { isMalformed($0, "data_offsets") })
        try expectError(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, { isMalformed($0, "shape") })
        try expectError(#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, { isMalformed($0, "unknown dtype 'Q4'") })
        try expectError(#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, { isMalformed($0, "whole bytes") })
        try expectError(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, { isMalformed($0, "impossibly large") })
        try expectError(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[2],"data_offsets":[2,6]}}"#,
                        { isMalformed($0, "overlap") })
        try expectError(#"{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, { isMalformed($0, "__metadata__") })

        // Header length larger than the file, and files too short to hold the length at all.
        var bytes = withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) } + Array(good.utf8)
        var path = dir + "/long.safetensors"
        try AtomicFileWriter.write(bytes, to: path)
        #expect(throws: ModelFormatError.truncated(path: path, detail: "header length 1099511627776 exceeds the \(good.utf8.count) bytes after it")) {
            try SafeTensorsFile(path: path)
        }
        bytes = [1, 0, 0]
        path = dir + "/short.safetensors"
        try AtomicFileWriter.write(bytes, to: path)
        #expect(throws: ModelFormatError.self) { try SafeTensorsFile(path: path) }
    }

    @Test func rejectsEveryTruncationOfARealFile() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: repoRoot + "/Tests/Fixtures/python-written.safetensors")))
        for cut in 1..<bytes.count {
            let path = dir + "/cut.safetensors"
            try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: path)) // no fsync: hundreds of files
            #expect(throws: ModelFormatError.self, "cut at \(cut)") { try SafeTensorsFile(path: path) }
        }
    }
}
