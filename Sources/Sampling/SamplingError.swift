/// A sampling parameter outside its allowed range. `field` is the request's name for it
/// (OpenAI's where one exists: `top_p`, `logit_bias`), so the message can go back to the client as is.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(field: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidParameter(field, reason): return "invalid \(field): \(reason)"
        }
    }
}
