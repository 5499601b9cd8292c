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

    @Option(help: "Where adapters, uploaded data and the registry are kept.")
    var dataDir = "./data"

    @Option(help: "Sequences decoded together in one batch.")
    var parallel = 4

    @Option(help: "Context length per sequence in tokens (default: the model's, at most 4096).")
    var ctx: Int?

    @Option(help: "Require 'Authorization: Bearer KEY' on /v1 (default: $LOREKEEPER_API_KEY, else none).")
    var apiKey: String?

    @Option(help: "Key for the admin API (default: $LOREKEEPER_ADMIN_KEY).")
    var adminKey: String?

    @Option(help: "Requests allowed to wait for a free slot before answering 429.")
    var maxQueue = 64

    @Option(help: "Memory kept for KV-cache prefix reuse, in MiB.")
    var prefixCacheMb = 512

    @Option(help: "Memory kept for loaded LoRA adapters, in MiB.")
    var adapterCacheMb = 1024

    @Option(help: "Largest request body accepted, in MiB.")
    var maxBodyMb = 8

    @Option(help: "Chat template (llama2, chatml, zephyr, llama3); default: detected from the model.")
    var chatTemplate: String?

    @Option(help: "Threads for the forward pass (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        if let ctx, ctx < 16 { throw ValidationError("--ctx must be at least 16") }
        guard maxQueue >= 0, prefixCacheMb >= 0, adapterCacheMb >= 0, maxBodyMb >= 1 else {
            throw ValidationError("--max-queue, --prefix-cache-mb and --adapter-cache-mb must not be negative, --max-body-mb at least 1")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardOutput(label: $0) }
        var logger = Logger(label: "lorekeeper")
        logger.logLevel = .info
        var config = ServerConfiguration(modelPath: model)
        config.host = host
        config.port = port
        config.dataDirectory = dataDir
        config.parallel = parallel
        config.contextLength = ctx
        let environment = ProcessInfo.processInfo.environment
        config.apiKey = apiKey ?? environment["LOREKEEPER_API_KEY"]
        config.adminKey = adminKey ?? environment["LOREKEEPER_ADMIN_KEY"]
        config.maxQueued = maxQueue
        config.prefixCacheBytes = prefixCacheMb << 20
        config.adapterCacheBytes = adapterCacheMb << 20
        config.maxBodyBytes = maxBodyMb << 20
        config.chatTemplate = chatTemplate
        config.threads = threads
        let host = self.host, log = logger
        try await LorekeeperServer.run(config, logger: logger) { port in
            let logger = log
            logger.info("listening on http://\(host):\(port)")
        }
    }
}
