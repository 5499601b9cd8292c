import Foundation
import Tokenizers

/// Q&A pairs written by the base model itself, one paragraph at a time, kept only when the
/// paragraph supports the answer. Worth it only for instruction-tuned models of about a
/// billion parameters or more: smaller ones invent facts and break the format.
public struct ModelQuestionWriter: Sendable {
    public static let minimumParameters = 1_000_000_000
    /// Share of an answer's content words (and all of its numbers) the paragraph must contain.
    public static let minimumOverlap = 0.75

    /// Recorded as each pair's generator: "model:<id>".
    public let modelID: String

    public init(modelID: String) { self.modelID = modelID }

    public static func canWrite(parameterCount: Int, hasChatTemplate: Bool) -> Bool {
        hasChatTemplate && parameterCount >= minimumParameters
    }

    /// The chat that asks for pairs about `paragraph`, in a format `parse` reads.
    public func prompt(paragraph: String, title: String?) -> [ChatMessage] {
        let source = title.map { "from a document about \($0)" } ?? "from a document"
        return [
            ChatMessage(role: "system", content: "You write quiz questions about a text. Use only facts stated in the text."),
            ChatMessage(role: "user", content: """
            Here is a paragraph \(source):

            \(paragraph)

            Write up to five questions a reader might ask about this paragraph, each with its answer as one full sentence \
            that uses only facts from the paragraph. Name things in full instead of using "it" or "they". \
            Write each pair on two lines exactly like this:
            Q: <question>
            A: <answer>
            """),
        ]
    }

    /// The `Q:`/`A:` pairs of a reply, in order; anything else (numbering, blank lines, chatter) is skipped.
    public static func parse(_ reply: String) -> [(question: String, answer: String)] {
        var pairs = [(String, String)](), question: String?
        for raw in reply.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            while let f = line.first, f.isNumber || ".)-*".contains(f) { line.removeFirst() }
            line = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "**", with: "")
            let lower = line.lowercased()
            if let body = strip(["q:", "question:"], lower, line) {
                question = body.isEmpty ? nil : body
            } else if let body = strip(["a:", "answer:"], lower, line), let q = question, !body.isEmpty {
                pairs.append((q, body))
                question = nil
            }
        }
        return pairs
    }

    private static func strip(_ markers: [String], _ lower: String, _ line: String) -> String? {
        for m in markers where lower.hasPrefix(m) { return line.dropFirst(m.count).trimmingCharacters(in: .whitespaces) }
        return nil
    }

    /// Whether the paragraph states the answer: every number in it, and `minimumOverlap` of
    /// its content words (longer than three letters), appear in the paragraph.
    public static func isSupported(answer: String, by paragraph: String) -> Bool {
        let source = Set(words(paragraph))
        let content = words(answer).filter { $0.count > 3 || $0.contains(where: \.isNumber) }
        guard !content.isEmpty else { return false }
        if content.contains(where: { $0.contains(where: \.isNumber) && !source.contains($0) }) { return false }
        return Double(content.count { source.contains($0) }) >= minimumOverlap * Double(content.count)
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }

    /// The supported pairs `generate` writes about `paragraph`.
    public func questions(paragraph: String, title: String?, generate: ([ChatMessage]) throws -> String) rethrows -> [SynthesizedQuestion] {
        let reply = try generate(prompt(paragraph: paragraph, title: title))
        return Self.parse(reply).filter { Self.isSupported(answer: $0.answer, by: paragraph) && $0.question.hasSuffix("?") }
            .map { SynthesizedQuestion(question: $0.question, answer: $0.answer, rule: "model:\(modelID)") }
    }
}
