import CCrypto

/// SHA-256 of files and byte strings, as lowercase hex (used to identify models, adapters and data).
public enum FileDigest {
    public static func sha256(path: String) throws -> String {
        let file = try MappedFile(path: path)
        return sha256(UnsafeRawBufferPointer(start: file.base, count: file.count))
    }

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { d in
            EVP_Digest(bytes.baseAddress, bytes.count, d.baseAddress, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1, "EVP_Digest failed")
        return digest.prefix(Int(length)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { sha256($0) }
    }
}
