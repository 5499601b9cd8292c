import Foundation
import Hummingbird
import Logging
import Synchronization

/// Requires `Authorization: Bearer KEY` on the API routes when the server has a key.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let key: String

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        guard let token = bearerToken(request.headers[.authorization]), constantTimeEqual(token, key) else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}

/// Counts requests by path and status, for /metrics.
final class RequestCounter: Sendable {
    private let counts = Mutex([String: Int]())

    func record(path: String, status: Int) {
        counts.withLock { $0["\(path)|\(status)", default: 0] += 1 }
    }

    var snapshot: [(path: String, status: Int, count: Int)] {
        counts.withLock { $0 }.map { key, count in
            let parts = key.split(separator: "|")
            return (String(parts[0]), Int(parts[1])!, count)
        }.sorted { ($0.path, $0.status) < ($1.path, $1.status) }
    }
}

/// One log line per request once its response is fully written (streams included):
/// method, path, status, prompt/completion tokens, milliseconds. Errors thrown by handlers
/// become OpenAI-shaped JSON here.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let logger: Logger
    let counter: RequestCounter

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError: APIError
            switch error {
            case let e as APIError: apiError = e
            case let e as HTTPError where e.status == .notFound: apiError = .notFound(path: request.uri.path)
            case let e as HTTPError: apiError = APIError(status: e.status, message: e.body ?? e.status.reasonPhrase, type: "invalid_request_error")
            default: apiError = .internalError("\(error)")
            }
            response = try apiError.response(from: request, context: context)
        }
        let body = response.body, status = response.status.code
        let stats = context.stats, logger = self.logger, counter = self.counter
        let line = "\(request.method) \(request.uri.path)"
        let path = request.uri.path
        @Sendable func report(_ outcome: String) {
            let (prompt, completion) = stats.snapshot
            let elapsed = (ContinuousClock.now - start).components
            let millis = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
            counter.record(path: path, status: status)
            logger.info("\(line) \(outcome) tokens=\(prompt)+\(completion) \(millis)ms")
        }
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                report("\(status) (client gone)")
                throw error
            }
            report("\(status)")
        }
        return response
    }
}
