/// A piece of a prompt: plain text (tokenized as text, whatever it contains) or a special
/// token named by its piece (`"<|im_start|>"`, `"<s>"`).
public enum PromptSegment: Sendable, Equatable {
    case text(String)
    case special(String)

    /// The segment as it reads in a rendered prompt.
    public var text: String {
        switch self {
        case let .text(t), let .special(t): t
        }
    }
}
