import Llama

/// Sentence embeddings read from the model itself, as PromptEOL does (Jiang et al., 2023): the
/// text is put in `This sentence : "…" means in one word:"` and the residual stream at the last
/// token, near the top of the blocks, is its vector. Grounding ranks passages by them beside
/// BM25 (`PassageIndex`), so a question in words no sentence uses ("How big is the crew?")
/// still meets the sentence that means it ("employs 27 people").
///
/// Measured with SmolLM2-135M-Instruct on the 464 questions of 29 fixture documents, by whether
/// the best sentence holds the answer (`bench/knowledge-experiments.md`, session 13): by the
/// BM25 alone 350; the vectors alone (each sentence's and its synthesised questions') 343; both,
/// with the vectors read after block 20, 22, 24, 26 or 28 of 30: 305, 344, 381, 389, 399.
/// On the fourth blind set, mean-pooled states (blocks 10 and 20) found 35–54 of 96 with BM25,
/// the prompt's last token after block 25 up to 69.
extension LoadedModel {
    /// The block after which a sentence's vector is read: the last but one fifteenth (28 of 30,
    /// 30 of Llama-2-7B's 32).
    public var sentenceEmbeddingLayer: Int { max(1, config.layerCount - config.layerCount / 15) }

    /// The tokens whose last position's state is the vector of `text`.
    public func sentenceEmbeddingPrompt(_ text: String) -> [Int] {
        textPrompt("This sentence : \"" + text + "\" means in one word:\"")
    }

    /// The vectors of `texts` (`hiddenSize` floats each), run directly on the model: for callers
    /// that own the model (training, the command line; the server goes through its scheduler).
    public func sentenceEmbeddings(_ texts: [String]) throws -> [[Float]] {
        try sentenceEmbeddings(prompts: texts.map(sentenceEmbeddingPrompt))
    }

    /// The vectors of prompts made by `sentenceEmbeddingPrompt`, a batch of them per forward pass.
    public func sentenceEmbeddings(prompts: [[Int]], batch: Int = 16) throws -> [[Float]] {
        var out = [[Float]]()
        out.reserveCapacity(prompts.count)
        let d = config.hiddenSize
        for start in stride(from: 0, to: prompts.count, by: batch) {
            let chunks = prompts[start..<min(prompts.count, start + batch)].map {
                LlamaModel.Chunk(cache: model.makeCache(maxTokens: $0.count), tokens: $0)
            }
            let states = try model.hiddenStates(chunks, afterLayers: sentenceEmbeddingLayer)
            out += (0..<chunks.count).map { Array(states[$0 * d..<($0 + 1) * d]) }
        }
        return out
    }
}
