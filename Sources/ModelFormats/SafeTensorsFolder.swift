import Foundation

/// The weights of a Hugging Face model folder: either one `model.safetensors`, or shards
/// (`model-00001-of-00002.safetensors`, ...) listed in `model.safetensors.index.json`,
/// whose `weight_map` says which shard holds each tensor.
public final class SafeTensorsFolder: Sendable {
    public let folder: String
    /// The files opened, in shard order.
    public let files: [SafeTensorsFile]
    /// Tensor names, sorted.
    public let names: [String]
    private let fileOfTensor: [String: SafeTensorsFile]

    public init(folder: String) throws {
        self.folder = folder
        let indexPath = folder + "/model.safetensors.index.json"
        let singlePath = folder + "/model.safetensors"
        var map = [String: SafeTensorsFile]()
        if FileManager.default.fileExists(atPath: indexPath) {
            let weightMap = try Self.readWeightMap(indexPath)
            var shards = [String: SafeTensorsFile]()
            for shardName in Set(weightMap.values).sorted() {
                // Shards live beside the index; anything else would let an index point outside the folder.
                guard !shardName.contains("/"), shardName != "..", shardName != "." else {
                    throw ModelFormatError.malformed(path: indexPath, detail: "weight_map names '\(shardName)', which is not a file in the folder")
                }
                shards[shardName] = try SafeTensorsFile(path: folder + "/" + shardName)
            }
            for (name, shardName) in weightMap {
                let shard = shards[shardName]!
                guard shard.info(name) != nil else { throw ModelFormatError.missingTensor(path: shard.path, tensor: name) }
                map[name] = shard
            }
            files = shards.keys.sorted().map { shards[$0]! }
        } else if FileManager.default.fileExists(atPath: singlePath) {
            let file = try SafeTensorsFile(path: singlePath)
            for name in file.names { map[name] = file }
            files = [file]
        } else {
            throw ModelFormatError.cannotOpen(path: folder, reason: "neither model.safetensors nor model.safetensors.index.json is there")
        }
        fileOfTensor = map
        names = map.keys.sorted()
    }

    public func tensor(_ name: String) throws -> TensorView {
        guard let file = fileOfTensor[name] else { throw ModelFormatError.missingTensor(path: folder, tensor: name) }
        return try file.tensor(name)
    }

    /// The file that holds `name`, for its dtype and safetensors-order shape via `info(_:)`.
    public func file(of name: String) -> SafeTensorsFile? { fileOfTensor[name] }

    private static func readWeightMap(_ path: String) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelFormatError.cannotOpen(path: path, reason: error.localizedDescription)
        }
        guard let index = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelFormatError.malformed(path: path, detail: "not a JSON object")
        }
        guard let weightMap = index["weight_map"] as? [String: String] else {
            throw ModelFormatError.malformed(path: path, detail: "weight_map is missing or not a map of strings")
        }
        return weightMap
    }
}
