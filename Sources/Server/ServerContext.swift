import Hummingbird
import HummingbirdAuth
import Synchronization

/// Token counts of one request, filled in by its handler (also while its response streams)
/// and read by the request log.
final class RequestStats: Sendable {
    private let counts = Mutex((prompt: 0, completion: 0, clientLeft: false))

    func add(prompt: Int = 0, completion: Int = 0) {
        counts.withLock { $0.prompt += prompt; $0.completion += completion }
    }

    /// The client went away while the request was running (its metrics status is 499).
    func markClientLeft() { counts.withLock { $0.clientLeft = true } }

    var snapshot: (prompt: Int, completion: Int) { counts.withLock { ($0.prompt, $0.completion) } }
    var clientLeft: Bool { counts.withLock { $0.clientLeft } }
}

struct ServerContext: AuthRequestContext {
    var coreContext: CoreRequestContextStorage
    let stats = RequestStats()
    /// Tells when the request's client leaves its connection.
    let clientWatch: ClientWatch
    /// Set by `AdminAuthenticator` on the admin-key routes.
    var identity: Administrator?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientWatch = ClientWatch.of(source.channel)
    }
}
