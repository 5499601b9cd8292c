import Foundation
import Hummingbird
import HummingbirdAuth

/// Who passed the admin key.
struct Administrator: Sendable {}

/// Requires `Authorization: Bearer <admin key>` (scheme case-insensitive, as RFC 7235 says)
/// on the files, fine-tuning and admin routes; anything else is a 401 before any handler runs.
struct AdminAuthenticator: AuthenticatorMiddleware {
    typealias Context = ServerContext
    let key: String

    func authenticate(request: Request, context: ServerContext) async throws -> Administrator? {
        guard let token = bearerToken(request.headers[.authorization]), constantTimeEqual(token, key) else { throw APIError.unauthorized }
        return Administrator()
    }
}

/// The token of an `Authorization: Bearer TOKEN` header, whatever the scheme's case.
func bearerToken(_ header: String?) -> String? {
    guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
    return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
}

/// Compares secrets in time that depends on their lengths only, never on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(truncatingIfNeeded: x.count ^ y.count) | (x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return difference == 0
}
