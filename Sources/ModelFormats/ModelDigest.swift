import Foundation

/// One SHA-256 naming a model's weights, whichever form they take: a GGUF file's digest, or
/// for a Hugging Face folder the digest of its files' names and digests. Adapters record it,
/// so that one trained on another base model is refused.
public enum ModelDigest {
    public static func sha256(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFormatError.cannotOpen(path: path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return try FileDigest.sha256(path: path) }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { $0 == "config.json" || $0.hasSuffix(".safetensors") }.sorted()
        let lines = try names.map { "\($0) \(try FileDigest.sha256(path: path + "/" + $0))\n" }.joined()
        return FileDigest.sha256(Array(lines.utf8))
    }
}
