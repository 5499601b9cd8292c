import Tokenizers
import Training

extension TrainingDataLoader {
    /// The whole conversation as the server would render it, in the loss for each learned
    /// reply: from where the server's generation prompt for that reply ends, up to and
    /// including the end-of-turn token the model must produce to stop (`<|im_end|>`, `</s>`).
    /// Nothing of system or user messages or of the template's markers before a reply counts.
    func chatExample(_ messages: [ChatMessage], learned: [Int]) throws(TrainingDataError.Problem) -> TrainingExample {
        let tokens = try chatTokens(messages, generationPrompt: false)
        var mask = [Bool](repeating: false, count: tokens.count)
        for k in learned {
            let prompt = try chatTokens(Array(messages[..<k]), generationPrompt: true)
            guard tokens.starts(with: prompt) else { throw .replyChangesPrompt(message: k + 1) }
            // Message text never encodes to a control token, so the first end token is the reply's own.
            guard let end = tokens[prompt.count...].firstIndex(where: tokenizer.endOfGenerationIDs.contains) else {
                fatalError("the \(chatTemplate.map(\.rawValue) ?? "") template ended an assistant turn without an end-of-turn token")
            }
            for i in prompt.count...end { mask[i] = true }
        }
        return TrainingExample(tokens: tokens, lossMask: mask)
    }

    /// Token ids of `messages` rendered and encoded as `LoadedModel.chatPrompt` does for inference.
    func chatTokens(_ messages: [ChatMessage], generationPrompt: Bool) throws(TrainingDataError.Problem) -> [Int] {
        guard let template = chatTemplate else { throw .noChatTemplate }
        do {
            let segments = try template.render(messages: messages, addGenerationPrompt: generationPrompt, defaultSystem: defaultSystemPrompt)
            return try tokenizer.encode(segments: segments, addBOS: tokenizer.addBOSDefault && !template.rendersBOS)
        } catch {
            throw .cannotRender("\(error)")
        }
    }
}
