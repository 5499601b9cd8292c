import Foundation

// Response objects of OpenAI's chat and completions APIs. Optional fields that OpenAI
// sends as explicit nulls are encoded as nulls.

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
    let logprobs: ChatLogProbs?
    let finish_reason: String

    enum CodingKeys: String, CodingKey { case index, message, logprobs, finish_reason }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(message, forKey: .message)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finish_reason, forKey: .finish_reason)
    }
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
    let logprobs: ChatLogProbs?
    let finish_reason: String?

    enum CodingKeys: String, CodingKey { case index, delta, logprobs, finish_reason }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(delta, forKey: .delta)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finish_reason, forKey: .finish_reason)
    }
}

struct ChatCompletionChunk: Encodable, Sendable {
    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [ChatChunkChoice]
    let usage: Usage?

    enum CodingKeys: String, CodingKey { case id, object, created, model, system_fingerprint, choices, usage }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(system_fingerprint, forKey: .system_fingerprint)
        try c.encode(choices, forKey: .choices)
        try c.encode(usage, forKey: .usage)
    }
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
    let logprobs: TextLogProbs?
    let finish_reason: String?

    enum CodingKeys: String, CodingKey { case text, index, logprobs, finish_reason }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(index, forKey: .index)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finish_reason, forKey: .finish_reason)
    }
}

struct TextCompletion: Encodable, Sendable {
    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [TextChoice]
    let usage: Usage?

    enum CodingKeys: String, CodingKey { case id, object, created, model, system_fingerprint, choices, usage }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(system_fingerprint, forKey: .system_fingerprint)
        try c.encode(choices, forKey: .choices)
        try c.encode(usage, forKey: .usage)
    }
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
