import Foundation
import Hummingbird

/// A request's JSON body as `T`: a 413 past `maxBytes` (by Content-Length before reading, or
/// while reading a chunked body), a 400 naming the field for anything that does not decode.
func decodeJSONBody<T: Decodable>(_ type: T.Type, from request: inout Request, maxBytes: Int) async throws -> T {
    if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes { throw APIError.tooLarge(limit: maxBytes) }
    let buffer: ByteBuffer
    do {
        buffer = try await request.collectBody(upTo: maxBytes)
    } catch let e as HTTPError where e.status == .contentTooLarge {
        throw APIError.tooLarge(limit: maxBytes)
    }
    do {
        return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
    } catch let e as DecodingError {
        throw APIError(decoding: e)
    }
}
