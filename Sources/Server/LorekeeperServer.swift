import Foundation
import Hummingbird
import Inference
import JobRunner
import Registry
import Retrieval
import Logging
import NIOCore
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
    /// Required on the files, fine-tuning and admin routes (see `AdminKey.resolve`).
    public var adminKey = ""
    public var dataDirectory = "./data"
    public var maxBodyBytes = 8 << 20
    public var maxUploadBytes = 256 << 20
    /// Threads of the fine-tuning job runner (idle priority); nil: as many as the forward pass.
    public var trainingThreads: Int?
    public var maxQueued = 64
    public var prefixCacheBytes = 512 << 20
    /// Memory for loaded adapters (least recently used are dropped beyond it).
    public var adapterCacheBytes = 1 << 30
    /// Passages of an adapter's documents put before each chat question to it (`KnowledgeGrounding`); 0: none.
    public var groundingPassages = 1
    /// Tokens of the adapter's own answer drafted first to rank the passages by; 0: by the question
    /// alone (`KnowledgeGrounding`: since adapters learn to read grounded questions, the better default).
    public var groundingDraftTokens = 0
    /// Answer chat questions that ask nothing of an adapter's documents with the base model (`KnowledgeGrounding`).
    public var baseForGeneral = true
    /// Answer a grounded question with its best passage where the model's answer states what the
    /// passages do not (`AnswerSupport`); nil: on models small enough (`AnswerSupport.checksByDefault`).
    public var checksAnswers: Bool?
    public var chatTemplate: String?
    public var threads: Int?
    /// Multiply with inputs rounded to 16-bit integers (`LlamaModel.integerProducts`): a row's
    /// numbers are the same bits whatever batch it runs in and however the prefix cache splits its
    /// prompt, so a seeded request's text does not depend on the requests around it.
    public var integerProducts = true
    /// Seconds a request's header fields may take to arrive, from their first byte.
    public var headerTimeout = 10.0
    /// Seconds a connection may stay open with no request under way.
    public var idleTimeout = 60.0

    public init(modelPath: String) { self.modelPath = modelPath }
}

/// The HTTP server: OpenAI-compatible routes over the scheduler, plus health and metrics.
/// The model loads in the background while /health answers "loading".
public enum LorekeeperServer {
    /// Serves `config.modelPath`, with the knowledge loop's record in `registry` and its files in `blobs`.
    public static func run(_ config: ServerConfiguration, registry: any Registry, blobs: any BlobStore, logger: Logger,
                           onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let serving = Serving()
        let metrics = ServerMetrics()
        let routes = RouteIndex()
        let router = IndexingRouter(router: Router(context: ServerContext.self), index: routes)
        router.add(middleware: RequestLogMiddleware(logger: logger, metrics: metrics, routes: routes))

        router.get("/health") { _, _ -> Response in
            let (status, body): (HTTPResponse.Status, String) = switch serving.state {
            case .loading: (.serviceUnavailable, #"{"status":"loading"}"#)
            case .ready: (.ok, #"{"status":"ok"}"#)
            case let .failed(message): (.internalServerError, #"{"status":"error","message":"# + jsonString(message) + "}")
            }
            return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            let text = metrics.render(scheduler: serving.service?.scheduler)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }

        WebConsoleController().addRoutes(to: router)

        let api = router.group("v1")
        if let key = config.apiKey { api.add(middleware: APIKeyMiddleware(key: key)) }
        ModelsController(serving: serving).addRoutes(to: api)
        ChatController(serving: serving).addRoutes(to: api)
        CompletionsController(serving: serving).addRoutes(to: api)

        let admin = AdminAuthenticator(key: config.adminKey)
        FilesController(serving: serving).addRoutes(to: router.group("v1/files").add(middleware: admin))
        FineTuningController(serving: serving, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router.group("v1/fine_tuning").add(middleware: admin))
        AdminController(serving: serving, maxBodyBytes: config.maxBodyBytes).addRoutes(to: router.group("admin").add(middleware: admin))

        let headerTimeout = TimeAmount.nanoseconds(Int64(config.headerTimeout * 1e9))
        let app = Application(
            router: router.router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionHandler(headerTimeout: headerTimeout)],
                                                idleTimeout: .nanoseconds(Int64(config.idleTimeout * 1e9)))),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "lorekeeper"),
            services: [ModelService(config: config, registry: registry, blobs: blobs, serving: serving, logger: logger)],
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
        case ready(CompletionService)
        case failed(String)
    }

    private let current = Mutex(State.loading)
    private let loop = Mutex<KnowledgeLoop?>(nil)

    /// The files, fine-tuning and admin routes' shared state, once the model is loaded.
    func knowledge() throws -> KnowledgeLoop {
        if let loop = loop.withLock({ $0 }) { return loop }
        _ = try ready()
        throw APIError.unavailable("the knowledge loop is starting")
    }

    func start(_ knowledge: KnowledgeLoop) { loop.withLock { $0 = knowledge } }

    var state: State {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    var service: CompletionService? {
        if case let .ready(r) = state { return r }
        return nil
    }

    func ready() throws -> CompletionService {
        switch state {
        case .loading: throw APIError.unavailable("the model is still loading")
        case let .failed(message): throw APIError.unavailable("the model failed to load: \(message)")
        case let .ready(service): return service
        }
    }
}

/// Loads the model, runs the scheduler, and on graceful shutdown lets the running
/// requests finish (the HTTP server has stopped taking new ones by then).
struct ModelService: Service {
    let config: ServerConfiguration
    let registry: any Registry
    let blobs: any BlobStore
    let serving: Serving
    let logger: Logger

    func run() async throws {
        let scheduler: Scheduler
        do {
            let start = ContinuousClock.now
            let model = try LoadedModel.load(path: config.modelPath, chatTemplate: config.chatTemplate, threads: config.threads,
                                             integerProducts: config.integerProducts)
            let context = min(config.contextLength ?? min(model.config.contextLength, 4096), model.config.contextLength)
            scheduler = Scheduler(model: model, parallel: config.parallel, contextLength: context, maxQueued: config.maxQueued,
                                  prefixCacheBytes: config.prefixCacheBytes)
            // Names the model and serving configuration, stable across restarts.
            let fingerprint = "lk-" + FileDigest.sha256(Array("\(model.id)|\(model.config)|\(context)".utf8)).prefix(10)
            serving.start(try startKnowledgeLoop(model))
            serving.state = .ready(CompletionService(model: model, scheduler: scheduler, maxBodyBytes: config.maxBodyBytes,
                                                    fingerprint: String(fingerprint), created: Int(Date().timeIntervalSince1970),
                                                    catalog: RegistryAdapterCatalog(registry: registry),
                                                    adapters: AdapterCache(model: model.model, budgetBytes: config.adapterCacheBytes),
                                                    grounding: KnowledgeGrounding(passages: config.groundingPassages, draftTokens: config.groundingDraftTokens,
                                                                                 baseForGeneral: config.baseForGeneral,
                                                                                 checksAnswers: config.checksAnswers ?? AnswerSupport.checksByDefault(parameterCount: model.config.parameterCount))))
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

    /// Identifies the base model, imports adapters of the folder layout before the registry,
    /// removes blobs that crashed before their rows committed, and starts the job runner
    /// (which first resumes a job left running).
    private func startKnowledgeLoop(_ model: LoadedModel) throws -> KnowledgeLoop {
        let digest = try ModelDigest.sha256(path: model.path)
        let legacy = AdapterImport.importLegacy(root: config.dataDirectory + "/adapters", baseModel: model.id, baseModelSHA256: digest,
                                                config: model.config, registry: registry)
        for line in legacy.imported { logger.info("imported adapter \(line)") }
        for line in legacy.skipped { logger.warning("not imported: \(line)") }
        let liveFiles = Set(try registry.files().map(\.id))
        let liveJobs = Set(try Self.allJobs(registry).map(\.id))
        for path in try blobs.sweep(liveFiles: liveFiles, liveJobs: liveJobs) { logger.info("removed \(path): no registry row (an interrupted upload or job)") }
        let runner = JobRunner(registry: registry, blobs: blobs, model: model, modelSHA256: digest, threads: config.trainingThreads, logger: logger)
        runner.start()
        return KnowledgeLoop(registry: registry, blobs: blobs, runner: runner, model: model, modelSHA256: digest, maxUploadBytes: config.maxUploadBytes)
    }

    static func allJobs(_ registry: any Registry) throws -> [Job] {
        var all = [Job](), after: String?
        while true {
            let page = try registry.jobs(after: after, limit: 100)
            all += page.jobs
            guard page.hasMore, let last = page.jobs.last else { return all }
            after = last.id
        }
    }
}
