import Foundation
import Llama
import ModelFormats
import TensorKernels
import Tokenizers

/// A model ready to run: transformer weights, tokenizer and chat template, loaded from a
/// GGUF file or a Hugging Face folder.
public final class LoadedModel: Sendable {
    /// The name clients use for it (the file or folder name without extension).
    public let id: String
    public let path: String
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    public let defaultSystemPrompt: String?

    public var config: LlamaConfig { model.config }

    init(path: String, model: LlamaModel, tokenizer: Tokenizer, chatTemplate: ChatTemplate?) {
        self.path = path
        var name = URL(fileURLWithPath: path).lastPathComponent
        if name.hasSuffix(".gguf") { name.removeLast(5) }
        id = name
        self.model = model
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        defaultSystemPrompt = chatTemplate?.defaultSystemPrompt(jinja: tokenizer.chatTemplateSource)
    }

    /// The same weights, tokenizer and template, computing on `pool` (the job runner trains on
    /// an idle-priority pool beside the server's).
    public func computing(on pool: ComputePool) -> LoadedModel {
        LoadedModel(path: path, model: LlamaModel(config: config, weights: model.weights, pool: pool, integerProducts: model.integerProducts),
                    tokenizer: tokenizer, chatTemplate: chatTemplate)
    }

    /// Loads `path`: a `.gguf` file, or a folder with `config.json` and safetensors weights.
    /// `chatTemplate` overrides the template detected from the model's metadata. The model
    /// multiplies in integers (`LlamaModel.integerProducts`) unless `integerProducts` is false.
    public static func load(path: String, chatTemplate: String? = nil, threads: Int? = nil, integerProducts: Bool = true) throws -> LoadedModel {
        let pool = threads.map { ComputePool(threads: $0) } ?? .shared
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFormatError.cannotOpen(path: path, reason: "no such file or directory")
        }
        let model: LlamaModel, tokenizer: Tokenizer
        if isDirectory.boolValue {
            (model, tokenizer) = try loadHuggingFace(folder: path, pool: pool, integerProducts: integerProducts)
        } else {
            let gguf = try GGUFFile(path: path)
            let config = try LlamaConfig(gguf: gguf)
            model = LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config), pool: pool, integerProducts: integerProducts)
            tokenizer = try Tokenizer.load(gguf: gguf)
        }
        let template = try chatTemplate.map { try ChatTemplate(name: $0) } ?? ChatTemplate.detect(jinja: tokenizer.chatTemplateSource)
        return LoadedModel(path: path, model: model, tokenizer: tokenizer, chatTemplate: template)
    }

    /// The tokenizer of `path` alone (a `.gguf` file, weights or none as in llama.cpp's
    /// `ggml-vocab-*.gguf`, or a Hugging Face folder), without reading any weights.
    public static func tokenizer(path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFormatError.cannotOpen(path: path, reason: "no such file or directory")
        }
        return isDirectory.boolValue ? try Tokenizer.load(huggingFaceFolder: path) : try Tokenizer.load(gguf: try GGUFFile(path: path))
    }

    /// Token ids of a chat conversation rendered with the model's template, ready for the
    /// assistant's reply. Special tokens come only from the template, never from message text.
    public func chatPrompt(_ messages: [ChatMessage]) throws -> [Int] {
        guard let template = chatTemplate else { throw InferenceError.noChatTemplate(model: id) }
        let segments = try template.render(messages: messages, addGenerationPrompt: true, defaultSystem: defaultSystemPrompt)
        return try tokenizer.encode(segments: segments, addBOS: tokenizer.addBOSDefault && !template.rendersBOS)
    }

    /// Token ids of a plain-text prompt (BOS added when the model asks for it).
    public func textPrompt(_ text: String) -> [Int] {
        tokenizer.encode(text, addBOS: tokenizer.addBOSDefault)
    }
}

public enum InferenceError: Error, CustomStringConvertible, Equatable {
    case noChatTemplate(model: String)
    case emptyPrompt
    case promptTooLong(tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case let .noChatTemplate(m): "model '\(m)' has no recognised chat template; choose one with --chat-template (llama2, chatml, zephyr, llama3)"
        case .emptyPrompt: "the prompt is empty"
        case let .promptTooLong(n, limit): "the prompt has \(n) tokens but the context holds \(limit)"
        }
    }
}
