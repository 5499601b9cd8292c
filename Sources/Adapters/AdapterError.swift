import Llama
import ModelFormats

/// Everything that can be wrong with an adapter file or folder, or with writing one.
/// Every case names the file; shapes are rows × columns as PyTorch shows them.
public enum AdapterError: Error, CustomStringConvertible, Equatable {
    case notAnAdapter(path: String, reason: String)
    case missingFile(path: String, hint: String)
    /// A configuration value that is malformed, or asks for something other than plain LoRA.
    case invalidConfig(path: String, key: String, problem: String)
    case unknownTargetModule(path: String, module: String)
    case unexpectedTensor(path: String, tensor: String, reason: String)
    case missingTensor(path: String, tensor: String)
    case rankMismatch(path: String, tensor: String, expected: Int, found: Int)
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    case layerOutOfRange(path: String, tensor: String, layer: Int, layerCount: Int)
    case nonFinite(path: String, tensor: String)
    case unsupportedTensorType(path: String, tensor: String, type: String)
    /// The file itself is unreadable or malformed (truncated, bad header, ...).
    case unreadable(ModelFormatError)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "×") }
        switch self {
        case let .notAnAdapter(path, reason): return "\(path): not a LoRA adapter: \(reason)"
        case let .missingFile(path, hint): return "\(path): missing\(hint.isEmpty ? "" : " (\(hint))")"
        case let .invalidConfig(path, key, problem): return "\(path): '\(key)' \(problem)"
        case let .unknownTargetModule(path, m):
            return "\(path): unknown target module '\(m)' (supported: \(Projection.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .unexpectedTensor(path, t, reason): return "\(path): unexpected tensor '\(t)': \(reason)"
        case let .missingTensor(path, t): return "\(path): missing tensor '\(t)'"
        case let .rankMismatch(path, t, e, f): return "\(path): tensor '\(t)' has rank \(f), expected \(e)"
        case let .shapeMismatch(path, t, e, f):
            return "\(path): tensor '\(t)' is \(shape(f)), the model needs \(shape(e)) (is this adapter for another base model?)"
        case let .layerOutOfRange(path, t, l, n): return "\(path): tensor '\(t)' is for layer \(l), the model has \(n) layers"
        case let .nonFinite(path, t): return "\(path): tensor '\(t)' holds NaN or infinite values"
        case let .unsupportedTensorType(path, t, type): return "\(path): tensor '\(t)' has type \(type) (supported: F32, F16, BF16, Q8_0)"
        case let .unreadable(e): return e.description
        case let .cannotWrite(path, reason): return "\(path): cannot write the adapter: \(reason)"
        }
    }
}
