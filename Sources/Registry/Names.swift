import Foundation

/// Client-chosen names and generated ids. Neither ever becomes a path by itself: blobs are
/// stored under generated ids, checked here before any path is made of them.
public enum Names {
    /// An adapter name: letters, digits, `-` and `_`, at most 64, not starting with `-`.
    public static func isValidAdapterName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix("-")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }

    /// `prefix-` and 24 random lowercase letters and digits.
    public static func newID(prefix: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return prefix + "-" + String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Whether `id` has the shape `newID(prefix:)` makes.
    public static func isGeneratedID(_ id: String, prefix: String) -> Bool {
        let body = id.utf8.dropFirst(prefix.utf8.count + 1)
        return id.hasPrefix(prefix + "-") && body.count == 24 && body.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }

    /// `NAME` or `NAME@VERSION`.
    public static func parseModel(_ model: String) -> (name: String, version: Int?)? {
        let parts = model.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2, isValidAdapterName(String(parts[0])) else { return nil }
        guard parts.count == 2 else { return (String(parts[0]), nil) }
        guard let v = Int(parts[1]), v > 0, String(v) == parts[1] else { return nil }
        return (String(parts[0]), v)
    }
}
