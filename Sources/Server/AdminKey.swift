import Foundation
import ModelFormats

/// The admin key: the one configured, else the one saved in the data folder, else a new
/// random key saved there (mode 0600) at first start. The admin routes are never open.
public enum AdminKey {
    public static let fileName = "admin-key"

    /// The key, and the file it was read from or written to (nil when configured).
    public static func resolve(configured: String?, dataDirectory: String) throws -> (key: String, file: String?) {
        if let configured {
            guard !configured.isEmpty else { throw AdminKeyError("the admin key must not be empty") }
            return (configured, nil)
        }
        let path = dataDirectory + "/" + fileName
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw AdminKeyError("\(path) is empty: delete it to get a new key, or pass --admin-key") }
            return (key, path)
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var bytes = [UInt8](repeating: 0, count: 24)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        let key = "lk-admin-" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        // Private from its first byte: the temporary file is created 0600 too.
        let writer = try AtomicFileWriter(path: path, mode: 0o600)
        try writer.write(Array((key + "\n").utf8))
        try writer.commit()
        return (key, path)
    }
}

public struct AdminKeyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
