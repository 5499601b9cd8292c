import Foundation
import Hummingbird
import Inference
import Llama
import Sampling
import Scheduling
import Tokenizers

/// /v1/chat/completions and /v1/completions: OpenAI requests in, scheduler jobs, OpenAI
/// responses (JSON or server-sent events) out.
struct CompletionRoutes: Sendable {
    let model: LoadedModel
    let scheduler: Scheduler
    let maxBodyBytes: Int
    let fingerprint: String
    let created: Int
    let catalog: any AdapterCatalog
    let adapters: AdapterCache

    // MARK: chat

    func chat(_ request: Request, _ context: ServerContext) async throws -> Response {
        var request = request
        let body = try await decode(ChatCompletionRequest.self, from: &request)
        let target = try await resolve(body.model)
        guard !body.messages.isEmpty else { throw APIError.invalid("messages must contain at least one message", param: "messages") }
        var messages = [ChatMessage]()
        for (i, m) in body.messages.enumerated() {
            guard ["system", "user", "assistant"].contains(m.role) else {
                throw APIError.invalid("messages[\(i)].role '\(m.role)' is not supported (system, user, assistant)", param: "messages[\(i)].role")
            }
            messages.append(ChatMessage(role: m.role, content: m.content?.text ?? ""))
        }
        let prompt: [Int]
        do {
            prompt = try model.chatPrompt(messages)
        } catch {
            throw APIError.invalid("\(error)", param: "messages")
        }
        if body.top_logprobs != nil, body.logprobs != true {
            throw APIError.invalid("top_logprobs requires logprobs to be true", param: "top_logprobs")
        }
        let top = body.logprobs == true ? body.top_logprobs ?? 0 : nil
        if let top, !(0...TokenLogProb.maxTop).contains(top) {
            throw APIError.invalid("top_logprobs must be between 0 and \(TokenLogProb.maxTop)", param: "top_logprobs")
        }
        let job = try makeJob(body, prompt: prompt, maxTokens: body.max_completion_tokens ?? body.max_tokens,
                              maxTokensParam: body.max_completion_tokens != nil ? "max_completion_tokens" : "max_tokens", logprobs: top,
                              adapter: target.adapter)
        let handle = try submit(job)
        let id = "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = Int(Date().timeIntervalSince1970)
        let choices = job.choices

        if body.stream == true {
            let includeUsage = body.stream_options?.include_usage == true
            return streamResponse(request, context, handle) { send in
                func chunk(_ choices: [ChatChunkChoice], usage: Usage? = nil) -> ChatCompletionChunk {
                    ChatCompletionChunk(id: id, created: created, model: target.id, system_fingerprint: fingerprint, choices: choices, usage: usage)
                }
                for i in 0..<choices {
                    try await send(chunk([ChatChunkChoice(index: i, delta: ChatDelta(role: "assistant", content: ""), logprobs: nil, finish_reason: nil)]))
                }
                let usage = try await forEachStep(handle, context) { choice, step in
                    guard !step.text.isEmpty || step.finishReason != nil || step.logprob != nil else { return }
                    let logprobs = step.logprob.map { ChatLogProbs(content: [chatLogProb($0)]) }
                    let delta = ChatDelta(role: nil, content: step.text.isEmpty && step.finishReason != nil ? nil : step.text)
                    try await send(chunk([ChatChunkChoice(index: choice, delta: delta, logprobs: logprobs, finish_reason: step.finishReason?.rawValue)]))
                }
                if includeUsage { try await send(chunk([], usage: usage)) }
            }
        }

        var results = [(text: String, logprobs: [ChatLogProb], finish: FinishReason?)](repeating: ("", [], nil), count: choices)
        let usage = try await untilClientLeaves(request) {
            try await forEachStep(handle, context) { choice, step in
                results[choice].text += step.text
                if let lp = step.logprob { results[choice].logprobs.append(chatLogProb(lp)) }
                results[choice].finish = step.finishReason ?? results[choice].finish
            }
        }
        let out = ChatCompletion(id: id, created: created, model: target.id, system_fingerprint: fingerprint,
                                 choices: results.enumerated().map { i, r in
                                     ChatChoice(index: i, message: ChatMessageOut(role: "assistant", content: r.text),
                                                logprobs: top == nil ? nil : ChatLogProbs(content: r.logprobs),
                                                finish_reason: (r.finish ?? .stop).rawValue)
                                 }, usage: usage)
        return try json(out, closingConnection: true)
    }

    func chatLogProb(_ lp: TokenLogProb) -> ChatLogProb {
        func piece(_ id: Int) -> (String, [UInt8]) {
            let bytes = model.tokenizer.tokenBytes(id)
            return (String(decoding: bytes, as: UTF8.self), bytes)
        }
        let (token, bytes) = piece(lp.token)
        return ChatLogProb(token: token, logprob: lp.logProb, bytes: bytes, top_logprobs: lp.top.map {
            let (t, b) = piece($0.token)
            return ChatLogProb.Alternative(token: t, logprob: $0.logProb, bytes: b)
        })
    }

    // MARK: completions

    func complete(_ request: Request, _ context: ServerContext) async throws -> Response {
        var request = request
        let body = try await decode(TextCompletionRequest.self, from: &request)
        let target = try await resolve(body.model)
        if let suffix = body.suffix, !suffix.isEmpty {
            throw APIError.invalid("suffix is not supported: the model has no fill-in-the-middle mode", param: "suffix")
        }
        if let bestOf = body.best_of, bestOf != (body.n ?? 1) {
            throw APIError.invalid("best_of is not supported (only best_of = n)", param: "best_of")
        }
        if let lp = body.logprobs, !(0...5).contains(lp) { throw APIError.invalid("logprobs must be between 0 and 5", param: "logprobs") }
        let echo = body.echo == true
        if echo, body.logprobs != nil { throw APIError.invalid("echo with logprobs is not supported", param: "echo") }

        let prompts: [[Int]]
        switch body.prompt {
        case let .texts(texts): prompts = texts.map { model.textPrompt($0) }
        case let .tokens(lists):
            for (i, ids) in lists.enumerated() {
                if let bad = ids.first(where: { !(0..<model.config.vocabSize).contains($0) }) {
                    throw APIError.invalid("prompt[\(i)] has token id \(bad) outside the vocabulary", param: "prompt")
                }
            }
            prompts = lists
        }
        guard !prompts.isEmpty else { throw APIError.invalid("prompt must not be empty", param: "prompt") }
        let jobs = try prompts.map { try makeJob(body, prompt: $0, maxTokens: body.max_tokens, maxTokensParam: "max_tokens", logprobs: body.logprobs, adapter: target.adapter) }
        var submitted = [Scheduler.Handle]()
        do {
            for job in jobs { submitted.append(try submit(job)) }
        } catch {
            for h in submitted { h.cancel() }
            throw error
        }
        let handles = submitted
        let cancelAll: @Sendable () -> Void = { [handles] in for h in handles { h.cancel() } }
        let echoes = prompts.map { echo ? model.tokenizer.decode($0) : "" }
        let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = Int(Date().timeIntervalSince1970)
        let n = jobs[0].choices

        if body.stream == true {
            let includeUsage = body.stream_options?.include_usage == true
            return streamResponse(request, context, cancel: cancelAll) { send in
                func chunk(_ choices: [TextChoice], usage: Usage? = nil) -> TextCompletion {
                    TextCompletion(id: id, created: created, model: target.id, system_fingerprint: fingerprint, choices: choices, usage: usage)
                }
                var total = Usage(prompt: 0, completion: 0, cached: 0)
                for (p, handle) in handles.enumerated() {
                    if echo { for c in 0..<n { try await send(chunk([TextChoice(text: echoes[p], index: p * n + c, logprobs: nil, finish_reason: nil)])) } }
                    var offsets = [Int](repeating: echoes[p].utf8.count, count: n)
                    let usage = try await forEachStep(handle, context) { choice, step in
                        guard !step.text.isEmpty || step.finishReason != nil || step.logprob != nil else { return }
                        var lps: TextLogProbs?
                        if let lp = step.logprob { lps = TextLogProbs(); appendTextLogProb(lp, text: step.text, offset: &offsets[choice], to: &lps!) }
                        try await send(chunk([TextChoice(text: step.text, index: p * n + choice, logprobs: lps, finish_reason: step.finishReason?.rawValue)]))
                    }
                    total = Usage(prompt: total.prompt_tokens + usage.prompt_tokens, completion: total.completion_tokens + usage.completion_tokens,
                                  cached: total.prompt_tokens_details.cached_tokens + usage.prompt_tokens_details.cached_tokens)
                }
                if includeUsage { try await send(chunk([], usage: total)) }
            }
        }

        var choices = [TextChoice]()
        var total = Usage(prompt: 0, completion: 0, cached: 0)
        try await untilClientLeaves(request, cancel: cancelAll) {
            for (p, handle) in handles.enumerated() {
                var texts = [String](repeating: echoes[p], count: n)
                var offsets = [Int](repeating: echoes[p].utf8.count, count: n)
                var logprobs = [TextLogProbs](repeating: TextLogProbs(), count: n)
                var finish = [FinishReason?](repeating: nil, count: n)
                let usage = try await forEachStep(handle, context) { choice, step in
                    if let lp = step.logprob { appendTextLogProb(lp, text: step.text, offset: &offsets[choice], to: &logprobs[choice]) }
                    texts[choice] += step.text
                    finish[choice] = step.finishReason ?? finish[choice]
                }
                for c in 0..<n {
                    choices.append(TextChoice(text: texts[c], index: p * n + c, logprobs: body.logprobs == nil ? nil : logprobs[c],
                                              finish_reason: (finish[c] ?? .stop).rawValue))
                }
                total = Usage(prompt: total.prompt_tokens + usage.prompt_tokens, completion: total.completion_tokens + usage.completion_tokens,
                              cached: total.prompt_tokens_details.cached_tokens + usage.prompt_tokens_details.cached_tokens)
            }
        }
        return try json(TextCompletion(id: id, created: created, model: target.id, system_fingerprint: fingerprint, choices: choices, usage: total),
                        closingConnection: true)
    }

    func appendTextLogProb(_ lp: TokenLogProb, text: String, offset: inout Int, to out: inout TextLogProbs) {
        func piece(_ id: Int) -> String { String(decoding: model.tokenizer.tokenBytes(id), as: UTF8.self) }
        out.tokens.append(piece(lp.token))
        out.token_logprobs.append(lp.logProb)
        out.top_logprobs.append(Dictionary(lp.top.map { (piece($0.token), $0.logProb) }, uniquingKeysWith: max))
        out.text_offset.append(offset)
        offset += text.utf8.count
    }

    // MARK: shared

    func decode<T: Decodable>(_ type: T.Type, from request: inout Request) async throws -> T {
        try await decodeJSONBody(type, from: &request, maxBytes: maxBodyBytes)
    }

    /// What a request's `model` names: the base model, an adapter's active version (`NAME`) or
    /// a pinned one (`NAME@VERSION`). Responses carry the resolved `NAME@VERSION`.
    func resolve(_ name: String) async throws -> (id: String, adapter: LoRAAdapter?) {
        if name == model.id { return (model.id, nil) }
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
            return ("\(listing.name)@\(version)", try await adapters.adapter(name: listing.name, version: version, path: path,
                                                                                    sha256: listing.digests[version]))
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

    func makeJob(_ body: some SamplingFields, prompt: [Int], maxTokens: Int?, maxTokensParam: String, logprobs: Int?,
                 adapter: LoRAAdapter?) throws -> CompletionRequest {
        let limit = scheduler.contextLength
        guard prompt.count < limit else {
            throw APIError.invalid("This model's maximum context length is \(limit) tokens, but the prompt has \(prompt.count) tokens.",
                                   param: "messages", code: "context_length_exceeded")
        }
        if let maxTokens, maxTokens < 1 { throw APIError.invalid("\(maxTokensParam) must be at least 1", param: maxTokensParam) }
        let options = GenerationOptions(maxTokens: maxTokens ?? limit, sampling: try body.samplingParameters(vocabularySize: model.config.vocabSize),
                                        stop: try body.stopStrings(), logprobs: logprobs)
        return CompletionRequest(prompt: prompt, options: options, choices: try body.choiceCount(limit: scheduler.parallel), adapter: adapter)
    }

    func submit(_ job: CompletionRequest) throws -> Scheduler.Handle {
        do {
            return try scheduler.submit(job)
        } catch {
            switch error {
            case .queueFull: throw APIError.busy(error.description)
            case .shuttingDown: throw APIError.unavailable(error.description)
            case .promptTooLong: throw APIError.invalid(error.description, param: "messages", code: "context_length_exceeded")
            case .emptyPrompt: throw APIError.invalid(error.description, param: "prompt")
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

    /// Runs `body`, cancelling it (and so the scheduler job) if the client closes the connection.
    /// Watching for that consumes the connection's inbound stream, so Hummingbird closes the
    /// connection after the response: such responses say `Connection: close`, or a client could
    /// send its next request on a connection that is going away.
    func untilClientLeaves<T: Sendable>(_ request: Request, cancel: (@Sendable () -> Void)? = nil, _ body: () async throws -> T) async throws -> T {
        try await request.body.consumeWithInboundCloseHandler({ _ in try await body() }, onInboundClosed: { cancel?() })
    }

    /// A server-sent-events response. `write` sends `data:` events; `[DONE]` follows. An error
    /// after the stream started goes out as an error event. A closed connection cancels the jobs.
    func streamResponse(_ request: Request, _ context: ServerContext, _ handle: Scheduler.Handle,
                        _ write: @escaping @Sendable (_ send: (any Encodable) async throws -> Void) async throws -> Void) -> Response {
        streamResponse(request, context, cancel: handle.cancel, write)
    }

    func streamResponse(_ request: Request, _ context: ServerContext, cancel: @escaping @Sendable () -> Void,
                        _ write: @escaping @Sendable (_ send: (any Encodable) async throws -> Void) async throws -> Void) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[.connection] = "close"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await request.body.consumeWithInboundCloseHandler({ _ in
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
                    let e = APIError.internalError("\(error)")
                    try await writer.write(ByteBuffer(bytes: Data("data: ".utf8) + e.json + Data("\n\n".utf8)))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            }, onInboundClosed: cancel)
            try await writer.finish(nil)
        })
    }

    func json(_ value: some Encodable, closingConnection: Bool = false) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if closingConnection { headers[.connection] = "close" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }
}
