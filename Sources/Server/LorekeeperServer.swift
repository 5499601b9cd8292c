import Foundation
import Hummingbird
import Inference
import Logging
import ModelFormats
import Scheduling
import ServiceLifecycle
import Synchronization

public struct ServerConfiguration: Sendable {
    public var modelPath: String
    public var host = "127.0.0.1"
    public var port = 8080
    /// Sequences decoded together.
    public var parallel = 4
    /// Tokens per sequence; nil: the model's context, at most 4096.
    public var contextLength: Int?
    public var apiKey: String?
    public var adminKey: String?
    public var dataDirectory = "./data"
    public var maxBodyBytes = 8 << 20
    public var maxQueued = 64
    public var prefixCacheBytes = 512 << 20
    /// Memory for loaded adapters (least recently used are dropped beyond it).
    public var adapterCacheBytes = 1 << 30
    public var chatTemplate: String?
    public var threads: Int?

    public init(modelPath: String) { self.modelPath = modelPath }
}

/// The HTTP server: OpenAI-compatible routes over the scheduler, plus health and metrics.
/// The model loads in the background while /health answers "loading".
public enum LorekeeperServer {
    public static func run(_ config: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let serving = Serving()
        let counter = RequestCounter()
        let router = Router(context: ServerContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger, counter: counter))

        router.get("/health") { _, _ -> Response in
            let (status, body): (HTTPResponse.Status, String) = switch serving.state {
            case .loading: (.serviceUnavailable, #"{"status":"loading"}"#)
            case .ready: (.ok, #"{"status":"ok"}"#)
            case let .failed(message): (.internalServerError, #"{"status":"error","message":"# + jsonString(message) + "}")
            }
            return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            let text = MetricsText.render(scheduler: serving.routes?.scheduler, requests: counter.snapshot)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }

        WebConsoleController().addRoutes(to: router)

        let api = router.group("v1")
        if let key = config.apiKey { api.add(middleware: APIKeyMiddleware(key: key)) }
        api.get("models") { _, _ -> Response in
            let routes = try serving.ready()
            return try routes.json(routes.modelList())
        }
        api.post("chat/completions") { request, context in try await serving.ready().chat(request, context) }
        api.post("completions") { request, context in try await serving.ready().complete(request, context) }

        let app = Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "lorekeeper"),
            services: [ModelService(config: config, serving: serving, logger: logger)],
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? config.port) },
            logger: logger)
        try await app.runService()
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}

/// Loading state shared by the routes.
final class Serving: Sendable {
    enum State: Sendable {
        case loading
        case ready(CompletionRoutes)
        case failed(String)
    }

    private let current = Mutex(State.loading)

    var state: State {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    var routes: CompletionRoutes? {
        if case let .ready(r) = state { return r }
        return nil
    }

    func ready() throws -> CompletionRoutes {
        switch state {
        case .loading: throw APIError.unavailable("the model is still loading")
        case let .failed(message): throw APIError.unavailable("the model failed to load: \(message)")
        case let .ready(routes): return routes
        }
    }
}

/// Loads the model, runs the scheduler, and on graceful shutdown lets the running
/// requests finish (the HTTP server has stopped taking new ones by then).
struct ModelService: Service {
    let config: ServerConfiguration
    let serving: Serving
    let logger: Logger

    func run() async throws {
        let scheduler: Scheduler
        do {
            let start = ContinuousClock.now
            let model = try LoadedModel.load(path: config.modelPath, chatTemplate: config.chatTemplate, threads: config.threads)
            let context = min(config.contextLength ?? min(model.config.contextLength, 4096), model.config.contextLength)
            scheduler = Scheduler(model: model, parallel: config.parallel, contextLength: context, maxQueued: config.maxQueued,
                                  prefixCacheBytes: config.prefixCacheBytes)
            // Names the model and serving configuration, stable across restarts.
            let fingerprint = "lk-" + FileDigest.sha256(Array("\(model.id)|\(model.config)|\(context)".utf8)).prefix(10)
            serving.state = .ready(CompletionRoutes(model: model, scheduler: scheduler, maxBodyBytes: config.maxBodyBytes,
                                                    fingerprint: String(fingerprint), created: Int(Date().timeIntervalSince1970),
                                                    catalog: DirectoryAdapterCatalog(root: config.dataDirectory + "/adapters"),
                                                    adapters: AdapterCache(config: model.config, budgetBytes: config.adapterCacheBytes)))
            logger.info("loaded \(model.id) in \(ContinuousClock.now - start): \(model.config.layerCount) layers, context \(context) per sequence, \(config.parallel) parallel sequences")
        } catch {
            serving.state = .failed("\(error)")
            logger.error("cannot load \(config.modelPath): \(error)")
            throw error
        }
        try? await gracefulShutdown()
        logger.info("shutting down: finishing running requests")
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                scheduler.shutdown()
                done.resume()
            }
        }
    }
}
