import Foundation
import Hummingbird
import Inference
import Sampling
import Scheduling

/// `POST /v1/completions`: raw prompts (texts or token ids), one scheduler job per prompt, answered
/// as a text completion or a stream of them.
struct CompletionsController: Sendable {
    let serving: Serving

    func addRoutes(to group: some RouterMethods<ServerContext>) {
        group.post("completions") { request, context in try await complete(request, context) }
    }

    func complete(_ request: Request, _ context: ServerContext) async throws -> Response {
        let service = try serving.ready()
        var request = request
        let body = try await service.decode(TextCompletionRequest.self, from: &request)
        try body.validate()
        let target = try await service.resolve(body.model)
        let model = service.model
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
        let jobs = try prompts.map {
            try service.makeJob(body, prompt: $0, promptParam: "prompt", maxTokens: body.max_tokens, logprobs: body.logprobs, adapter: target.adapter)
        }
        var submitted = [Scheduler.Handle]()
        do {
            for job in jobs { submitted.append(try service.submit(job, promptParam: "prompt")) }
        } catch {
            for h in submitted { h.cancel() }
            throw error
        }
        let handles = submitted
        let cancelAll: @Sendable () -> Void = { [handles] in for h in handles { h.cancel() } }
        let echo = body.echo == true
        let echoes = prompts.map { echo ? model.tokenizer.decode($0) : "" }
        let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = Int(Date().timeIntervalSince1970)
        let n = jobs[0].choices
        let fingerprint = service.fingerprint
        @Sendable func completion(_ choices: [TextChoice], usage: Usage?) -> TextCompletion {
            TextCompletion(id: id, created: created, model: target.id, system_fingerprint: fingerprint, choices: choices, usage: usage)
        }

        if body.stream == true {
            let includeUsage = body.stream_options?.include_usage == true
            return service.streamResponse(context, cancel: cancelAll) { send in
                var total = Usage(prompt: 0, completion: 0, cached: 0)
                for (p, handle) in handles.enumerated() {
                    if echo { for c in 0..<n { try await send(completion([TextChoice(text: echoes[p], index: p * n + c, logprobs: nil, finish_reason: nil)], usage: nil)) } }
                    var offsets = [Int](repeating: echoes[p].utf8.count, count: n)
                    let usage = try await service.forEachStep(handle, context) { choice, step in
                        guard !step.text.isEmpty || step.finishReason != nil || step.logprob != nil else { return }
                        var lps: TextLogProbs?
                        if let lp = step.logprob { lps = TextLogProbs(); appendTextLogProb(lp, model: service, text: step.text, offset: &offsets[choice], to: &lps!) }
                        try await send(completion([TextChoice(text: step.text, index: p * n + choice, logprobs: lps, finish_reason: step.finishReason?.rawValue)], usage: nil))
                    }
                    total = total + usage
                }
                if includeUsage { try await send(completion([], usage: total)) }
            }
        }

        var choices = [TextChoice]()
        var total = Usage(prompt: 0, completion: 0, cached: 0)
        try await service.untilClientLeaves(context, cancel: cancelAll) {
            for (p, handle) in handles.enumerated() {
                var texts = [String](repeating: echoes[p], count: n)
                var offsets = [Int](repeating: echoes[p].utf8.count, count: n)
                var logprobs = [TextLogProbs](repeating: TextLogProbs(), count: n)
                var finish = [FinishReason?](repeating: nil, count: n)
                let usage = try await service.forEachStep(handle, context) { choice, step in
                    if let lp = step.logprob { appendTextLogProb(lp, model: service, text: step.text, offset: &offsets[choice], to: &logprobs[choice]) }
                    texts[choice] += step.text
                    finish[choice] = step.finishReason ?? finish[choice]
                }
                for c in 0..<n {
                    choices.append(TextChoice(text: texts[c], index: p * n + c, logprobs: body.logprobs == nil ? nil : logprobs[c],
                                              finish_reason: (finish[c] ?? .stop).rawValue))
                }
                total = total + usage
            }
        }
        return try json(completion(choices, usage: total))
    }

    func appendTextLogProb(_ lp: TokenLogProb, model service: CompletionService, text: String, offset: inout Int, to out: inout TextLogProbs) {
        func piece(_ id: Int) -> String { String(decoding: service.model.tokenizer.tokenBytes(id), as: UTF8.self) }
        out.tokens.append(piece(lp.token))
        out.token_logprobs.append(lp.logProb)
        out.top_logprobs.append(Dictionary(lp.top.map { (piece($0.token), $0.logProb) }, uniquingKeysWith: max))
        out.text_offset.append(offset)
        offset += text.utf8.count
    }
}
