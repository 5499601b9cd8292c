import Foundation
import Hummingbird
import Inference
import Llama
import Retrieval
import Sampling
import Scheduling
import Tokenizers

/// What the chat, completions and models routes share once the model is loaded: resolving a
/// request's `model`, turning requests into scheduler jobs, and sending their results as JSON or
/// server-sent events, cancelled when the client leaves.
struct CompletionService: Sendable {
    let model: LoadedModel
    let scheduler: Scheduler
    let maxBodyBytes: Int
    let fingerprint: String
    let created: Int
    let catalog: any AdapterCatalog
    let adapters: AdapterCache
    let grounding: KnowledgeGrounding

    func decode<T: Decodable>(_ type: T.Type, from request: inout Request) async throws -> T {
        try await decodeJSONBody(type, from: &request, maxBytes: maxBodyBytes)
    }

    /// What a request's `model` names: the base model, an adapter's active version (`NAME`) or
    /// a pinned one (`NAME@VERSION`). Responses carry the resolved `NAME@VERSION`.
    func resolve(_ name: String) async throws -> (id: String, adapter: LoRAAdapter?, knowledge: PassageIndex?) {
        if name == model.id { return (model.id, nil, nil) }
        let parts = name.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw APIError.modelNotFound(name) }
        let listing: AdapterListing?
        do {
            listing = try catalog.listing(named: String(parts[0]))
        } catch {
            throw APIError.internalError("\(error)")
        }
        guard let listing else { throw APIError.modelNotFound(name) }
        let version = parts.count == 2 ? Int(parts[1]) : listing.active
        guard let version, let path = listing.versions[version] else { throw APIError.modelNotFound(name) }
        do {
            let served = try await adapters.adapter(name: listing.name, version: version, path: path, sha256: listing.digests[version])
            return ("\(listing.name)@\(version)", served.weights, served.knowledge)
        } catch {
            throw APIError.invalid("adapter \(listing.name)@\(version) cannot be loaded: \(error)", param: "model", code: "invalid_adapter")
        }
    }

    /// The base model and every adapter version, for /v1/models.
    func modelList() throws -> ModelList {
        var data = [ModelObject(id: model.id, created: created, owned_by: "lorekeeper")]
        do {
            for listing in try catalog.listings() {
                data.append(ModelObject(id: listing.name, created: created, owned_by: "lorekeeper", parent: model.id))
                for v in listing.versions.keys.sorted() {
                    data.append(ModelObject(id: "\(listing.name)@\(v)", created: created, owned_by: "lorekeeper", parent: model.id))
                }
            }
        } catch {
            throw APIError.internalError("\(error)")
        }
        return ModelList(data: data)
    }

    /// A scheduler job for `prompt`; `promptParam` names the request field the prompt came from.
    func makeJob(_ body: some SamplingFields, prompt: [Int], promptParam: String, maxTokens: Int?, logprobs: Int?,
                 adapter: LoRAAdapter?) throws -> CompletionRequest {
        let limit = scheduler.contextLength
        guard prompt.count < limit else {
            throw APIError.invalid("This model's maximum context length is \(limit) tokens, but the prompt has \(prompt.count) tokens.",
                                   param: promptParam, code: "context_length_exceeded")
        }
        let options = GenerationOptions(maxTokens: maxTokens ?? limit, sampling: try body.samplingParameters(vocabularySize: model.config.vocabSize),
                                        stop: body.stop?.values ?? [], logprobs: logprobs)
        return CompletionRequest(prompt: prompt, options: options, choices: try body.choiceCount(limit: scheduler.parallel), adapter: adapter)
    }

    /// The greedy answer to `prompt`, generated through the scheduler beside other requests and
    /// not counted in any usage: what `KnowledgeGrounding` ranks passages by besides the question.
    func draft(_ prompt: [Int], maxTokens: Int, adapter: LoRAAdapter?, _ context: ServerContext) async throws -> String {
        let job = CompletionRequest(prompt: prompt, options: GenerationOptions(maxTokens: maxTokens, sampling: .init(temperature: 0)), adapter: adapter)
        let handle = try submit(job, promptParam: "messages")
        return try await untilClientLeaves(context, cancel: handle.cancel) {
            var text = ""
            for try await event in handle.events {
                if case let .step(_, step) = event { text += step.text }
            }
            return text
        }
    }

    /// The base model's sentence vector of `text` for ranking `index`'s passages, made through the
    /// scheduler; nil when the index has no vectors of this model's kind or the text overflows the context.
    func sentenceVector(_ text: String, for index: PassageIndex) async throws -> [Float]? {
        guard index.embedding == EmbeddingSpace(layer: model.sentenceEmbeddingLayer, dimensions: model.config.hiddenSize) else { return nil }
        let prompt = model.sentenceEmbeddingPrompt(text)
        guard prompt.count < scheduler.contextLength else { return nil }
        do {
            return try await scheduler.sentenceEmbeddings([prompt]).first
        } catch SchedulerError.shuttingDown {
            throw APIError.unavailable(SchedulerError.shuttingDown.description)
        } catch {
            throw APIError.internalError("\(error)")
        }
    }

    func submit(_ job: CompletionRequest, promptParam: String) throws -> Scheduler.Handle {
        do {
            return try scheduler.submit(job)
        } catch {
            switch error {
            case .queueFull: throw APIError.busy(error.description)
            case .shuttingDown: throw APIError.unavailable(error.description)
            case .promptTooLong: throw APIError.invalid(error.description, param: promptParam, code: "context_length_exceeded")
            case .emptyPrompt: throw APIError.invalid(error.description, param: promptParam)
            case .tooManyChoices: throw APIError.invalid(error.description, param: "n")
            }
        }
    }

    /// Feeds every step of `handle` to `body` and returns the usage, counting tokens into the request's stats.
    func forEachStep(_ handle: Scheduler.Handle, _ context: ServerContext,
                     _ body: (Int, GenerationStep) async throws -> Void) async throws -> Usage {
        var prompt = 0, cached = 0, completion = 0
        for try await event in handle.events {
            switch event {
            case let .started(promptTokens, cachedTokens, _):
                prompt = promptTokens
                cached = cachedTokens
                context.stats.add(prompt: promptTokens)
            case let .step(choice, step):
                completion += 1
                context.stats.add(completion: 1)
                try await body(choice, step)
            }
        }
        return Usage(prompt: prompt, completion: completion, cached: cached)
    }

    /// Runs `body`, calling `cancel` (which frees the scheduler's slots) if the client leaves the
    /// connection meanwhile. The connection's input is not read here: it belongs to the next
    /// pipelined request, so the connection stays usable for keep-alive.
    func untilClientLeaves<T>(_ context: ServerContext, cancel: @escaping @Sendable () -> Void, _ body: () async throws -> T) async throws -> T {
        let stats = context.stats
        let token = context.clientWatch.onLeave {
            stats.markClientLeft()
            cancel()
        }
        defer { context.clientWatch.remove(token) }
        return try await body()
    }

    /// A server-sent-events response. `write` sends `data:` events; `[DONE]` follows. An error
    /// after the stream started goes out as an error event. The client leaving cancels the jobs.
    func streamResponse(_ context: ServerContext, cancel: @escaping @Sendable () -> Void,
                        _ write: @escaping @Sendable (_ send: (any Encodable) async throws -> Void) async throws -> Void) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await untilClientLeaves(context, cancel: cancel) {
                let encoder = JSONEncoder()
                func send(_ value: any Encodable) async throws {
                    var data = Data("data: ".utf8)
                    data += try encoder.encode(value)
                    data += Data("\n\n".utf8)
                    try await writer.write(ByteBuffer(bytes: data))
                }
                do {
                    try await write(send)
                } catch let error as APIError {
                    try await writer.write(ByteBuffer(bytes: Data("data: ".utf8) + error.json + Data("\n\n".utf8)))
                } catch is CancellationError {
                    cancel()
                    return
                } catch {
                    cancel()
                    guard !context.clientWatch.isGone else { throw error }
                    try await writer.write(ByteBuffer(bytes: Data("data: ".utf8) + APIError.internalError("\(error)").json + Data("\n\n".utf8)))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            }
            try await writer.finish(nil)
        })
    }
}
