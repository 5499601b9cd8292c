/// How a chat question is put beside the passages that ground it. The server asks with it, and
/// training's grounded questions are written with it, so an adapter learns to read exactly what
/// it is served.
public enum GroundedPrompt {
    public static func text(question: String, passages: [String]) -> String {
        "Document: " + passages.joined(separator: "\n") + "\n\nQuestion: " + question
    }
}
