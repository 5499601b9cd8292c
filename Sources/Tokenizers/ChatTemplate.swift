/// One turn of a conversation.
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// The chat prompt formats the server can render, recognised from a model's Jinja template.
/// Rendering yields prompt segments, so message text can never become a special token.
public enum ChatTemplate: String, Sendable, CaseIterable {
    case llama2, chatml, zephyr, llama3

    /// For a command-line override: `llama2|chatml|zephyr|llama3`.
    public init(name: String) throws {
        guard let t = ChatTemplate(rawValue: name.lowercased()) else { throw TokenizerError.unknownChatTemplate(name) }
        self = t
    }

    /// The format a Jinja template writes, recognised by its distinctive markers; nil if none.
    public static func detect(jinja: String?) -> ChatTemplate? {
        guard let j = jinja else { return nil }
        if j.contains("<|start_header_id|>") { return .llama3 }
        if j.contains("<|im_start|>") { return .chatml }
        if j.contains("[INST]") || j.contains("<<SYS>>") { return .llama2 }
        if j.contains("<|user|>"), j.contains("</s>") { return .zephyr }
        return nil
    }

    /// Markers around a system message in this format.
    private var systemMarkers: (open: String, close: String) {
        switch self {
        case .llama2: ("<<SYS>>\n", "\n<</SYS>>")
        case .chatml: ("<|im_start|>system\n", "<|im_end|>")
        case .zephyr: ("<|system|>\n", "</s>")
        case .llama3: ("<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>")
        }
    }

    /// The system prompt a Jinja template inserts when the conversation has none, if the
    /// template spells it as a literal (SmolLM2: "You are a helpful AI assistant named
    /// SmolLM, trained by Hugging Face"). Newlines may be written as `\n` escapes.
    public func defaultSystemPrompt(jinja: String?) -> String? {
        guard let j = jinja?.replacingEscapedNewlines() else { return nil }
        let (open, close) = systemMarkers
        guard let start = j.firstRange(of: open), let end = j[start.upperBound...].firstRange(of: close) else { return nil }
        let body = j[start.upperBound..<end.lowerBound]
        // A literal only: no quotes, expressions or statements inside.
        guard !body.isEmpty, !body.contains(where: { "'\"{}+".contains($0) }) else { return nil }
        return String(body)
    }

    /// Whether the rendered prompt starts with the BOS token itself (then do not add another).
    public var rendersBOS: Bool { self == .llama2 || self == .llama3 }

    /// The prompt for `messages`: an optional system message first, then user and assistant
    /// turns alternating from user. `defaultSystem` is used when there is no system message.
    /// With `addGenerationPrompt` the last message must be the user's, and the prompt ends
    /// where the assistant's answer begins.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, defaultSystem: String? = nil) throws -> [PromptSegment] {
        var system: String? = defaultSystem
        var turns = messages[...]
        if let first = turns.first, first.role == "system" {
            system = first.content
            turns = turns.dropFirst()
        }
        for (i, m) in turns.enumerated() {
            let expected = i % 2 == 0 ? "user" : "assistant"
            guard m.role == expected else {
                throw TokenizerError.invalidConversation("message \(i + messages.count - turns.count + 1) has role '\(m.role)', expected '\(expected)' (an optional system message first, then user and assistant alternating)")
            }
        }
        guard !turns.isEmpty else { throw TokenizerError.invalidConversation("there is no user message") }
        if addGenerationPrompt, turns.last?.role != "user" {
            throw TokenizerError.invalidConversation("a generation prompt needs the conversation to end with a user message")
        }
        switch self {
        case .llama2: return llama2(system: system, turns: Array(turns))
        case .chatml:
            var out = [PromptSegment]()
            let all = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + turns
            for m in all { out += [.special("<|im_start|>"), .text("\(m.role)\n\(m.content)"), .special("<|im_end|>"), .text("\n")] }
            if addGenerationPrompt { out += [.special("<|im_start|>"), .text("assistant\n")] }
            return out
        case .zephyr:
            // Zephyr's role tags are plain text in its vocabulary; only </s> is special.
            var out = [PromptSegment]()
            let all = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + turns
            for m in all { out += [.text("<|\(m.role)|>\n\(m.content)"), .special("</s>"), .text("\n")] }
            if addGenerationPrompt { out.append(.text("<|assistant|>\n")) }
            return out
        case .llama3:
            var out: [PromptSegment] = [.special("<|begin_of_text|>")]
            let all = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + turns
            for m in all {
                out += [.special("<|start_header_id|>"), .text(m.role), .special("<|end_header_id|>"), .text("\n\n\(m.content)"), .special("<|eot_id|>")]
            }
            if addGenerationPrompt { out += [.special("<|start_header_id|>"), .text("assistant"), .special("<|end_header_id|>"), .text("\n\n")] }
            return out
        }
    }

    /// Meta's Llama-2 format: `<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {answer} </s>`
    /// per exchange, the system block inside the first instruction only.
    private func llama2(system: String?, turns: [ChatMessage]) -> [PromptSegment] {
        var out = [PromptSegment]()
        var i = 0
        while i < turns.count {
            var user = turns[i].content
            if i == 0, let system { user = "<<SYS>>\n\(system)\n<</SYS>>\n\n" + user }
            out += [.special("<s>"), .text("[INST] \(user) [/INST]")]
            if i + 1 < turns.count {
                out += [.text(" \(turns[i + 1].content) "), .special("</s>")]
            }
            i += 2
        }
        return out
    }
}

extension String {
    /// Turns the two characters `\n` into a newline (Jinja string-literal escapes).
    fileprivate func replacingEscapedNewlines() -> String {
        var out = ""
        var it = self.makeIterator()
        while let c = it.next() {
            if c == "\\" {
                guard let d = it.next() else { out.append(c); break }
                if d == "n" { out.append("\n") } else { out.append(c); out.append(d) }
            } else {
                out.append(c)
            }
        }
        return out
    }
}
