import Foundation
import Sampling
import Tokenizers

/// A string or a list of strings (OpenAI's `stop`, `prompt`).
enum StringOrList: Decodable, Sendable {
    case one(String)
    case many([String])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .one(s); return }
        self = .many(try c.decode([String].self))
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
            debugDescription: "must be a string, an array of strings, an array of token ids or an array of such arrays"))
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
        if c.decodeNil() { text = ""; return }
        if let s = try? c.decode(String.self) { text = s; return }
        let parts = try c.decode([Part].self)
        for p in parts where p.type != "text" {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "content part type '\(p.type)' is not supported (only 'text')"))
        }
        text = parts.compactMap(\.text).joined()
    }
}

struct StreamOptions: Decodable, Sendable {
    var include_usage: Bool?
}

/// Fields shared by /v1/chat/completions and /v1/completions.
protocol SamplingFields {
    var model: String { get }
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
    var user: String?
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
}

extension SamplingFields {
    /// Sampling parameters, checked against OpenAI's ranges (errors name the field).
    func samplingParameters(vocabularySize: Int) throws(APIError) -> SamplingParameters {
        var bias = [Int: Float]()
        for (key, value) in logit_bias ?? [:] {
            guard let id = Int(key) else { throw .invalid("logit_bias keys must be token ids, got '\(key)'", param: "logit_bias") }
            bias[id] = value
        }
        if let seed, seed < 0 { throw .invalid("seed must be non-negative", param: "seed") }
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

    /// Stop strings: at most 4, as OpenAI allows.
    func stopStrings() throws(APIError) -> [String] {
        let stops = stop?.values ?? []
        guard stops.count <= 4 else { throw .invalid("at most 4 stop sequences are allowed", param: "stop") }
        return stops
    }

    func choiceCount(limit: Int) throws(APIError) -> Int {
        let count = n ?? 1
        guard count >= 1 else { throw .invalid("n must be at least 1", param: "n") }
        guard count <= limit else { throw .invalid("n must be at most \(limit) (the server's --parallel)", param: "n") }
        return count
    }
}
