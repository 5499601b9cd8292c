import Foundation
import Testing
import TestSupport
import ModelFormats

@Suite struct SafeTensorsFolderTests {
    let dir = temporaryDirectory("safetensors-folder-tests")

    func writeIndex(_ weightMap: [String: String], in folder: String) throws {
        let json = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 40], "weight_map": weightMap])
        try json.write(to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
    }

    @Test func readsShardedFolder() throws {
        var s1 = SafeTensorsWriter(), s2 = SafeTensorsWriter()
        s1.addTensor(name: "model.embed_tokens.weight", shape: [2, 2], floats: [1, 2, 3, 4])
        s1.addTensor(name: "model.layers.0.mlp.up_proj.weight", shape: [2, 1], floats: [5, 6])
        s2.addTensor(name: "lm_head.weight", shape: [2, 2], floats: [7, 8, 9, 10])
        try s1.write(to: dir + "/model-00001-of-00002.safetensors")
        try s2.write(to: dir + "/model-00002-of-00002.safetensors")
        try writeIndex(["model.embed_tokens.weight": "model-00001-of-00002.safetensors",
                        "model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
                        "lm_head.weight": "model-00002-of-00002.safetensors"], in: dir)

        let m = try SafeTensorsFolder(folder: dir)
        #expect(m.names == ["lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight"])
        #expect(m.files.map(\.path) == [dir + "/model-00001-of-00002.safetensors", dir + "/model-00002-of-00002.safetensors"])
        #expect(try floats(m.tensor("lm_head.weight")) == [7, 8, 9, 10])
        #expect(try m.tensor("model.layers.0.mlp.up_proj.weight").shape == [2, 1])
        #expect(m.file(of: "lm_head.weight")?.info("lm_head.weight")?.dtype == "F32")
        #expect(throws: ModelFormatError.missingTensor(path: dir, tensor: "nope")) { try m.tensor("nope") }
    }

    @Test func rejectsIndexNamingAbsentTensorOrShard() throws {
        var s = SafeTensorsWriter()
        s.addTensor(name: "a", shape: [1], floats: [1])
        try s.write(to: dir + "/model-00001-of-00001.safetensors")
        try writeIndex(["a": "model-00001-of-00001.safetensors", "b": "model-00001-of-00001.safetensors"], in: dir)
        #expect(throws: ModelFormatError.missingTensor(path: dir + "/model-00001-of-00001.safetensors", tensor: "b")) {
            try SafeTensorsFolder(folder: dir)
        }
        try writeIndex(["a": "model-00009-of-00009.safetensors"], in: dir)
        #expect(throws: ModelFormatError.self) { try SafeTensorsFolder(folder: dir) }
        try writeIndex(["a": "../model-00001-of-00001.safetensors"], in: dir)
        #expect(throws: ModelFormatError.malformed(path: dir + "/model.safetensors.index.json",
                                                   detail: "weight_map names '../model-00001-of-00001.safetensors', which is not a file in the folder")) {
            try SafeTensorsFolder(folder: dir)
        }
        try Data("{\"weight_map\": 3}".utf8).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        #expect(throws: ModelFormatError.malformed(path: dir + "/model.safetensors.index.json", detail: "weight_map is missing or not a map of strings")) {
            try SafeTensorsFolder(folder: dir)
        }
    }

    @Test func readsSingleFileFolderAndRejectsEmptyFolder() throws {
        #expect(throws: ModelFormatError.cannotOpen(path: dir, reason: "neither model.safetensors nor model.safetensors.index.json is there")) {
            try SafeTensorsFolder(folder: dir)
        }
        var s = SafeTensorsWriter()
        s.addTensor(name: "w", shape: [2], floats: [1, 2])
        try s.write(to: dir + "/model.safetensors")
        let m = try SafeTensorsFolder(folder: dir)
        #expect(m.names == ["w"] && m.files.count == 1)
        #expect(try floats(m.tensor("w")) == [1, 2])
    }
}
