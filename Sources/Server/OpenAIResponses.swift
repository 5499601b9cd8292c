import Foundation

// Response objects of OpenAI's chat and completions APIs. Optional fields that OpenAI
// sends as explicit nulls are `@Nullable`.

struct Usage: Encodable, Sendable {
    struct PromptDetails: Encodable, Sendable { let cached_tokens: Int }
    let prompt_tokens: Int
    let completion_tokens: Int
    let total_tokens: Int
    let prompt_tokens_details: PromptDetails

    init(prompt: Int, completion: Int, cached: Int) {
        prompt_tokens = prompt
        completion_tokens = completion
        total_tokens = prompt + completion
        prompt_tokens_details = PromptDetails(cached_tokens: cached)
    }

    static func + (a: Usage, b: Usage) -> Usage {
        Usage(prompt: a.prompt_tokens + b.prompt_tokens, completion: a.completion_tokens + b.completion_tokens,
              cached: a.prompt_tokens_details.cached_tokens + b.prompt_tokens_details.cached_tokens)
    }
}

/// One token's log-probability as the chat API reports it.
struct ChatLogProb: Encodable, Sendable {
    struct Alternative: Encodable, Sendable {
        let token: String
        let logprob: Float
        let bytes: [UInt8]
    }
    let token: String
    let logprob: Float
    let bytes: [UInt8]
    let top_logprobs: [Alternative]
}

struct ChatLogProbs: Encodable, Sendable {
    var content: [ChatLogProb]
}

struct ChatMessageOut: Encodable, Sendable {
    let role: String
    let content: String
}

struct ChatChoice: Encodable, Sendable {
    let index: Int
    let message: ChatMessageOut
    @Nullable var logprobs: ChatLogProbs?
    let finish_reason: String

}

struct ChatCompletion: Encodable, Sendable {
    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [ChatChoice]
    let usage: Usage
}

struct ChatDelta: Encodable, Sendable {
    var role: String?
    var content: String?
}

struct ChatChunkChoice: Encodable, Sendable {
    let index: Int
    let delta: ChatDelta
    @Nullable var logprobs: ChatLogProbs?
    @Nullable var finish_reason: String?

}

struct ChatCompletionChunk: Encodable, Sendable {
    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [ChatChunkChoice]
    @Nullable var usage: Usage?

}

/// The legacy completions API's log-probabilities: parallel arrays per token.
struct TextLogProbs: Encodable, Sendable {
    var tokens: [String] = []
    var token_logprobs: [Float?] = []
    var top_logprobs: [[String: Float]?] = []
    var text_offset: [Int] = []
}

struct TextChoice: Encodable, Sendable {
    let text: String
    let index: Int
    @Nullable var logprobs: TextLogProbs?
    @Nullable var finish_reason: String?

}

struct TextCompletion: Encodable, Sendable {
    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [TextChoice]
    @Nullable var usage: Usage?

}

struct ModelObject: Encodable, Sendable {
    let id: String
    let object = "model"
    let created: Int
    let owned_by: String
    /// For an adapter, the base model it applies to.
    var parent: String? = nil
}

struct ModelList: Encodable, Sendable {
    let object = "list"
    let data: [ModelObject]
}
