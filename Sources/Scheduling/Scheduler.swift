import Foundation
import Inference
import Llama
import Synchronization

/// A completion to run: a tokenised prompt, how to sample, and how many choices.
public struct CompletionRequest: Sendable {
    public var prompt: [Int]
    public var options: GenerationOptions
    public var choices: Int
    /// The adapter every choice runs under (nil: the base model). Fixed for the request's
    /// life, so a newer version activated meanwhile only affects later requests.
    public var adapter: LoRAAdapter?

    public init(prompt: [Int], options: GenerationOptions, choices: Int = 1, adapter: LoRAAdapter? = nil) {
        self.prompt = prompt
        self.options = options
        self.choices = choices
        self.adapter = adapter
    }
}

public enum CompletionEvent: Sendable {
    /// The prompt is in the cache; `cachedTokens` of it were reused from earlier requests.
    case started(promptTokens: Int, cachedTokens: Int, seed: UInt64)
    /// One step of one choice. The choice's last step carries its finish reason.
    case step(choice: Int, GenerationStep)
}

public enum SchedulerError: Error, Equatable, CustomStringConvertible {
    case queueFull(limit: Int)
    case shuttingDown
    case promptTooLong(tokens: Int, limit: Int)
    case emptyPrompt
    case tooManyChoices(requested: Int, limit: Int)

    public var description: String {
        switch self {
        case let .queueFull(limit): "the server is busy: \(limit) requests are already waiting"
        case .shuttingDown: "the server is shutting down"
        case let .promptTooLong(n, limit): "the prompt has \(n) tokens but the context holds \(limit); shorten the prompt"
        case .emptyPrompt: "the prompt is empty"
        case let .tooManyChoices(n, limit): "n = \(n) exceeds the \(limit) sequences the server decodes at once"
        }
    }
}

/// Continuous batching: up to `parallel` sequences decode together, one batched forward
/// pass per token, so each weight is read once per step for all of them. New requests
/// join between steps; long prompts are prefilled in chunks beside the running decodes, so
/// streams keep flowing. Runs on its own thread: forward passes never block the server's
/// async tasks.
public final class Scheduler: @unchecked Sendable {
    public let model: LoadedModel
    public let parallel: Int
    /// Tokens per sequence (prompt + completion).
    public let contextLength: Int
    /// Requests that may wait for a free slot (beyond those that fit at once).
    public let maxQueued: Int
    /// Tokens per forward pass: decodes first, prompt chunks fill the rest.
    public let stepTokens: Int

    private let lock = NSCondition()
    private var waiting: [Job] = []
    private var embeddings: [EmbeddingJob] = []
    private var running: [Job] = []
    private var stopping = false
    private var stopped = false
    private let prefixCache: PrefixCache
    private let counters = Mutex(SchedulerMetrics())

    public init(model: LoadedModel, parallel: Int = 4, contextLength: Int = 4096, maxQueued: Int = 64,
                prefixCacheBytes: Int = 512 << 20, stepTokens: Int = 256) {
        precondition(parallel > 0 && contextLength > 1 && stepTokens > parallel)
        self.model = model
        self.parallel = parallel
        self.contextLength = contextLength
        self.maxQueued = maxQueued
        self.stepTokens = stepTokens
        prefixCache = PrefixCache(budgetBytes: prefixCacheBytes)
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "lorekeeper-scheduler"
        thread.start()
    }

    /// A queued request: its events, and a way to cancel it.
    public struct Handle: Sendable {
        /// Finishes after every choice's last step.
        public let events: AsyncThrowingStream<CompletionEvent, any Error>
        /// Frees the request's sequences at the next step (the client went away).
        public let cancel: @Sendable () -> Void
    }

    /// Queues a request. Stopping consumption of its events also cancels it.
    public func submit(_ request: CompletionRequest) throws(SchedulerError) -> Handle {
        guard !request.prompt.isEmpty else { throw .emptyPrompt }
        guard request.prompt.count < contextLength else { throw .promptTooLong(tokens: request.prompt.count, limit: contextLength) }
        guard request.choices <= parallel else { throw .tooManyChoices(requested: request.choices, limit: parallel) }
        let (stream, continuation) = AsyncThrowingStream<CompletionEvent, any Error>.makeStream()
        let job = Job(request: request, continuation: continuation)
        let cancel: @Sendable () -> Void = { [weak job] in job?.cancelled.store(true, ordering: .relaxed) }
        continuation.onTermination = { _ in cancel() }
        lock.lock()
        defer { lock.unlock() }
        guard !stopping else { throw .shuttingDown }
        // A request that fits beside the running ones starts at the next step; others wait, up to `maxQueued`.
        let committed = (running + waiting).reduce(0) { $0 + $1.sequences }
        guard committed + request.choices <= parallel || waiting.count < maxQueued else { throw .queueFull(limit: maxQueued) }
        waiting.append(job)
        counters.withLock { $0.requestsStarted += 1 }
        lock.signal()
        return Handle(events: stream, cancel: cancel)
    }

    /// The model's sentence vectors for `prompts` (`LoadedModel.sentenceEmbeddingPrompt`), run on
    /// the scheduler's thread between two decode steps: grounding embeds a question so, beside
    /// the running requests, without a second user of the model's threads.
    public func sentenceEmbeddings(_ prompts: [[Int]]) async throws -> [[Float]] {
        for p in prompts {
            guard !p.isEmpty else { throw SchedulerError.emptyPrompt }
            guard p.count < contextLength else { throw SchedulerError.promptTooLong(tokens: p.count, limit: contextLength) }
        }
        return try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            defer { lock.unlock() }
            guard !stopping else { return continuation.resume(throwing: SchedulerError.shuttingDown) }
            embeddings.append(EmbeddingJob(prompts: prompts, continuation: continuation))
            lock.signal()
        }
    }

    /// Stops accepting requests and returns once the queued and running ones have finished.
    public func shutdown() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while !stopped { lock.wait() }
        lock.unlock()
    }

    public func metrics() -> SchedulerMetrics {
        var m = counters.withLock { $0 }
        lock.lock()
        m.queued = waiting.count
        lock.unlock()
        return m
    }

    // MARK: the decode loop (scheduler thread only below)

    final class Job: @unchecked Sendable {
        let request: CompletionRequest
        let continuation: AsyncThrowingStream<CompletionEvent, any Error>.Continuation
        let cancelled = Atomic(false)
        /// One state per choice; before the prompt is prefilled only the first exists.
        var states: [GenerationState] = []
        var done: [Bool] = []

        init(request: CompletionRequest, continuation: AsyncThrowingStream<CompletionEvent, any Error>.Continuation) {
            self.request = request
            self.continuation = continuation
        }

        var sequences: Int { request.choices }
        /// Prefix-cache entries are only shared between requests under the same weights.
        var namespace: String { request.adapter?.id ?? "" }
        var activeSequences: Int { states.isEmpty ? 0 : done.filter { !$0 }.count }
        var cacheBytes: Int { states.reduce(0) { $0 + $1.cache.byteCount } }
        var finished: Bool { !done.isEmpty && done.allSatisfy { $0 } }
    }

    struct EmbeddingJob {
        let prompts: [[Int]]
        let continuation: CheckedContinuation<[[Float]], any Error>
    }

    private func loop() {
        while true {
            lock.lock()
            while running.isEmpty, waiting.isEmpty, embeddings.isEmpty, !stopping { lock.wait() }
            let embedding = embeddings
            embeddings.removeAll()
            if running.isEmpty, waiting.isEmpty, embedding.isEmpty, stopping {
                stopped = true
                lock.broadcast()
                lock.unlock()
                return
            }
            var busy = running.reduce(0) { $0 + $1.sequences }
            while let next = waiting.first, busy + next.sequences <= parallel {
                waiting.removeFirst()
                running.append(next)
                busy += next.sequences
            }
            let jobs = running
            lock.unlock()

            for job in embedding { job.continuation.resume(with: Result { try model.sentenceEmbeddings(prompts: job.prompts) }) }
            for job in jobs where job.states.isEmpty { start(job) }
            step(jobs)

            lock.lock()
            running.removeAll { job in
                guard job.finished || job.cancelled.load(ordering: .relaxed) else { return false }
                finish(job)
                return true
            }
            // Jobs and caches belong to this thread: gauges are published, never read from outside.
            let active = running.reduce(0) { $0 + $1.activeSequences }, kvBytes = running.reduce(0) { $0 + $1.cacheBytes }
            lock.unlock()
            let prefixBytes = prefixCache.byteCount
            counters.withLock {
                $0.activeSequences = active
                $0.kvCacheBytes = kvBytes
                $0.prefixCacheBytes = prefixBytes
            }
        }
    }

    /// Creates the first choice's state, reusing a cached prefix of the prompt when there is one.
    private func start(_ job: Job) {
        let prompt = job.request.prompt
        do {
            // A prompt- or prefix-tuned adapter's cache starts with its prefix; so do the cached ones under it.
            let cache = try prefixCache.lookup(prompt, namespace: job.namespace, maxTokens: contextLength)
                ?? model.model.makeCache(maxTokens: contextLength, adapter: job.request.adapter)
            let state = try GenerationState(model: model, prompt: prompt, options: job.request.options, cache: cache, adapter: job.request.adapter)
            job.states = [state]
            job.done = [false]
            job.continuation.yield(.started(promptTokens: prompt.count, cachedTokens: cache.count, seed: state.seed))
            counters.withLock { $0.promptTokensCached += cache.count }
        } catch {
            job.continuation.finish(throwing: error)
            job.done = [true]
        }
    }

    /// One forward pass: a token for every decoding sequence, then prompt chunks up to `stepTokens`.
    private func step(_ jobs: [Job]) {
        var chunks = [LlamaModel.Chunk]()
        var owners = [(job: Job, choice: Int)]()
        var decodeTokens = 0, prefillTokens = 0
        for job in jobs where !job.finished && !job.cancelled.load(ordering: .relaxed) {
            for (i, s) in job.states.enumerated() where !job.done[i] && !s.isPrefilling {
                chunks.append(.init(cache: s.cache, tokens: s.pendingTokens(), logits: .last, adapter: s.adapter))
                owners.append((job, i))
                decodeTokens += 1
            }
        }
        var budget = stepTokens - decodeTokens
        for job in jobs where budget > 0 && !job.finished && !job.cancelled.load(ordering: .relaxed) {
            guard let s = job.states.first, s.isPrefilling else { continue }
            let tokens = s.pendingTokens(limit: budget)
            let completes = s.cache.count + tokens.count == s.prompt.count
            chunks.append(.init(cache: s.cache, tokens: tokens, logits: completes ? .last : .none, adapter: s.adapter))
            owners.append((job, 0))
            budget -= tokens.count
            prefillTokens += tokens.count
        }
        guard !chunks.isEmpty else { return }

        let started = ContinuousClock.now
        let logits: [Float]
        do {
            logits = try model.model.forward(chunks)
        } catch {
            for (job, _) in owners where !job.finished {
                job.continuation.finish(throwing: error)
                job.done = job.done.map { _ in true }
            }
            return
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        counters.withLock {
            $0.promptTokens += prefillTokens
            $0.generatedTokens += decodeTokens
            $0.stepSeconds += seconds
            $0.steps += 1
            // A mixed step's time is split by token count; decode rate is the batch's.
            let share = Double(prefillTokens) / Double(prefillTokens + decodeTokens)
            if prefillTokens > 0 { $0.prefillTokensPerSecond = 0.8 * $0.prefillTokensPerSecond + 0.2 * Double(prefillTokens) / (seconds * share) }
            if decodeTokens > 0 { $0.decodeTokensPerSecond = 0.8 * $0.decodeTokensPerSecond + 0.2 * Double(decodeTokens) / (seconds * (1 - share)) }
        }

        let vocab = model.config.vocabSize
        var row = 0
        for (chunk, (job, choice)) in zip(chunks, owners) where chunk.logits == .last {
            let rowLogits = Array(logits[row * vocab..<(row + 1) * vocab])
            row += 1
            // The prompt's last logits start every choice; later rows belong to one choice each.
            var targets = [choice]
            if choice == 0, job.states[0].generated.isEmpty {
                fork(job)
                targets = Array(job.states.indices)
            }
            for i in targets where !job.done[i] {
                var l = rowLogits
                let step = l.withUnsafeMutableBufferPointer { job.states[i].step(logits: $0) }
                job.continuation.yield(.step(choice: i, step))
                if step.finishReason != nil { job.done[i] = true }
            }
        }
    }

    /// After the prompt is prefilled, the other choices start from copies of its cache.
    private func fork(_ job: Job) {
        let first = job.states[0]
        for i in job.states.count..<job.request.choices {
            var options = job.request.options
            options.sampling.seed = first.seed &+ UInt64(i)
            // Same prompt, already cached: cannot fail.
            job.states.append(try! GenerationState(model: model, prompt: first.prompt, options: options, cache: first.cache.copy(), adapter: first.adapter))
            job.done.append(false)
        }
    }

    private func finish(_ job: Job) {
        if let first = job.states.first, !first.isPrefilling { prefixCache.store(first.cache, namespace: job.namespace) }
        if job.cancelled.load(ordering: .relaxed) {
            counters.withLock { $0.requestsCancelled += 1 }
        }
        counters.withLock { $0.requestsFinished += 1 }
        job.continuation.finish()
    }
}

/// Counters and gauges for /metrics.
public struct SchedulerMetrics: Sendable {
    public var requestsStarted = 0
    public var requestsFinished = 0
    public var requestsCancelled = 0
    public var promptTokens = 0
    public var promptTokensCached = 0
    public var generatedTokens = 0
    public var steps = 0
    public var stepSeconds = 0.0
    public var queued = 0
    public var activeSequences = 0
    public var kvCacheBytes = 0
    public var prefixCacheBytes = 0
    /// Exponential moving averages over recent forward passes.
    public var prefillTokensPerSecond = 0.0
    public var decodeTokensPerSecond = 0.0
}
