import Hummingbird
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

struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let stats = RequestStats()

    init(source: Source) {
        coreContext = .init(source: source)
    }
}
