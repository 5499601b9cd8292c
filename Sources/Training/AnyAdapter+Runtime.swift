import Adapters
import Llama

extension AnyAdapter {
    /// The engine's form of the adapter. Prefix tuning's keys and values go in front of the cache
    /// as they are; prompt tuning's are what the frozen model computes for its embeddings at
    /// positions 0..<virtualTokens, worked out here once (the training forward, so they are the
    /// keys and values training saw). `extraScale` multiplies a LoRA adapter's scale.
    public func runtime(id: String, model: LlamaModel, extraScale: Float = 1) throws -> LoRAAdapter {
        let config = model.config
        switch self {
        case let .lora(weights):
            return try weights.runtime(id: id, config: config, extraScale: extraScale)
        case let .promptLearning(weights):
            let n = weights.virtualTokens
            let layers: [(keys: [Float], values: [Float])]
            switch weights.method {
            case .prefixTuning:
                layers = (0..<config.layerCount).map { weights.prefix(layer: $0, config: config) }
            case .promptTuning:
                let virtual = VirtualTokenParameters(config: config, configuration: VirtualTokenConfiguration(kind: .promptTuning, count: n))
                try virtual.load(weights)
                var noLoRA = LoRAConfiguration()
                noLoRA.targets = []
                let network = TrainingModel(model: model, parameters: LoRAParameters(config: config, lora: noLoRA), virtual: virtual,
                                            capacity: n, maxSequenceLength: n, checkpointing: false)
                layers = network.keysAndValues(PackedBatch([TrainingExample(tokens: [], lossMask: [])], virtualTokens: n))
            }
            let prefix = try KVPrefix(count: n, keys: layers.map(\.keys), values: layers.map(\.values), config: config)
            return LoRAAdapter(id: id, prefix: prefix, config: config)
        }
    }
}
