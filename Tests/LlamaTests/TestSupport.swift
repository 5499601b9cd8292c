import Foundation
import Testing

/// Paths relative to the repository root, found from this file's location.
enum Repo {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url = url.deletingLastPathComponent()
        }
        return url.path
    }()

    static let testdata = root + "/../shared/testdata"

    /// The default model; its absence is a failure (run scripts/fetch-model.sh), never a skip.
    static var defaultModel: String {
        get throws {
            let path = root + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
            guard FileManager.default.fileExists(atPath: path) else {
                throw TestSetupError("default model missing at \(path): run scripts/fetch-model.sh")
            }
            return path
        }
    }

    static func json(_ relativeToTestdata: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: testdata + "/" + relativeToTestdata))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A float32 little-endian .npy array, flattened.
    static func npy(_ relativeToTestdata: String) throws -> (shape: [Int], values: [Float]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: testdata + "/" + relativeToTestdata))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<10 + headerLength], as: UTF8.self)
        guard header.contains("'<f4'") else { throw TestSetupError("\(relativeToTestdata): not float32 little-endian: \(header)") }
        let shapeText = header.split(separator: "(")[1].split(separator: ")")[0]
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let values = data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (shape, values)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func temporaryDirectory() -> String {
    let d = NSTemporaryDirectory() + "lorekeeper-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}
