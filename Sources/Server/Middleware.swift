import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Requires `Authorization: Bearer KEY` on the API routes when the server has a key.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let key: String

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        guard let token = bearerToken(request.headers[.authorization]), constantTimeEqual(token, key) else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}

/// One log line and one metrics sample per request once its response is fully written (streams
/// included): method, path, status, prompt/completion tokens, milliseconds. Errors thrown by
/// handlers become OpenAI-shaped JSON here; a path that has routes for other methods is a 405.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let logger: Logger
    let metrics: ServerMetrics
    let routes: RouteIndex

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var route = context.endpointPath
        do {
            response = try await next(request, context)
            route = context.endpointPath
        } catch {
            route = context.endpointPath
            let apiError: APIError
            switch error {
            case let e as APIError: apiError = e
            case let e as HTTPError where e.status == .notFound:
                let allowed = routes.methods(for: request.uri.path)
                apiError = allowed.isEmpty ? .notFound(path: request.uri.path) : .methodNotAllowed(request.method, path: request.uri.path, allowed: allowed)
            case let e as HTTPParserError: apiError = .malformedRequest(e)
            case is NIOTooManyBytesError: apiError = APIError(status: .contentTooLarge, message: "The request body is too large", type: "invalid_request_error",
                                                               code: "request_too_large")
            case let e as HTTPError:
                apiError = APIError(status: e.status, message: e.body ?? e.status.reasonPhrase, type: e.status.code < 500 ? "invalid_request_error" : "server_error")
            default:
                logger.error("\(request.method) \(request.uri.path.prefix(200)): \(error)")
                apiError = .internalError("The server could not answer this request")
            }
            response = try apiError.response(from: request, context: context)
        }
        // HEAD answers carry the head only (the router has no HEAD routes: they get a 405).
        if request.method == .head { response.body = ResponseBody() }
        let body = response.body, status = response.status.code
        let stats = context.stats, logger = self.logger, metrics = self.metrics
        let line = "\(request.method) \(request.uri.path.prefix(200))", method = request.method.rawValue
        let label = route == nil || route == "NotFound" ? "unmatched" : route!
        @Sendable func report(clientGone: Bool) {
            let (prompt, completion) = stats.snapshot
            let elapsed = ContinuousClock.now - start
            let gone = clientGone || stats.clientLeft
            metrics.recordRequest(route: label, method: method, status: gone ? 499 : status, duration: elapsed)
            logger.info("\(line) \(status)\(gone ? " (client gone)" : "") tokens=\(prompt)+\(completion) \(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)ms")
        }
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                report(clientGone: true)
                throw error
            }
            report(clientGone: false)
        }
        return response
    }
}
