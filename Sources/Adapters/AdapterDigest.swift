import Foundation
import ModelFormats
import Retrieval

/// One SHA-256 over the files that make an adapter what it serves: a PEFT folder's config,
/// weights and, when it has one, the passages its chat answers are grounded in; or a GGUF file. Registered with each version and checked before it is loaded, so
/// files changed or damaged on disk are refused instead of served.
public enum AdapterDigest {
    public static func sha256(path: String) throws(AdapterError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingFile(path: path, hint: "no such file or folder")
        }
        var files = isDirectory.boolValue ? [PEFTAdapter.configFile, PEFTAdapter.weightsFile].map { path + "/" + $0 } : [path]
        // Optional, so the digests of versions registered before it existed stay the same.
        if isDirectory.boolValue, FileManager.default.fileExists(atPath: path + "/" + PassageIndex.fileName) {
            files.append(path + "/" + PassageIndex.fileName)
        }
        var lines = ""
        for file in files {
            do { lines += (file as NSString).lastPathComponent + " " + (try FileDigest.sha256(path: file)) + "\n" } catch {
                throw .missingFile(path: file, hint: "cannot read it: \(error)")
            }
        }
        return FileDigest.sha256(Array(lines.utf8))
    }
}
