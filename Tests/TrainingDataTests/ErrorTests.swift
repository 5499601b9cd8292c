import Foundation
import Testing
import TestSupport
@testable import TrainingData
import Training

/// Every refusal names the file and, for JSONL, the line (blank lines count as lines).
@Suite struct ErrorTests {
    typealias Problem = TrainingDataError.Problem
    static let valid = #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#

    func loader(sequenceLength: Int = 256, overLength: OverLengthPolicy = .truncate) throws -> TrainingDataLoader {
        TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: sequenceLength, overLength: overLength)
    }

    /// The error for a file whose third line is `line`, between valid ones.
    func error(line: String, loader: TrainingDataLoader? = nil) throws -> (path: String, error: TrainingDataError) {
        let path = TestFiles.write("data.jsonl", [Self.valid, "", line, Self.valid].joined(separator: "\n"))
        let error = try #require(throws: TrainingDataError.self) { try (loader ?? self.loader()).load([path]) }
        return (path, error)
    }

    static let lineProblems: [(String, Problem)] = [
        ("[1, 2]", .malformedJSON("a line must be a JSON object")),
        (#"{"input": "x"}"#, .noExample),
        (#"{"messages": "Hi"}"#, .invalidField("'messages'", expected: "an array")),
        (#"{"messages": ["Hi"]}"#, .invalidField("message 1", expected: "an object")),
        (#"{"messages": [{"content": "Hi"}]}"#, .invalidField("'role' of message 1", expected: "a string")),
        (#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "tool", "content": "42"}]}"#, .unknownRole("tool")),
        (#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": 5}]}"#, .invalidField("'content' of message 2", expected: "a string")),
        (#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": null}]}"#, .invalidField("'content' of message 2", expected: "a string")),
        (#"{"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}"#, .invalidField("'content' of message 1", expected: "a string")),
        (#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 0.5}]}"#, .invalidField("'weight' of message 2", expected: "0 or 1")),
        (#"{"messages": [{"role": "user", "content": "Hi"}]}"#, .noAssistantMessage),
        (#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 0}]}"#, .noAssistantMessage),
        (#"{"prompt": "Hi"}"#, .invalidField("'completion'", expected: "a string")),
        (#"{"prompt": "Hi", "completion": 1}"#, .invalidField("'completion'", expected: "a string")),
        (#"{"text": 3}"#, .invalidField("'text'", expected: "a string")),
        (#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}"#,
         .cannotRender("invalid conversation: message 2 has role 'user', expected 'assistant' (an optional system message first, then user and assistant alternating)")),
        // Tokenised together, "assistant\n" + "\n\nHello" splits as "\n\n" "\n": not the server's prompt.
        (#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "\n\nHello"}]}"#, .replyChangesPrompt(message: 2)),
    ]

    @Test(arguments: lineProblems)
    func lineProblem(line: String, problem: Problem) throws {
        let (path, error) = try error(line: line)
        #expect(error == TrainingDataError(path: path, line: 3, problem: problem))
    }

    @Test func malformedJSON() throws {
        let (path, error) = try error(line: #"{"messages": [}"#)
        guard case .malformedJSON = error.problem else { Issue.record("\(error)"); return }
        #expect(error.line == 3 && error.path == path)
        #expect(error.description.hasPrefix("\(path):3: malformed JSON: "))
    }

    @Test func descriptionNamesFileAndLine() throws {
        let (path, error) = try error(line: #"{"messages": [{"role": "tool", "content": "42"}]}"#)
        #expect(error.description == "\(path):3: unknown role 'tool' (expected system, user or assistant)")
    }

    @Test func emptyFiles() throws {
        for (name, text) in [("a.txt", ""), ("b.md", " \n\t\n"), ("c.jsonl", "\n\n")] {
            let path = TestFiles.write(name, text)
            #expect(throws: TrainingDataError(path: path, problem: .empty)) { try loader().load([path]) }
        }
    }

    /// The offset is in the file, whatever its format.
    @Test func invalidUTF8() throws {
        let txt = TestFiles.write("a.txt", [0x61, 0xC3, 0xA9, 0x62, 0xC3, 0x28])
        #expect(throws: TrainingDataError(path: txt, problem: .invalidUTF8(byteOffset: 4))) { try loader().load([txt]) }
        let jsonl = TestFiles.write("b.jsonl", Array((Self.valid + "\n").utf8) + [0xFF] + Array(Self.valid.utf8))
        #expect(throws: TrainingDataError(path: jsonl, problem: .invalidUTF8(byteOffset: Self.valid.utf8.count + 1))) { try loader().load([jsonl]) }
    }

    @Test func unsupportedOrMissingFiles() throws {
        for (name, ext) in [("data.csv", "csv"), ("data.json", "json"), ("data", "")] {
            let path = TestFiles.write(name, "text")
            #expect(throws: TrainingDataError(path: path, problem: .unsupportedExtension(ext))) { try loader().load([path]) }
        }
        let missing = temporaryDirectory() + "/missing.txt"
        let error = try #require(throws: TrainingDataError.self) { try loader().load([missing]) }
        guard case .cannotRead = error.problem else { Issue.record("\(error)"); return }
        #expect(error.path == missing && error.line == nil)
    }

    /// Llama-2's vocabulary file has no chat template: text trains, conversations cannot.
    @Test func noChatTemplate() throws {
        let loader = TrainingDataLoader(tokenizer: try TestFiles.llama2(), sequenceLength: 64)
        #expect(loader.chatTemplate == nil)
        let (path, error) = try error(line: #"{"text": "Hi"}"#, loader: loader)
        #expect(error == TrainingDataError(path: path, line: 1, problem: .noChatTemplate))
        #expect(try loader.load([TestFiles.jsonl([["text": "Hi"]])]).examples.count == 1)
    }

    /// With SmolLM2's default system prompt, "Hi" answered "Hello" is 34 tokens:
    /// "Hello" and <|im_end|> at 31 and 32, then a newline.
    @Test func overLengthConversations() throws {
        let (path, error) = try error(line: Self.valid, loader: loader(sequenceLength: 33, overLength: .reject))
        #expect(error == TrainingDataError(path: path, line: 1, problem: .tooLong(tokens: 34, limit: 33)))

        let full = try loader().load([TestFiles.jsonl([["prompt": "Hi", "completion": "Hello"]])]).examples[0]
        #expect(full.tokens.count == 34 && full.lossPositions == [31, 32])
        let data = try loader(sequenceLength: 32).load([TestFiles.jsonl([["prompt": "Hi", "completion": "Hello"], ["text": "Hi"]])])
        #expect(data.truncatedCount == 1)
        #expect(data.examples.count == 2)
        #expect(data.examples[1] == TrainingExample(tokens: Array(full.tokens.prefix(32)), lossMask: Array(full.lossMask.prefix(32))))
        #expect(data.examples[1].lossPositions == [31])
        // Cut before its answer, a conversation is refused even when truncating.
        let (cutPath, cut) = try self.error(line: Self.valid, loader: loader(sequenceLength: 31))
        #expect(cut == TrainingDataError(path: cutPath, line: 1, problem: .nothingLeftToLearn(tokens: 31, limit: 31)))
    }
}
