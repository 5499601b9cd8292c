import Foundation
import Tokenizers

/// One line of a JSONL training file: a plain-text document or a conversation.
enum TrainingRecord {
    case document(String)
    /// A short text trained as its own sequence from its first token, not joined with others
    /// (a prepared fact view: each fact learned without the text before it).
    case passage(String)
    /// `learned`: indices of the assistant messages whose replies count in the loss.
    /// `selfDistilled`: the answers are the base model's own (a prepared file's `"kind": "general"`
    /// line), so training may take the model's distributions along them as its targets.
    case conversation([ChatMessage], learned: [Int], selfDistilled: Bool)

    typealias Problem = TrainingDataError.Problem

    static let roles: Set<String> = ["system", "user", "assistant"]

    /// Parses `{"passage": ...}`, `{"messages": [...]}` (OpenAI's fine-tuning format, with the optional per-message
    /// `"weight": 0 | 1`), `{"prompt": ..., "completion": ...}` or `{"text": ...}`.
    /// A prompt and completion become a user message and the assistant's answer, so they are
    /// trained in the chat format the server prompts with (and its default system prompt).
    init(jsonLine: some Sequence<UInt8>) throws(Problem) {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(jsonLine))
        } catch {
            throw .malformedJSON((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")
        }
        guard let object = value as? [String: Any] else { throw .malformedJSON("a line must be a JSON object") }
        if let messages = object["messages"] {
            self = try Self.conversation(messages, selfDistilled: object["kind"] as? String == "general")
        } else if object["prompt"] != nil || object["completion"] != nil {
            let prompt = try Self.string(object["prompt"], "'prompt'"), completion = try Self.string(object["completion"], "'completion'")
            self = .conversation([ChatMessage(role: "user", content: prompt), ChatMessage(role: "assistant", content: completion)], learned: [1],
                                 selfDistilled: false)
        } else if let text = object["passage"] {
            self = .passage(try Self.string(text, "'passage'"))
        } else if let text = object["text"] {
            self = .document(try Self.string(text, "'text'"))
        } else {
            throw .noExample
        }
    }

    private static func conversation(_ value: Any, selfDistilled: Bool) throws(Problem) -> TrainingRecord {
        guard let list = value as? [Any] else { throw .invalidField("'messages'", expected: "an array") }
        var messages = [ChatMessage](), learned = [Int]()
        for (i, item) in list.enumerated() {
            guard let m = item as? [String: Any] else { throw .invalidField("message \(i + 1)", expected: "an object") }
            let role = try string(m["role"], "'role' of message \(i + 1)")
            guard roles.contains(role) else { throw .unknownRole(role) }
            messages.append(ChatMessage(role: role, content: try string(m["content"], "'content' of message \(i + 1)")))
            var weight = 1.0
            if let w = m["weight"] {
                guard let number = w as? Double, number == 0 || number == 1 else { throw .invalidField("'weight' of message \(i + 1)", expected: "0 or 1") }
                weight = number
            }
            if role == "assistant", weight == 1 { learned.append(i) }
        }
        guard !learned.isEmpty else { throw .noAssistantMessage }
        return .conversation(messages, learned: learned, selfDistilled: selfDistilled)
    }

    private static func string(_ value: Any?, _ field: String) throws(Problem) -> String {
        guard let s = value as? String else { throw .invalidField(field, expected: "a string") }
        return s
    }
}
