import ModelFormats

extension Tokenizer {
    /// The tokenizer stored in a GGUF file's `tokenizer.*` metadata, with llama.cpp's
    /// defaults for keys a file leaves out.
    public static func load(gguf: GGUFFile) throws -> Tokenizer {
        let path = gguf.path
        let meta = gguf.metadata
        func malformed(_ detail: String) -> TokenizerError { .malformed(path: path, detail: detail) }
        func tokenID(_ key: String, vocabularySize n: Int) throws -> Int? {
            guard let v = meta[key] else { return nil }
            guard let i = v.intValue else { throw malformed("'\(key)' is not an integer") }
            guard (0..<n).contains(i) else { throw malformed("'\(key)' is \(i), not a token id below \(n)") }
            return i
        }
        func bool(_ key: String) throws -> Bool? {
            guard let v = meta[key] else { return nil }
            guard let b = v.boolValue else { throw malformed("'\(key)' is not a bool") }
            return b
        }

        guard let modelValue = meta["tokenizer.ggml.model"] else { throw malformed("no 'tokenizer.ggml.model' (the file has no vocabulary)") }
        guard let model = modelValue.stringValue else { throw malformed("'tokenizer.ggml.model' is not a string") }
        guard let pieces = meta["tokenizer.ggml.tokens"]?.stringArray else { throw malformed("no string array 'tokenizer.ggml.tokens'") }
        var types = [TokenType](repeating: .normal, count: pieces.count)
        if let v = meta["tokenizer.ggml.token_type"] {
            guard let raw = v.intArray else { throw malformed("'tokenizer.ggml.token_type' is not an integer array") }
            guard raw.count == pieces.count else { throw malformed("\(raw.count) token types for \(pieces.count) tokens") }
            types = raw.map { TokenType(rawValue: $0) ?? .normal } // 0 = undefined, treated as normal
        }

        let algorithm: TokenizerDescription.Algorithm
        var bos: Int?, eos: Int?, unk: Int?
        var addBOS: Bool
        switch model {
        case "llama":
            var scores = [Float](repeating: 0, count: pieces.count)
            if let v = meta["tokenizer.ggml.scores"] {
                guard let s = v.floatArray else { throw malformed("'tokenizer.ggml.scores' is not a float array") }
                scores = s
            }
            algorithm = .sentencePiece(scores: scores)
            // llama.cpp's SentencePiece defaults: <unk> 0, <s> 1, </s> 2.
            (unk, bos, eos, addBOS) = (0, pieces.count > 1 ? 1 : nil, pieces.count > 2 ? 2 : nil, true)
        case "gpt2":
            guard let merges = meta["tokenizer.ggml.merges"]?.stringArray else { throw malformed("no string array 'tokenizer.ggml.merges'") }
            let pre = meta["tokenizer.ggml.pre"]?.stringValue ?? "default"
            let preTokenizer = PreTokenizer(ggufName: pre)
            algorithm = .byteLevel(merges: try merges.map { m in
                // The separator is the first space after the first character: a part may be " ".
                guard let sep = m.utf8.dropFirst().firstIndex(of: 0x20) else { throw malformed("merge '\(m)' is not two parts separated by a space") }
                return (String(m[..<sep]), String(m[m.utf8.index(after: sep)...]))
            }, preTokenizer: preTokenizer, ignoreMerges: preTokenizer == .llama3)
            addBOS = preTokenizer == .llama3
        default:
            throw TokenizerError.unsupported(path: path, detail: "tokenizer.ggml.model '\(model)' (supported: llama, gpt2)")
        }

        let n = pieces.count
        bos = try tokenID("tokenizer.ggml.bos_token_id", vocabularySize: n) ?? bos
        eos = try tokenID("tokenizer.ggml.eos_token_id", vocabularySize: n) ?? eos
        unk = try tokenID("tokenizer.ggml.unknown_token_id", vocabularySize: n) ?? unk
        let pad = try tokenID("tokenizer.ggml.padding_token_id", vocabularySize: n)
        addBOS = try bool("tokenizer.ggml.add_bos_token") ?? addBOS
        let extraEnds = try ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"].compactMap { try tokenID($0, vocabularySize: n) }
        let chatTemplate = meta["tokenizer.chat_template"]?.stringValue

        return try Tokenizer(TokenizerDescription(
            source: path, pieces: pieces, types: types, algorithm: algorithm, bosID: bos, eosID: eos, unknownID: unk, padID: pad,
            extraEndIDs: extraEnds, addBOS: addBOS, addEOS: try bool("tokenizer.ggml.add_eos_token") ?? false,
            spacePrefix: try bool("tokenizer.ggml.add_space_prefix") ?? true ? .everyRun : .none, chatTemplate: chatTemplate))
    }
}
