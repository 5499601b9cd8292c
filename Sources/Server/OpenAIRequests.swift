import Foundation
import Sampling
import Tokenizers

// Request bodies of OpenAI's chat and completions APIs. Each decodes strictly (JSONValueDecoder
// names the field whose type is wrong) and checks itself with `validate()`, whose errors name
// the parameter; checks that need the model or the scheduler are the service's.

/// A string or a list of strings (OpenAI's `stop`).
enum StringOrList: Decodable, Sendable {
    case one(String)
    case many([String])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .one(s); return }
        do {
            self = .many(try c.decode([String].self))
        } catch {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string or an array of strings"))
        }
    }

    var values: [String] {
        switch self {
        case let .one(s): [s]
        case let .many(a): a
        }
    }
}

/// A prompt for /v1/completions: text, texts, token ids, or lists of token ids.
enum PromptInput: Decodable, Sendable {
    case texts([String])
    case tokens([[Int]])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .texts([s]); return }
        if let a = try? c.decode([String].self) { self = .texts(a); return }
        if let ids = try? c.decode([Int].self) { self = .tokens([ids]); return }
        if let lists = try? c.decode([[Int]].self) { self = .tokens(lists); return }
        throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath,
            debugDescription: "expected a string, an array of strings, an array of token ids or an array of such arrays"))
    }
}

/// Message content: a string, or an array of content parts of which only text is supported.
struct MessageContent: Decodable, Sendable {
    let text: String

    struct Part: Decodable {
        let type: String
        let text: String?
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { text = s; return }
        let parts: [Part]
        do {
            parts = try c.decode([Part].self)
        } catch let error as DecodingError {
            // Inside a part the part's own error says more; at the top, name both accepted shapes.
            if case let .typeMismatch(_, context) = error, context.codingPath.count == decoder.codingPath.count {
                throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath,
                    debugDescription: "expected a string or an array of content parts"))
            }
            throw error
        }
        for (i, p) in parts.enumerated() {
            guard p.type == "text" else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [Index(i)],
                    debugDescription: "content part type '\(p.type.prefix(40))' is not supported (only 'text')"))
            }
            guard p.text != nil else {
                throw DecodingError.keyNotFound(Index.text, .init(codingPath: decoder.codingPath + [Index(i)], debugDescription: "missing"))
            }
        }
        text = parts.compactMap(\.text).joined()
    }

    private struct Index: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ i: Int) { (stringValue, intValue) = ("\(i)", i) }
        init?(stringValue: String) { (self.stringValue, intValue) = (stringValue, nil) }
        init?(intValue: Int) { self.init(intValue) }
        static let text = Index(stringValue: "text")!
    }
}

struct StreamOptions: Decodable, Sendable {
    var include_usage: Bool?
}

/// `response_format`: only plain text can be promised, since sampling is not constrained to a grammar.
struct ResponseFormat: Decodable, Sendable {
    let type: String

    func validate() throws(APIError) {
        switch type {
        case "text": return
        case "json_object", "json_schema":
            throw .unsupported("response_format type '\(type)' is not supported: output is not constrained to JSON (only 'text')", param: "response_format.type")
        default:
            throw .invalid("response_format.type must be 'text', 'json_object' or 'json_schema', got '\(type.prefix(40))'", param: "response_format.type",
                           code: "invalid_value")
        }
    }
}

/// One entry of `tools`; the server has no function calling, so any tool is refused.
struct Tool: Decodable, Sendable {
    let type: String
}

/// Fields shared by /v1/chat/completions and /v1/completions.
protocol SamplingFields {
    var model: String { get }
    var max_tokens: Int? { get }
    var temperature: Float? { get }
    var top_p: Float? { get }
    var top_k: Int? { get }
    var min_p: Float? { get }
    var repetition_penalty: Float? { get }
    var presence_penalty: Float? { get }
    var frequency_penalty: Float? { get }
    var logit_bias: [String: Float]? { get }
    var seed: Int? { get }
    var n: Int? { get }
    var stop: StringOrList? { get }
    var stream: Bool? { get }
    var stream_options: StreamOptions? { get }
}

struct ChatCompletionRequest: Decodable, Sendable, SamplingFields {
    struct Message: Decodable, Sendable {
        let role: String
        let content: MessageContent?
    }

    let model: String
    let messages: [Message]
    var max_tokens: Int?
    var max_completion_tokens: Int?
    var temperature: Float?
    var top_p: Float?
    var top_k: Int?
    var min_p: Float?
    var repetition_penalty: Float?
    var presence_penalty: Float?
    var frequency_penalty: Float?
    var logit_bias: [String: Float]?
    var logprobs: Bool?
    var top_logprobs: Int?
    var seed: Int?
    var n: Int?
    var stop: StringOrList?
    var stream: Bool?
    var stream_options: StreamOptions?
    var response_format: ResponseFormat?
    var tools: [Tool]?
    var user: String?

    /// The token limit and the name of the field that set it.
    var maxTokens: (value: Int?, param: String) {
        max_completion_tokens != nil ? (max_completion_tokens, "max_completion_tokens") : (max_tokens, "max_tokens")
    }

    /// The messages as the chat template takes them.
    func validate() throws(APIError) -> [ChatMessage] {
        guard !messages.isEmpty else { throw .invalid("messages must contain at least one message", param: "messages") }
        var out = [ChatMessage]()
        for (i, m) in messages.enumerated() {
            guard ["system", "user", "assistant"].contains(m.role) else {
                throw .invalid("messages[\(i)].role '\(m.role.prefix(40))' is not supported (system, user, assistant)", param: "messages[\(i)].role")
            }
            // Only an assistant turn may have no content (OpenAI's, when it called tools).
            guard m.content != nil || m.role == "assistant" else {
                throw .invalid("messages[\(i)].content is required for a \(m.role) message", param: "messages[\(i)].content",
                               code: "missing_required_parameter")
            }
            out.append(ChatMessage(role: m.role, content: m.content?.text ?? ""))
        }
        if top_logprobs != nil, logprobs != true { throw .invalid("top_logprobs requires logprobs to be true", param: "top_logprobs") }
        if let top = top_logprobs, !(0...TokenLogProb.maxTop).contains(top) {
            throw .invalid("top_logprobs must be between 0 and \(TokenLogProb.maxTop)", param: "top_logprobs")
        }
        try response_format?.validate()
        if let tools, !tools.isEmpty { throw .unsupported("tools are not supported: the server has no function calling", param: "tools") }
        try validateShared(maxTokens: maxTokens)
        return out
    }
}

struct TextCompletionRequest: Decodable, Sendable, SamplingFields {
    let model: String
    let prompt: PromptInput
    var suffix: String?
    var echo: Bool?
    var max_tokens: Int?
    var temperature: Float?
    var top_p: Float?
    var top_k: Int?
    var min_p: Float?
    var repetition_penalty: Float?
    var presence_penalty: Float?
    var frequency_penalty: Float?
    var logit_bias: [String: Float]?
    /// Number of most likely alternatives to report per token (legacy completions API).
    var logprobs: Int?
    var seed: Int?
    var n: Int?
    var best_of: Int?
    var stop: StringOrList?
    var stream: Bool?
    var stream_options: StreamOptions?
    var user: String?

    func validate() throws(APIError) {
        if let suffix, !suffix.isEmpty { throw .invalid("suffix is not supported: the model has no fill-in-the-middle mode", param: "suffix") }
        if let bestOf = best_of, bestOf != (n ?? 1) { throw .invalid("best_of is not supported (only best_of = n)", param: "best_of") }
        if let lp = logprobs, !(0...5).contains(lp) { throw .invalid("logprobs must be between 0 and 5", param: "logprobs") }
        if echo == true, logprobs != nil { throw .invalid("echo with logprobs is not supported", param: "echo") }
        switch prompt {
        case let .texts(texts) where texts.isEmpty: throw .invalid("prompt must not be empty", param: "prompt")
        case let .tokens(lists) where lists.isEmpty || lists.contains(where: \.isEmpty): throw .invalid("prompt must not be empty", param: "prompt")
        default: break
        }
        try validateShared(maxTokens: (max_tokens, "max_tokens"))
    }
}

extension SamplingFields {
    /// Checks that need neither model nor scheduler.
    func validateShared(maxTokens: (value: Int?, param: String)) throws(APIError) {
        if let value = maxTokens.value, value < 1 { throw .invalid("\(maxTokens.param) must be at least 1", param: maxTokens.param) }
        if let n, n < 1 { throw .invalid("n must be at least 1", param: "n") }
        if let seed, seed < 0 { throw .invalid("seed must be non-negative", param: "seed") }
        if (stop?.values.count ?? 0) > 4 { throw .invalid("at most 4 stop sequences are allowed", param: "stop") }
    }

    /// Sampling parameters, checked against OpenAI's ranges (errors name the field).
    func samplingParameters(vocabularySize: Int) throws(APIError) -> SamplingParameters {
        var bias = [Int: Float]()
        for (key, value) in logit_bias ?? [:] {
            guard let id = Int(key) else { throw .invalid("logit_bias keys must be token ids, got '\(key.prefix(40))'", param: "logit_bias") }
            bias[id] = value
        }
        let p = SamplingParameters(temperature: temperature ?? 1, topK: top_k ?? 0, topP: top_p ?? 1, minP: min_p ?? 0,
                                   repetitionPenalty: repetition_penalty ?? 1, frequencyPenalty: frequency_penalty ?? 0,
                                   presencePenalty: presence_penalty ?? 0, logitBias: bias, seed: seed.map { UInt64($0) })
        do {
            try p.validate(vocabularySize: vocabularySize)
        } catch {
            switch error {
            case let .invalidParameter(field, reason): throw .invalid("invalid \(field): \(reason)", param: field)
            }
        }
        return p
    }

    func choiceCount(limit: Int) throws(APIError) -> Int {
        let count = n ?? 1
        guard count <= limit else { throw .invalid("n must be at most \(limit) (the server's --parallel)", param: "n") }
        return count
    }
}
