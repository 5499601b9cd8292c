/// Everything that can be wrong with a model or adapter file. Every case names the file.
public enum ModelFormatError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, detail: String)
    case badMagic(path: String, found: String)
    case unsupportedVersion(path: String, version: UInt32)
    case malformed(path: String, detail: String)
    case unknownTensorType(path: String, tensor: String, typeID: UInt32)
    case unsupportedTensorType(path: String, tensor: String, type: String)
    case missingMetadata(path: String, key: String)
    case wrongMetadataType(path: String, key: String, expected: String)
    case unsupportedArchitecture(path: String, architecture: String)
    case missingTensor(path: String, tensor: String)
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .truncated(path, detail): return "\(path): file is truncated (\(detail))"
        case let .badMagic(path, found): return "\(path): not a GGUF file (magic \(found))"
        case let .unsupportedVersion(path, v): return "\(path): unsupported GGUF version \(v) (supported: 2, 3)"
        case let .malformed(path, detail): return "\(path): malformed file: \(detail)"
        case let .unknownTensorType(path, t, id): return "\(path): tensor '\(t)' has unknown type id \(id)"
        case let .unsupportedTensorType(path, t, type): return "\(path): tensor '\(t)' has type \(type), which is not supported"
        case let .missingMetadata(path, key): return "\(path): missing metadata key '\(key)'"
        case let .wrongMetadataType(path, key, expected): return "\(path): metadata key '\(key)' is not \(expected)"
        case let .unsupportedArchitecture(path, a): return "\(path): unsupported architecture '\(a)' (supported: llama)"
        case let .missingTensor(path, t): return "\(path): missing tensor '\(t)'"
        case let .shapeMismatch(path, t, e, f): return "\(path): tensor '\(t)' has shape \(f), expected \(e)"
        }
    }
}
