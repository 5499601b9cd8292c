/// Token kinds, numbered as GGUF `tokenizer.ggml.token_type` and SentencePiece's piece type.
public enum TokenType: Int, Sendable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

    /// Kinds that plain text may tokenize to. Control, unknown and byte tokens come only
    /// from special segments or byte fallback.
    var isText: Bool { self == .normal || self == .userDefined || self == .unused }
}

/// Where a SentencePiece-style vocabulary puts a "▁" before text. A "text run" is text at
/// the start of the prompt or after a special token.
enum SpacePrefix: Sendable, Equatable {
    case none
    /// Before every text run: SentencePiece's dummy prefix as llama.cpp applies it, and
    /// Hugging Face's legacy `Prepend("▁")` normalizer.
    case everyRun
    /// Hugging Face `Metaspace(prepend_scheme: "always")`: every run not already starting with a space.
    case everyRunNotStartingWithSpace
    /// `Metaspace(prepend_scheme: "first")`: only a run at the very start of the prompt,
    /// if it does not start with a space.
    case firstRunNotStartingWithSpace
}

/// What a loader read from a model's files; `Tokenizer.init` validates it and builds tables.
struct TokenizerDescription {
    enum Algorithm {
        /// llama.cpp's SentencePiece BPE: merges by piece score.
        case sentencePiece(scores: [Float])
        /// GPT-2 byte-level BPE; merges in rank order.
        case byteLevel(merges: [(String, String)], preTokenizer: PreTokenizer, ignoreMerges: Bool)
        /// Hugging Face BPE over "▁"-escaped characters; merges in rank order.
        case metaspace(merges: [(String, String)], byteFallback: Bool, splitAtSpaces: Bool)
    }

    /// The file the vocabulary came from, for error messages.
    var source: String
    var pieces: [String]
    var types: [TokenType]
    var algorithm: Algorithm
    var bosID: Int?
    var eosID: Int?
    var unknownID: Int?
    var padID: Int?
    /// Further end-of-generation tokens the model files name (EOT, generation_config eos ids).
    var extraEndIDs: [Int] = []
    var addBOS: Bool
    var addEOS = false
    var spacePrefix: SpacePrefix
    var chatTemplate: String?
}
