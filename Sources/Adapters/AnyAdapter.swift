import Foundation
import Llama

/// An adapter of any method Lorekeeper trains and serves: LoRA matrices, or prompt- or
/// prefix-tuning virtual tokens.
public enum AnyAdapter: Sendable {
    case lora(AdapterWeights)
    case promptLearning(PromptLearningWeights)

    /// Reads the adapter at `path`: a PEFT folder of any of the methods (its `peft_type` says
    /// which) or a GGUF LoRA file.
    public static func load(path: String, config: LlamaConfig) throws(AdapterError) -> AnyAdapter {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
           let data = FileManager.default.contents(atPath: path + "/" + PEFTAdapter.configFile),
           let json = try? JSONDecoder().decode([String: JSONField].self, from: data),
           case let .string(type)? = json["peft_type"], PromptLearningWeights.Method(rawValue: type) != nil {
            return .promptLearning(try PromptLearningWeights.read(folder: path, config: config))
        }
        return .lora(try AdapterFile.load(path: path, config: config))
    }

    /// Writes a PEFT folder with `extraFiles` beside the adapter.
    public func write(to folder: String, config: LlamaConfig, extraFiles: [String: [UInt8]] = [:]) throws(AdapterError) {
        switch self {
        case let .lora(weights): try AdapterFile.write(weights, format: .peft, to: folder, config: config, extraFiles: extraFiles)
        case let .promptLearning(weights): try weights.write(to: folder, config: config, extraFiles: extraFiles)
        }
    }

    public var baseModel: String? {
        get {
            switch self {
            case let .lora(w): w.baseModel
            case let .promptLearning(w): w.baseModel
            }
        }
        set {
            switch self {
            case var .lora(w): w.baseModel = newValue; self = .lora(w)
            case var .promptLearning(w): w.baseModel = newValue; self = .promptLearning(w)
            }
        }
    }
}
