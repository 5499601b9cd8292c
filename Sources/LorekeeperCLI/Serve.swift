import ArgumentParser
import Foundation
import Logging
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the OpenAI-compatible API.")

    @Option(help: "A GGUF file or a Hugging Face model folder.")
    var model = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @OptionGroup var data: DataOptions

    @Option(help: "Sequences decoded together in one batch.")
    var parallel = 4

    @Option(help: "Context length per sequence in tokens (default: the model's, at most 4096).")
    var ctx: Int?

    @Option(help: "Require 'Authorization: Bearer KEY' on /v1 (default: $LOREKEEPER_API_KEY, else none).")
    var apiKey: String?

    @Option(help: "Key for the admin, files and fine-tuning routes (default: $LOREKEEPER_ADMIN_KEY, else the one in DATA_DIR/admin-key, made at first start).")
    var adminKey: String?

    @Option(help: "Largest upload accepted by POST /v1/files, in MiB.")
    var maxUploadMb = 256

    @Option(help: "Threads for fine-tuning jobs, which run at idle CPU priority (default: as --threads).")
    var trainingThreads: Int?

    @Option(help: "Requests allowed to wait for a free slot before answering 429.")
    var maxQueue = 64

    @Option(help: "Memory kept for KV-cache prefix reuse, in MiB.")
    var prefixCacheMb = 512

    @Option(help: "Memory kept for loaded LoRA adapters, in MiB.")
    var adapterCacheMb = 1024

    @Option(help: "Sentences of an adapter's training documents put before each chat question to it (0: none).")
    var groundingPassages = 1

    @Option(help: "Tokens of the adapter's own answer, drafted first without the sentences, that rank them with the question; a draft that uses nothing of the documents beyond the question's words leaves the question ungrounded (0: rank by the question alone and ground every question that shares a word with a sentence).")
    var groundingDraftTokens = 0

    @Flag(inversion: .prefixedNo, help: "Answer a chat question to an adapter with the base model when the question is nearer to everyday prompts than to anything in the adapter's documents (the adapter costs a small model some general answers).")
    var baseForGeneral = true

    @Flag(name: .customLong("answer-check"), inversion: .prefixedNo, help: "Answer a grounded chat question with the document's sentence itself where the model's answer states a number the sentence does not, mostly other words, or not the kind of fact asked for that the sentence states (a small model often reads the wrong fact). Default: on for models under a billion parameters.")
    var checksAnswers: Bool?

    @Option(help: "Largest request body accepted, in MiB.")
    var maxBodyMb = 8

    @Option(help: "Chat template (llama2, chatml, zephyr, llama3); default: detected from the model.")
    var chatTemplate: String?

    @Option(help: "Threads for the forward pass (default: all cores).")
    var threads: Int?

    @Flag(help: "Multiply in float32 only, not with inputs rounded to 16-bit integers: slower, the reference numbers.")
    var floatProducts = false

    @Option(help: "Seconds a request's header fields may take to arrive, from their first byte (408, then the connection closes).")
    var headerTimeout = 10.0

    @Option(help: "Seconds an idle keep-alive connection stays open with no request under way.")
    var idleTimeout = 60.0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        if let ctx, ctx < 16 { throw ValidationError("--ctx must be at least 16") }
        guard maxQueue >= 0, prefixCacheMb >= 0, adapterCacheMb >= 0, groundingPassages >= 0, groundingDraftTokens >= 0, maxBodyMb >= 1 else {
            throw ValidationError("--max-queue, --prefix-cache-mb, --adapter-cache-mb, --grounding-passages and --grounding-draft-tokens must not be negative, --max-body-mb at least 1")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let trainingThreads, trainingThreads < 1 { throw ValidationError("--training-threads must be at least 1") }
        guard maxUploadMb >= 1 else { throw ValidationError("--max-upload-mb must be at least 1") }
        guard headerTimeout > 0, idleTimeout > 0 else { throw ValidationError("--header-timeout and --idle-timeout must be positive") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardOutput(label: $0) }
        var logger = Logger(label: "lorekeeper")
        logger.logLevel = .info
        var config = ServerConfiguration(modelPath: model)
        config.host = host
        config.port = port
        config.dataDirectory = data.dataDir
        config.parallel = parallel
        config.contextLength = ctx
        let environment = ProcessInfo.processInfo.environment
        config.apiKey = apiKey ?? environment["LOREKEEPER_API_KEY"]
        let admin = try AdminKey.resolve(configured: adminKey ?? environment["LOREKEEPER_ADMIN_KEY"], dataDirectory: data.dataDir)
        config.adminKey = admin.key
        if let file = admin.file { logger.info("admin key: in \(file) (pass it as 'Authorization: Bearer KEY' on /admin, /v1/files and /v1/fine_tuning)") }
        config.maxUploadBytes = maxUploadMb << 20
        config.trainingThreads = trainingThreads
        config.maxQueued = maxQueue
        config.prefixCacheBytes = prefixCacheMb << 20
        config.adapterCacheBytes = adapterCacheMb << 20
        config.groundingPassages = groundingPassages
        config.groundingDraftTokens = groundingDraftTokens
        config.checksAnswers = checksAnswers
        config.baseForGeneral = baseForGeneral
        config.maxBodyBytes = maxBodyMb << 20
        config.chatTemplate = chatTemplate
        config.threads = threads
        config.integerProducts = !floatProducts
        config.headerTimeout = headerTimeout
        config.idleTimeout = idleTimeout
        let host = self.host, log = logger
        try await LorekeeperServer.run(config, registry: try data.registry(), blobs: try data.blobs(), logger: logger) { port in
            let logger = log
            logger.info("listening on http://\(host):\(port)")
        }
    }
}
