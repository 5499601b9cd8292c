import Foundation
import Testing
import TestSupport
import Adapters
import Llama
@testable import Training

/// Prompt tuning and prefix tuning on the tiny random llama (2 layers, GQA): gradients against
/// finite differences of the training model's own loss, and the loss against the inference engine
/// running the saved adapter's prefix in front of its KV cache.
@Suite struct VirtualTokenTests {
    let tiny = TinyLlama(seed: 37)
    let examples = [
        TrainingExample(tokens: [3, 17, 42, 49, 5, 0, 33, 8, 21], lossMask: [false, false, false, true, true, true, true, false, true]),
        TrainingExample(tokens: [7, 1, 2, 30, 44]),
    ]

    static let configurations = [
        VirtualTokenConfiguration(kind: .promptTuning, count: 3),
        VirtualTokenConfiguration(kind: .prefixTuning, count: 3),
        VirtualTokenConfiguration(kind: .prefixTuning, count: 3, projectionSize: 5),
    ]

    func network(_ model: LlamaModel, _ configuration: VirtualTokenConfiguration, seed: UInt64) -> (TrainingModel, VirtualTokenParameters) {
        let virtual = VirtualTokenParameters(config: model.config, configuration: configuration)
        var rng = SplitMix64(state: seed)
        virtual.initialise(&rng, tokenEmbedding: model.weights.tokenEmbedding)
        // Prompt embeddings of the size of the tiny model's token embeddings (uniform in ±1).
        if configuration.kind == .promptTuning { for i in 0..<virtual.count { virtual.values[i] *= 0.5 } }
        var noLoRA = LoRAConfiguration()
        noLoRA.targets = []
        let n = TrainingModel(model: model, parameters: LoRAParameters(config: model.config, lora: noLoRA), virtual: virtual,
                              capacity: 2 * (16 + configuration.count), maxSequenceLength: 16 + configuration.count, checkpointing: false)
        return (n, virtual)
    }

    /// Every gradient (embeddings, prefixes, or the projection's E, W1, b1, W2, b2) against central
    /// differences of the float32 loss (h = 1e-2): relative error of the whole vector below 1e-2.
    @Test(arguments: configurations)
    func gradientsMatchFiniteDifferences(_ configuration: VirtualTokenConfiguration) throws {
        let model = try tiny.huggingFaceModel()
        let (network, virtual) = network(model, configuration, seed: 11)
        let batch = PackedBatch(examples, virtualTokens: configuration.count)
        virtual.zeroGradients()
        _ = network.forwardBackward(batch, lossScale: 1, dropoutSeed: 0)
        let got = Array(UnsafeBufferPointer(start: virtual.gradients, count: virtual.count))
        let start = Array(UnsafeBufferPointer(start: virtual.values, count: virtual.count))
        let fd = centralDifferences(start, h: 1e-2) { x in
            virtual.values.update(from: x, count: x.count)
            return network.loss(batch)
        }
        virtual.values.update(from: start, count: start.count)
        #expect(got.contains { $0 != 0 })
        #expect(relativeError(got, fd) < 1e-2, "\(configuration)")
    }

    /// Checkpointing recomputes the prefix rows too: the same gradients, to the bit.
    @Test func checkpointingGivesTheSameGradients() throws {
        let model = try tiny.huggingFaceModel()
        var results = [[Float]]()
        for checkpointing in [false, true] {
            let virtual = VirtualTokenParameters(config: model.config, configuration: Self.configurations[1])
            var rng = SplitMix64(state: 3)
            virtual.initialise(&rng, tokenEmbedding: model.weights.tokenEmbedding)
            var noLoRA = LoRAConfiguration()
            noLoRA.targets = []
            let network = TrainingModel(model: model, parameters: LoRAParameters(config: model.config, lora: noLoRA), virtual: virtual,
                                        capacity: 40, maxSequenceLength: 20, checkpointing: checkpointing)
            _ = network.forwardBackward(PackedBatch(examples, virtualTokens: 3), lossScale: 0.1, dropoutSeed: 0)
            results.append(Array(UnsafeBufferPointer(start: virtual.gradients, count: virtual.count)))
        }
        #expect(results[0] == results[1])
    }

    /// The training loss is the cross-entropy of the inference engine's logits under the saved
    /// adapter (`AnyAdapter.runtime`: the prefix in front of the KV cache, tokens from position
    /// `count` on), so what is trained is what is served.
    @Test(arguments: configurations)
    func lossMatchesTheInferenceEngine(_ configuration: VirtualTokenConfiguration) throws {
        let model = try tiny.huggingFaceModel()
        let (network, virtual) = network(model, configuration, seed: 5)
        let runtime = try AnyAdapter.promptLearning(virtual.weights(pool: model.pool)).runtime(id: "tiny", model: model)
        #expect(runtime.prefix?.count == configuration.count)
        var total = 0.0
        for e in examples {
            let cache = try model.makeCache(adapter: runtime)
            let logits = try model.forward([.init(cache: cache, tokens: e.tokens, logits: .all, adapter: runtime)])
            let v = model.config.vocabSize
            for i in 1..<e.tokens.count where e.lossMask[i] {
                let z = logits[(i - 1) * v..<i * v].map(Double.init), m = z.max()!
                total += log(z.reduce(0) { $0 + exp($1 - m) }) + m - z[e.tokens[i]]
            }
        }
        let batch = PackedBatch(examples, virtualTokens: configuration.count)
        #expect(abs(network.loss(batch) - total) < 1e-5 * Double(batch.targetCount), "\(configuration)")
    }

    /// A trainer steps the virtual tokens and nothing else, and its saved adapter reads back.
    @Test(arguments: configurations)
    func trainerStepsAndSavesThem(_ configuration: VirtualTokenConfiguration) throws {
        let model = try tiny.huggingFaceModel()
        let training = TrainingConfiguration(learningRate: 1e-2, totalSteps: 3, microBatchSize: 2, maxSequenceLength: 16,
                                             integerProducts: false, virtualTokens: configuration)
        let trainer = try Trainer(model: model, configuration: training, parent: nil as AnyAdapter?)
        let first = try trainer.step([examples]).loss
        try trainer.step([examples])
        let third = try trainer.step([examples]).loss
        #expect(third < first)
        guard case let .promptLearning(weights) = trainer.adapter() else { Issue.record("not a prompt-learning adapter"); return }
        let folder = temporaryDirectory("virtual") + "/adapter"
        try weights.write(to: folder, config: model.config)
        guard case let .promptLearning(back) = try AnyAdapter.load(path: folder, config: model.config) else {
            Issue.record("read back as another kind"); return
        }
        #expect(back.embeddings == weights.embeddings && back.method == configuration.kind && back.virtualTokens == configuration.count)
        #expect(back.projectionSize == configuration.projectionSize)
    }

    /// Prompt tuning's TEXT initialisation: the text's token embeddings, repeated to the count.
    @Test func textInitialisationRepeatsTheTokens() throws {
        let model = try tiny.huggingFaceModel()
        let virtual = VirtualTokenParameters(config: model.config,
                                             configuration: VirtualTokenConfiguration(kind: .promptTuning, count: 5, initialTokens: [4, 9]))
        var rng = SplitMix64(state: 0)
        virtual.initialise(&rng, tokenEmbedding: model.weights.tokenEmbedding)
        let d = model.config.hiddenSize
        for (i, token) in [4, 9, 4, 9, 4].enumerated() {
            var row = [Float](repeating: 0, count: d)
            model.weights.tokenEmbedding.dequantizeRow(token, into: &row)
            #expect(Array(UnsafeBufferPointer(start: virtual.values + i * d, count: d)) == row)
        }
    }
}
