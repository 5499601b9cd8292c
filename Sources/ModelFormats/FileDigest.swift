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
        return hex(digest.prefix(Int(length)))
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { sha256($0) }
    }

    /// SHA-256 of bytes that arrive in pieces (an upload hashed as it streams in).
    public final class SHA256Stream {
        private let context: OpaquePointer

        public init() {
            context = EVP_MD_CTX_new()
            // Not inside precondition: -Ounchecked drops its condition, calls and all.
            let ok = EVP_DigestInit_ex(context, EVP_sha256(), nil)
            precondition(ok == 1, "EVP_DigestInit_ex failed")
        }

        public func update(_ bytes: UnsafeRawBufferPointer) {
            let ok = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
            precondition(ok == 1, "EVP_DigestUpdate failed")
        }

        /// The digest as lowercase hex; call once, at the end.
        public func finish() -> String {
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            let ok = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
            precondition(ok == 1, "EVP_DigestFinal_ex failed")
            return hex(digest.prefix(Int(length)))
        }

        deinit { EVP_MD_CTX_free(context) }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
