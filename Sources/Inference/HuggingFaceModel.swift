import Foundation
import Llama
import ModelFormats
import TensorKernels
import Tokenizers

extension LoadedModel {
    /// A Hugging Face folder: `config.json`, `model.safetensors` (or shards with an index),
    /// and `tokenizer.model` or `tokenizer.json`.
    static func loadHuggingFace(folder: String, pool: ComputePool, integerProducts: Bool) throws -> (LlamaModel, Tokenizer) {
        let config = try LlamaConfig(huggingFaceFolder: folder)
        let weights = try LlamaWeights(huggingFace: try SafeTensorsFolder(folder: folder), config: config)
        return (LlamaModel(config: config, weights: weights, pool: pool, integerProducts: integerProducts), try Tokenizer.load(huggingFaceFolder: folder))
    }
}
