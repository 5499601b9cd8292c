import Foundation
import Llama

/// A LoRA adapter as files hold it: A (rank × inputs) and B (outputs × rank) per layer and
/// target projection, rows in Hugging Face order (q/k not permuted), with the
/// hyper-parameters that fix its scale. The PEFT and GGUF readers produce it, the writers
/// and the trainer consume it; `runtime` turns it into what the engine applies.
public struct AdapterWeights: Sendable {
    public var rank: Int
    public var alpha: Float
    public var useRSLoRA: Bool
    /// Per layer, the adapted projections.
    public var layers: [[Projection: LoRAAdapter.Pair]]
    /// PEFT's `base_model_name_or_path` (a Hugging Face id or a path), when known.
    public var baseModel: String?

    public init(rank: Int, alpha: Float, useRSLoRA: Bool = false, layers: [[Projection: LoRAAdapter.Pair]], baseModel: String? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.useRSLoRA = useRSLoRA
        self.layers = layers
        self.baseModel = baseModel
    }

    /// PEFT's scaling: alpha / r, or alpha / √r with rsLoRA.
    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// The projections adapted in any layer, in `Projection.allCases` order.
    public var targets: [Projection] {
        Projection.allCases.filter { p in layers.contains { $0[p] != nil } }
    }

    /// The engine's form: B's q/k rows permuted into GGUF's RoPE order, as the base weights are
    /// (for Hugging Face bases too), scaled by `scale · extraScale`.
    public func runtime(id: String, config: LlamaConfig, extraScale: Float = 1) throws(LlamaError) -> LoRAAdapter {
        let permuted = layers.map { layer in
            layer.reduce(into: [Projection: LoRAAdapter.Pair]()) { out, entry in
                let (p, pair) = entry
                let permute = (p == .q || p == .k) && pair.b.count == p.shape(config).outputs * rank
                out[p] = permute ? LoRAAdapter.Pair(a: pair.a, b: RopeRowPermutation.toGGUF(pair.b, cols: rank, headDim: config.headDim)) : pair
            }
        }
        return try LoRAAdapter(id: id, rank: rank, scale: scale * extraScale, layers: permuted, config: config)
    }
}
