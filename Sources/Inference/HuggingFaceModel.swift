import Foundation
import Llama
import ModelFormats
import TensorKernels
import Tokenizers

extension LoadedModel {
    /// A Hugging Face folder: `config.json`, `model.safetensors` (or shards with an index),
    /// and `tokenizer.model` or `tokenizer.json`. The q/k projections are permuted into GGUF's
    /// row order so that both formats run through the same RoPE.
    static func loadHuggingFace(folder: String, pool: ComputePool) throws -> (LlamaModel, Tokenizer) {
        let configPath = folder + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ModelFormatError.cannotOpen(path: configPath, reason: "missing")
        }
        let config: LlamaConfig
        do {
            config = try JSONDecoder().decode(LlamaConfig.self, from: data)
        } catch let e as LlamaError {
            throw ModelFormatError.malformed(path: configPath, detail: e.description)
        } catch {
            throw ModelFormatError.malformed(path: configPath, detail: "\(error)")
        }
        let files = try SafeTensorsFolder(folder: folder)
        let weights = try LlamaWeights.load(config: config, path: folder) { name in
            guard let hf = huggingFaceName(name) else { return nil }
            guard files.names.contains(hf) else { return nil }
            let t = try files.tensor(hf)
            if name.hasSuffix("attn_q.weight") || name.hasSuffix("attn_k.weight") {
                guard t.shape.count == 2, t.rows % config.headDim == 0 else { return t } // the shape check reports it
                return RopeRowPermutation.toGGUF(t, headDim: config.headDim)
            }
            return t
        }
        let model = LlamaModel(config: config, weights: weights, pool: pool)
        return (model, try Tokenizer.load(huggingFaceFolder: folder))
    }

    /// The Hugging Face tensor name for a GGUF tensor name.
    static func huggingFaceName(_ gguf: String) -> String? {
        switch gguf {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        case "rope_freqs.weight": return nil
        default: break
        }
        let parts = gguf.split(separator: ".")
        guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let prefix = "model.layers.\(layer)."
        switch parts[2] {
        case "attn_norm": return prefix + "input_layernorm.weight"
        case "ffn_norm": return prefix + "post_attention_layernorm.weight"
        default:
            guard let p = Projection.allCases.first(where: { $0.ggufName == parts[2] }) else { return nil }
            return prefix + p.huggingFacePath + ".weight"
        }
    }
}
