/// Everything that can go wrong loading a tokenizer or preparing a prompt.
/// Errors about files name the file and say what is wrong with it.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case malformed(path: String, detail: String)
    case unsupported(path: String, detail: String)
    case noVocabulary(folder: String)
    case unknownSpecialToken(String)
    case unknownChatTemplate(String)
    case invalidConversation(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): "\(path): cannot read: \(reason)"
        case let .malformed(path, detail): "\(path): malformed tokenizer: \(detail)"
        case let .unsupported(path, detail): "\(path): unsupported tokenizer: \(detail)"
        case let .noVocabulary(folder): "\(folder): no tokenizer.model or tokenizer.json"
        case let .unknownSpecialToken(name): "'\(name)' is not a special token of this vocabulary"
        case let .unknownChatTemplate(name): "unknown chat template '\(name)' (known: \(ChatTemplate.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .invalidConversation(detail): "invalid conversation: \(detail)"
        }
    }
}
