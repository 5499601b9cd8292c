import Foundation
import ModelFormats
import Tokenizers
import Training

/// What to do with a conversation longer than the sequence length.
public enum OverLengthPolicy: String, Sendable, Codable {
    /// Keep its first tokens (counted in `TrainingDataset.truncatedCount`).
    case truncate
    /// Fail, naming the file and line.
    case reject
}

/// Turns training files into examples for one model's tokenizer and chat template.
///
/// - `.txt` and `.md` files, and `{"text": ...}` lines of `.jsonl` files, are plain-text
///   documents: each is tokenised (with BOS if the model uses one) and followed by EOS, all
///   documents are joined into one stream, and the stream is cut into windows (`TextWindows`).
/// - `{"passage": ...}` lines are texts trained each as its own sequence, from its start.
/// - `{"messages": [...]}` and `{"prompt": ..., "completion": ...}` lines are conversations,
///   rendered exactly as the server renders a chat prompt (`TrainingRecord`, `chatExample`).
public struct TrainingDataLoader: Sendable {
    public let tokenizer: Tokenizer
    /// nil when the model has no recognised chat template: conversations are then refused.
    public let chatTemplate: ChatTemplate?
    /// The system prompt the template inserts when a conversation has none, as at inference.
    public let defaultSystemPrompt: String?
    public let sequenceLength: Int
    /// Tokens each text window shares with the one before it.
    public let overlap: Int
    public let overLength: OverLengthPolicy

    /// `chatTemplate` overrides the one detected from the tokenizer's Jinja template, as
    /// `LoadedModel.load(chatTemplate:)` does (pass a loaded model's `chatTemplate`).
    public init(tokenizer: Tokenizer, chatTemplate: ChatTemplate? = nil, sequenceLength: Int, overlap: Int = 0, overLength: OverLengthPolicy = .truncate) {
        precondition(sequenceLength >= 2, "a training sequence needs at least 2 tokens")
        precondition((0..<sequenceLength).contains(overlap), "the overlap must be below the sequence length")
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate ?? ChatTemplate.detect(jinja: tokenizer.chatTemplateSource)
        defaultSystemPrompt = self.chatTemplate?.defaultSystemPrompt(jinja: tokenizer.chatTemplateSource)
        self.sequenceLength = sequenceLength
        self.overlap = overlap
        self.overLength = overLength
    }

    /// Reads `paths` in order: text windows first, then conversations in file and line order.
    /// A separate validation set is another `load`; or hold out part with `TrainingDataset.split`.
    public func load(_ paths: [String]) throws(TrainingDataError) -> TrainingDataset {
        var stream = [Int]()
        var conversations = [TrainingExample](), truncated = [Bool](), selfDistilled = [Bool]()
        var files = [TrainingFile]()
        for path in paths {
            let isJSONL = try Self.isJSONL(path)
            let bytes = try Self.readText(path)
            var records = 0
            func add(_ record: TrainingRecord) throws(TrainingDataError.Problem) {
                records += 1
                switch record {
                case let .document(text):
                    stream += tokenizer.encode(text, addBOS: tokenizer.addBOSDefault)
                    if let eos = tokenizer.eosID { stream.append(eos) }
                case let .passage(text):
                    var tokens = tokenizer.encode(text, addBOS: tokenizer.addBOSDefault)
                    if let eos = tokenizer.eosID { tokens.append(eos) }
                    let isLong = tokens.count > sequenceLength
                    tokens = Array(tokens.prefix(sequenceLength))
                    conversations.append(TrainingExample(tokens: tokens, lossMask: tokens.indices.map { $0 > 0 }))
                    truncated.append(isLong)
                    selfDistilled.append(false)
                case let .conversation(messages, learned, ownAnswers):
                    var example = try chatExample(messages, learned: learned)
                    let isLong = example.tokens.count > sequenceLength
                    if isLong {
                        guard overLength == .truncate else { throw .tooLong(tokens: example.tokens.count, limit: sequenceLength) }
                        example = TrainingExample(tokens: Array(example.tokens.prefix(sequenceLength)), lossMask: Array(example.lossMask.prefix(sequenceLength)))
                        guard example.lossTokenCount > 0 else { throw .nothingLeftToLearn(tokens: example.tokens.count, limit: sequenceLength) }
                    }
                    conversations.append(example)
                    truncated.append(isLong)
                    selfDistilled.append(ownAnswers)
                }
            }
            if isJSONL {
                for (i, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.allSatisfy(Self.isSpace) {
                    do throws(TrainingDataError.Problem) { try add(TrainingRecord(jsonLine: line)) } catch { throw TrainingDataError(path: path, line: i + 1, problem: error) }
                }
            } else {
                do throws(TrainingDataError.Problem) { try add(.document(String(decoding: bytes, as: UTF8.self))) } catch { throw TrainingDataError(path: path, problem: error) }
            }
            files.append(TrainingFile(path: path, sha256: FileDigest.sha256(bytes), records: records))
        }
        let windows = TextWindows.examples(stream: stream, length: sequenceLength, overlap: overlap)
        let none = [Bool](repeating: false, count: windows.count)
        return TrainingDataset(examples: windows + conversations, truncated: none + truncated, selfDistilled: none + selfDistilled, files: files)
    }

    /// Whether `path` is JSONL (else plain text), by its extension.
    private static func isJSONL(_ path: String) throws(TrainingDataError) -> Bool {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "jsonl": true
        case "txt", "md": false
        case let ext: throw TrainingDataError(path: path, problem: .unsupportedExtension(ext))
        }
    }

    /// A `.txt`/`.md` document's text, checked as `load` checks it.
    public static func readDocument(_ path: String) throws(TrainingDataError) -> (text: String, sha256: String) {
        let bytes = try readText(path)
        return (String(decoding: bytes, as: UTF8.self), FileDigest.sha256(bytes))
    }

    /// Whether `load` reads `path` as a plain-text document (`.txt`, `.md`).
    public static func isDocument(_ path: String) -> Bool {
        ["txt", "md"].contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// The file's bytes, checked to be non-blank UTF-8.
    private static func readText(_ path: String) throws(TrainingDataError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw TrainingDataError(path: path, problem: .cannotRead(reason: error.localizedDescription))
        }
        guard !bytes.allSatisfy(isSpace) else { throw TrainingDataError(path: path, problem: .empty) }
        if let offset = firstInvalidUTF8(bytes) { throw TrainingDataError(path: path, problem: .invalidUTF8(byteOffset: offset)) }
        return bytes
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Where the first invalid UTF-8 sequence starts, or nil if there is none.
    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var input = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &input) {
            case let .valid(scalar): offset += scalar.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
