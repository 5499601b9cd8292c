import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// Every error a client can see, with its HTTP status and OpenAI's error JSON
/// (`{"error":{"message","type","param","code"}}`), mapped in this one place.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public let type: String
    public let param: String?
    public let code: String?
    /// Extra response headers (`Allow`, `Retry-After`, `Connection: close`).
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func unsupported(_ message: String, param: String) -> APIError {
        invalid(message, param: param, code: "unsupported_parameter")
    }

    static func modelNotFound(_ model: String) -> APIError {
        APIError(status: .notFound, message: "The model '\(model)' does not exist", type: "invalid_request_error",
                 param: "model", code: "model_not_found")
    }

    static var unauthorized: APIError {
        var e = APIError(status: .unauthorized, message: "Incorrect or missing API key. Pass it as 'Authorization: Bearer KEY'.",
                         type: "invalid_request_error", code: "invalid_api_key")
        e.headers[.wwwAuthenticate] = "Bearer"
        return e
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body exceeds \(limit) bytes", type: "invalid_request_error", code: "request_too_large")
    }

    /// The queue is full: a client may retry after a second, when slots have usually turned over.
    static func busy(_ message: String) -> APIError {
        var e = APIError(status: .tooManyRequests, message: message, type: "server_busy", code: "queue_full")
        e.headers[.retryAfter] = "1"
        return e
    }

    static func unavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, message: message, type: "server_error", code: "unavailable")
    }

    static func notFound(path: String) -> APIError {
        APIError(status: .notFound, message: "No route for \(path.prefix(200))", type: "invalid_request_error", code: "not_found")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        var e = APIError(status: .methodNotAllowed, message: "\(method.rawValue) is not allowed on \(path.prefix(200)) (allowed: \(list))",
                         type: "invalid_request_error", code: "method_not_allowed")
        e.headers[.allow] = list
        return e
    }

    /// The connection cannot be read on after this error: the response says so and the server closes it.
    var closingConnection: APIError {
        var e = self
        e.headers[.connection] = "close"
        return e
    }

    /// A request the HTTP parser rejected; the connection's input is unusable after it.
    static func malformedRequest(_ error: HTTPParserError) -> APIError {
        let (status, message): (HTTPResponse.Status, String) = switch error {
        case .headerOverflow: (.requestHeaderFieldsTooLarge, "The request's header fields are too large")
        case .invalidChunkSize: (.badRequest, "Malformed chunked body: invalid chunk size")
        case .invalidContentLength, .unexpectedContentLength: (.badRequest, "Invalid Content-Length header")
        case .invalidVersion: (.badRequest, "Unsupported HTTP version: this server speaks HTTP/1.1")
        case .invalidMethod: (.badRequest, "Invalid HTTP method")
        case .invalidURL: (.badRequest, "Invalid request target")
        case .invalidHeaderToken, .invalidCharactersUsed: (.badRequest, "Invalid character in the request's header fields")
        case .invalidEOFState, .closedConnection: (.badRequest, "The request ended before it was complete")
        default: (.badRequest, "Malformed HTTP request")
        }
        return APIError(status: status, message: message, type: "invalid_request_error", code: "malformed_request").closingConnection
    }

    static func internalError(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error")
    }

    /// The error JSON, as sent in a response body or an SSE `data:` line.
    var json: Data {
        let error: [String: Any] = ["message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull()]
        return try! JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])
    }

    /// The whole response, head fields included.
    var responseHead: HTTPResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return HTTPResponse(status: status, headerFields: fields)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let head = responseHead
        return Response(status: head.status, headers: head.headerFields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}

extension APIError {
    /// A decoding failure as a 400 that names the offending field.
    init(decoding error: DecodingError) {
        func path(_ context: DecodingError.Context) -> String? {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? nil : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = path(context).map { $0 + "." } ?? ""
            self = .invalid("Missing required parameter: '\(parent)\(key.stringValue)'.", param: parent + key.stringValue, code: "missing_required_parameter")
        case let .typeMismatch(_, context):
            self = .invalid("Invalid type for '\(path(context) ?? "body")': \(context.debugDescription).", param: path(context), code: "invalid_type")
        case let .valueNotFound(_, context):
            self = .invalid("Invalid value for '\(path(context) ?? "body")': \(context.debugDescription).", param: path(context), code: "invalid_value")
        case let .dataCorrupted(context):
            self = .invalid("Invalid value for '\(path(context) ?? "body")': \(context.debugDescription).", param: path(context), code: "invalid_value")
        @unknown default:
            self = .invalid("Invalid request body.")
        }
    }
}
