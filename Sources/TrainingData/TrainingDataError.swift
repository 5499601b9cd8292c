/// What is wrong with a training file, where: the file and, for JSONL, the 1-based line.
public struct TrainingDataError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int?
    public var problem: Problem

    public enum Problem: Error, Equatable {
        case cannotRead(reason: String)
        case unsupportedExtension(String)
        case empty
        case invalidUTF8(byteOffset: Int)
        case malformedJSON(String)
        /// A JSONL line with neither `messages`, `prompt` and `completion`, `passage`, nor `text`.
        case noExample
        case unknownRole(String)
        case invalidField(String, expected: String)
        /// No assistant message, or only ones with `"weight": 0`: nothing to learn.
        case noAssistantMessage
        /// The model has no recognised chat template to render conversations with.
        case noChatTemplate
        /// The chat template refused the conversation (role order) or the vocabulary lacks its markers.
        case cannotRender(String)
        /// Tokenised in context, an assistant reply changes the tokens of the prompt before it
        /// (e.g. a reply starting with newlines after ChatML's "assistant\n"), so training
        /// would not see the prompt the server gives the model.
        case replyChangesPrompt(message: Int)
        case tooLong(tokens: Int, limit: Int)
        /// Cut to the sequence length, a conversation would keep none of its answers.
        case nothingLeftToLearn(tokens: Int, limit: Int)
    }

    public init(path: String, line: Int? = nil, problem: Problem) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String {
        "\(line.map { "\(path):\($0)" } ?? path): \(detail)"
    }

    /// What is wrong, without the place.
    public var detail: String {
        switch problem {
        case let .cannotRead(reason): "cannot read: \(reason)"
        case let .unsupportedExtension(ext): "unsupported file type '.\(ext)' (expected .txt, .md or .jsonl)"
        case .empty: "the file is empty or blank"
        case let .invalidUTF8(offset): "invalid UTF-8 at byte \(offset)"
        case let .malformedJSON(detail): "malformed JSON: \(detail)"
        case .noExample: #"expected {"messages": [...]}, {"prompt": ..., "completion": ...}, {"passage": ...} or {"text": ...}"#
        case let .unknownRole(role): "unknown role '\(role)' (expected system, user or assistant)"
        case let .invalidField(field, expected): "\(field) must be \(expected)"
        case .noAssistantMessage: "the conversation has no assistant message to learn (none, or all with weight 0)"
        case .noChatTemplate: "the model has no recognised chat template to render conversations with"
        case let .cannotRender(reason): "cannot render the conversation with the chat template: \(reason)"
        case let .replyChangesPrompt(n): "message \(n) (assistant) merges with the prompt before it when tokenised (does it start with whitespace?)"
        case let .tooLong(tokens, limit): "the conversation has \(tokens) tokens, more than the sequence length \(limit)"
        case let .nothingLeftToLearn(_, limit): "the conversation's answers start after token \(limit) (the sequence length): truncated, it would have nothing to learn"
        }
    }
}
