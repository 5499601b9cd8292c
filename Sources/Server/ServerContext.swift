import Hummingbird
import HummingbirdAuth
import Synchronization

/// Token counts of one request, filled in by its handler (also while its response streams)
/// and read by the request log.
final class RequestStats: Sendable {
    private let counts = Mutex((prompt: 0, completion: 0))

    func add(prompt: Int = 0, completion: Int = 0) {
        counts.withLock { $0.prompt += prompt; $0.completion += completion }
    }

    var snapshot: (prompt: Int, completion: Int) { counts.withLock { $0 } }
}

struct ServerContext: AuthRequestContext {
    var coreContext: CoreRequestContextStorage
    let stats = RequestStats()
    /// Set by `AdminAuthenticator` on the admin-key routes.
    var identity: Administrator?

    init(source: Source) {
        coreContext = .init(source: source)
    }
}
