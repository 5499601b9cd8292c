import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1

/// A request's JSON body as `T`: a 415 for another media type, a 413 past `maxBytes` (by
/// Content-Length before reading, or while reading a chunked body), a 400 for a malformed chunked
/// body, and a 400 naming the field for JSON that is invalid or does not decode.
func decodeJSONBody<T: Decodable>(_ type: T.Type, from request: inout Request, maxBytes: Int) async throws -> T {
    if let mediaType = request.headers[.contentType], !isJSONMediaType(mediaType) {
        throw APIError(status: .unsupportedMediaType, message: "Content-Type must be application/json, got '\(mediaType.prefix(100))'",
                       type: "invalid_request_error", code: "unsupported_media_type")
    }
    if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes { throw APIError.tooLarge(limit: maxBytes) }
    let buffer: ByteBuffer
    do {
        buffer = try await request.collectBody(upTo: maxBytes)
    } catch is NIOTooManyBytesError {
        throw APIError.tooLarge(limit: maxBytes)
    } catch let e as HTTPError where e.status == .contentTooLarge {
        throw APIError.tooLarge(limit: maxBytes)
    } catch let e as HTTPParserError {
        throw APIError.malformedRequest(e)
    }
    return try decodeJSON(type, from: Array(buffer: buffer))
}

/// `bytes` as `T`, through the strict parser and the decoder that names the field at fault.
func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
    let value: JSONValue
    do {
        value = try StrictJSONParser.parse(bytes)
    } catch {
        if let param = error.path {
            throw APIError.invalid("Invalid value for '\(param)': \(error.message).", param: param, code: "invalid_value")
        }
        throw APIError.invalid("We could not parse the JSON body of your request: \(error.message).", code: "invalid_json")
    }
    do {
        return try T(from: JSONValueDecoder(value))
    } catch let e as DecodingError {
        throw APIError(decoding: e)
    } catch let e as APIError {
        throw e
    } catch {
        throw APIError.invalid("Invalid request body: \(error)")
    }
}

/// application/json, or a structured `+json` type, with any parameters.
func isJSONMediaType(_ value: String) -> Bool {
    let type = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
}
