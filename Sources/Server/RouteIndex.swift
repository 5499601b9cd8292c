import Hummingbird
import Synchronization

/// Every route's path template and methods, recorded as routes are added through
/// `IndexingRouter`: a path that exists with other methods answers 405 with `Allow`, not 404.
final class RouteIndex: Sendable {
    private struct Route {
        let segments: [Substring]
        var methods: [HTTPRequest.Method]
    }

    private let routes = Mutex([String: Route]())

    func add(_ template: String, _ method: HTTPRequest.Method) {
        routes.withLock { all in
            all[template, default: Route(segments: template.split(separator: "/"), methods: [])].methods.append(method)
        }
    }

    /// The methods of the routes whose template matches `path`, in the order they were added.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/")
        return routes.withLock { all in
            var found = [HTTPRequest.Method]()
            for route in all.values where Self.matches(route.segments, parts) {
                found += route.methods.filter { !found.contains($0) }
            }
            return found
        }
    }

    private static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        for (i, segment) in template.enumerated() {
            if segment == "**" { return true }
            guard i < path.count else { return false }
            if segment == "*" || segment.contains("{") || segment.hasPrefix(":") { continue }
            if segment != path[i] { return false }
        }
        return template.count == path.count
    }
}

/// The router, recording each route in a `RouteIndex` as it is added (groups made from it pass
/// their full paths through here).
struct IndexingRouter: RouterMethods {
    typealias Context = ServerContext
    let router: Router<ServerContext>
    let index: RouteIndex

    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == ServerContext {
        index.add(path.description, method)
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, ServerContext>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}
