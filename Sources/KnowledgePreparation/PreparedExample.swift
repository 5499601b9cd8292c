import Foundation
import Tokenizers

/// One derived training example, as one line of a prepared JSONL file that
/// `TrainingDataLoader` reads: `{"passage": ...}` (a text trained from its own start) or
/// `{"messages": [...]}` (loss on the assistant's answer), with its kind and generator.
public struct PreparedExample: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Sentences from a sentence boundary on: each fact learned without the text before it.
        case factView = "fact-view"
        /// Paragraphs in another order than the document's.
        case paragraphView = "paragraph-view"
        /// A synthesised question answered by the fact in a full sentence.
        case question
        /// A synthesised question as the server grounds it ("Document: …\n\nQuestion: …").
        case groundedQuestion = "grounded-question"
        /// "Tell me about X", answered by the passage.
        case overview
        /// General instructions answered by the base model itself, so that it keeps them.
        case general
    }

    public var kind: Kind
    /// "rules", "model:<id>" (model-written questions) or "self:<id>" (self-distilled).
    public var generator: String?
    public var passage: String?
    public var messages: [ChatMessage]?

    public static func passage(_ text: String, _ kind: Kind) -> PreparedExample {
        PreparedExample(kind: kind, generator: nil, passage: text, messages: nil)
    }

    public static func chat(_ question: String, _ answer: String, _ kind: Kind, generator: String?) -> PreparedExample {
        PreparedExample(kind: kind, generator: generator, passage: nil,
                        messages: [ChatMessage(role: "user", content: question), ChatMessage(role: "assistant", content: answer)])
    }

    /// The JSONL file's bytes: one example per line, keys sorted.
    public static func jsonl(_ examples: [PreparedExample]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = [UInt8]()
        for e in examples {
            out += try! encoder.encode(e)  // Strings and enums only: encoding cannot fail.
            out.append(0x0A)
        }
        return out
    }

    /// Parses a prepared file (as `jsonl` writes it); unknown or broken lines are an error.
    public static func parse(jsonl bytes: [UInt8], path: String) throws -> [PreparedExample] {
        let decoder = JSONDecoder()
        return try bytes.split(separator: 0x0A).enumerated().map { i, line in
            do { return try decoder.decode(PreparedExample.self, from: Data(line)) } catch {
                throw KnowledgePreparationError.unreadablePrepared(path: path, line: i + 1, reason: "\(error)")
            }
        }
    }

    /// Examples of each kind, by the kind's name.
    public static func counts(_ examples: [PreparedExample]) -> [String: Int] {
        examples.reduce(into: [:]) { $0[$1.kind.rawValue, default: 0] += 1 }
    }
}

public enum KnowledgePreparationError: Error, CustomStringConvertible, Equatable {
    case nothingToLearn(path: String)
    case unreadablePrepared(path: String, line: Int, reason: String)
    case invalidSettings(String)

    public var description: String {
        switch self {
        case let .nothingToLearn(path): "\(path): no sentences to learn from (only headings or markup?)"
        case let .unreadablePrepared(path, line, reason): "\(path):\(line): not a prepared example: \(reason)"
        case let .invalidSettings(why): "invalid knowledge-preparation settings: \(why)"
        }
    }
}
