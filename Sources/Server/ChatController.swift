import Foundation
import Hummingbird
import Inference
import Sampling
import Scheduling
import Tokenizers

/// `POST /v1/chat/completions`: a conversation through the chat template, one scheduler job
/// with `n` choices, answered as a chat completion or a stream of chunks.
struct ChatController: Sendable {
    let serving: Serving

    func addRoutes(to group: some RouterMethods<ServerContext>) {
        group.post("chat/completions") { request, context in try await chat(request, context) }
    }

    func chat(_ request: Request, _ context: ServerContext) async throws -> Response {
        let service = try serving.ready()
        var request = request
        let body = try await service.decode(ChatCompletionRequest.self, from: &request)
        let messages = try body.validate()
        let target = try await service.resolve(body.model)
        func render(_ messages: [ChatMessage]) throws -> [Int] {
            do { return try service.model.chatPrompt(messages) } catch { throw APIError.invalid("\(error)", param: "messages") }
        }
        var draft: String?, questionVector: [Float]?, adapter = target.adapter
        if let knowledge = target.knowledge, service.grounding.applies(to: knowledge) {
            let question = KnowledgeGrounding.question(in: messages)
            if let question { questionVector = try await service.sentenceVector(question, for: knowledge) }
            if let question, service.grounding.answersFromBase(question, in: knowledge, questionVector: questionVector) {
                adapter = nil
            } else if service.grounding.draftTokens > 0 {
                draft = try await service.draft(try render(messages), maxTokens: service.grounding.draftTokens, adapter: adapter, context)
            }
        }
        let grounded = service.grounding.grounded(messages, in: target.knowledge, draft: draft, questionVector: questionVector)
        let prompt = try render(grounded?.messages ?? messages)
        // An answer that may be replaced (`KnowledgeGrounding.checked`) is streamed once it is whole.
        let checked = service.grounding.checksAnswers ? grounded : nil
        let top = body.logprobs == true ? body.top_logprobs ?? 0 : nil
        let job = try service.makeJob(body, prompt: prompt, promptParam: "messages", maxTokens: body.maxTokens.value, logprobs: top,
                                      adapter: adapter)
        let handle = try service.submit(job, promptParam: "messages")
        let id = "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = Int(Date().timeIntervalSince1970)
        let choices = job.choices
        let fingerprint = service.fingerprint

        if body.stream == true {
            let includeUsage = body.stream_options?.include_usage == true
            return service.streamResponse(context, cancel: handle.cancel) { send in
                func chunk(_ choices: [ChatChunkChoice], usage: Usage? = nil) -> ChatCompletionChunk {
                    ChatCompletionChunk(id: id, created: created, model: target.id, system_fingerprint: fingerprint, choices: choices, usage: usage)
                }
                func sendStep(_ choice: Int, _ step: GenerationStep) async throws {
                    guard !step.text.isEmpty || step.finishReason != nil || step.logprob != nil else { return }
                    let logprobs = step.logprob.map { ChatLogProbs(content: [chatLogProb($0, service)]) }
                    let delta = ChatDelta(role: nil, content: step.text.isEmpty && step.finishReason != nil ? nil : step.text)
                    try await send(chunk([ChatChunkChoice(index: choice, delta: delta, logprobs: logprobs, finish_reason: step.finishReason?.rawValue)]))
                }
                for i in 0..<choices {
                    try await send(chunk([ChatChunkChoice(index: i, delta: ChatDelta(role: "assistant", content: ""), logprobs: nil, finish_reason: nil)]))
                }
                guard let checked else {
                    let usage = try await service.forEachStep(handle, context) { try await sendStep($0, $1) }
                    if includeUsage { try await send(chunk([], usage: usage)) }
                    return
                }
                var steps = [[GenerationStep]](repeating: [], count: choices)
                let usage = try await service.forEachStep(handle, context) { steps[$0].append($1) }
                for (i, choice) in steps.enumerated() {
                    let answer = service.grounding.checked(choice.map(\.text).joined(), checked)
                    guard answer.replaced else {
                        for step in choice { try await sendStep(i, step) }
                        continue
                    }
                    try await send(chunk([ChatChunkChoice(index: i, delta: ChatDelta(role: nil, content: answer.text), logprobs: nil, finish_reason: nil)]))
                    try await send(chunk([ChatChunkChoice(index: i, delta: ChatDelta(role: nil, content: nil), logprobs: nil, finish_reason: FinishReason.stop.rawValue)]))
                }
                if includeUsage { try await send(chunk([], usage: usage)) }
            }
        }

        var results = [(text: String, logprobs: [ChatLogProb], finish: FinishReason?)](repeating: ("", [], nil), count: choices)
        let usage = try await service.untilClientLeaves(context, cancel: handle.cancel) {
            try await service.forEachStep(handle, context) { choice, step in
                results[choice].text += step.text
                if let lp = step.logprob { results[choice].logprobs.append(chatLogProb(lp, service)) }
                results[choice].finish = step.finishReason ?? results[choice].finish
            }
        }
        if let checked {
            for i in results.indices {
                let answer = service.grounding.checked(results[i].text, checked)
                // The passage was not generated: it has no log-probabilities.
                if answer.replaced { results[i] = (answer.text, [], .stop) }
            }
        }
        return try json(ChatCompletion(id: id, created: created, model: target.id, system_fingerprint: fingerprint,
                                       choices: results.enumerated().map { i, r in
                                           ChatChoice(index: i, message: ChatMessageOut(role: "assistant", content: r.text),
                                                      logprobs: top == nil ? nil : ChatLogProbs(content: r.logprobs),
                                                      finish_reason: (r.finish ?? .stop).rawValue)
                                       }, usage: usage))
    }

    func chatLogProb(_ lp: TokenLogProb, _ service: CompletionService) -> ChatLogProb {
        func piece(_ id: Int) -> (String, [UInt8]) {
            let bytes = service.model.tokenizer.tokenBytes(id)
            return (String(decoding: bytes, as: UTF8.self), bytes)
        }
        let (token, bytes) = piece(lp.token)
        return ChatLogProb(token: token, logprob: lp.logProb, bytes: bytes, top_logprobs: lp.top.map {
            let (t, b) = piece($0.token)
            return ChatLogProb.Alternative(token: t, logprob: $0.logProb, bytes: b)
        })
    }
}
