import Foundation
import HTTPTypes
import Hummingbird

/// Every error a client can see, with its HTTP status and OpenAI's error JSON
/// (`{"error":{"message","type","param","code"}}`), mapped in this one place.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public let type: String
    public let param: String?
    public let code: String?

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

    static func modelNotFound(_ model: String) -> APIError {
        APIError(status: .notFound, message: "The model '\(model)' does not exist", type: "invalid_request_error",
                 param: "model", code: "model_not_found")
    }

    static let unauthorized = APIError(status: .unauthorized, message: "Incorrect or missing API key. Pass it as 'Authorization: Bearer KEY'.",
                                       type: "invalid_request_error", code: "invalid_api_key")

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body exceeds \(limit) bytes", type: "invalid_request_error", code: "request_too_large")
    }

    static func busy(_ message: String) -> APIError {
        APIError(status: .tooManyRequests, message: message, type: "server_busy", code: "queue_full")
    }

    static func unavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, message: message, type: "server_error", code: "unavailable")
    }

    static func notFound(path: String) -> APIError {
        APIError(status: .notFound, message: "No route for \(path)", type: "invalid_request_error", code: "not_found")
    }

    static func internalError(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error")
    }

    /// The error JSON, as sent in a response body or an SSE `data:` line.
    var json: Data {
        let error: [String: Any] = ["message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull()]
        return try! JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
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
        case let .typeMismatch(type, context):
            self = .invalid("Invalid type for '\(path(context) ?? "body")': expected \(Self.jsonTypeName(type)). \(context.debugDescription)", param: path(context), code: "invalid_type")
        case let .valueNotFound(type, context):
            self = .invalid("Invalid value for '\(path(context) ?? "body")': expected \(Self.jsonTypeName(type)), got null.", param: path(context), code: "invalid_type")
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                self = .invalid("We could not parse the JSON body of your request: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)", code: "invalid_json")
            } else {
                self = .invalid("Invalid value for '\(path(context)!)': \(context.debugDescription)", param: path(context), code: "invalid_value")
            }
        @unknown default:
            self = .invalid("Invalid request body: \(error)")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Float.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "\(type)"
        }
    }
}
