import Foundation
import Testing
import TestSupport
import Adapters
import Llama
@testable import Training

/// A random adapter (file layout) for every layer of the tiny model, B non-zero so that A gets a gradient.
func randomAdapter(_ tiny: TinyLlama, _ lora: LoRAConfiguration, seed: UInt64) -> AdapterWeights {
    AdapterWeights(rank: lora.rank, alpha: lora.alpha, useRSLoRA: lora.useRSLoRA,
                   layers: tiny.randomLoRA(Projection.allCases.filter(lora.targets.contains), rank: lora.rank, seed: seed))
}

/// The training model on the tiny random llama (2 layers, GQA) against a float64 reference:
/// the TinyLlama forward pass on weights with the LoRA deltas merged in.
@Suite struct ModelGradientTests {
    let tiny = TinyLlama(seed: 31)
    let examples = [
        TrainingExample(tokens: [3, 17, 42, 49, 5, 0, 33, 8, 21], lossMask: [false, false, false, true, true, true, true, false, true]),
        TrainingExample(tokens: [7, 1, 2, 30, 44]),
    ]
    let lora = LoRAConfiguration(rank: 2, alpha: 3, targets: Set(Projection.allCases))

    /// Mean cross-entropy over the examples' targets, in float64.
    func referenceLoss(_ pairs: [[Projection: LoRAAdapter.Pair]]) -> Double {
        meanCrossEntropy(tiny.merging(pairs, rank: lora.rank, scale: Double(lora.scale)), examples)
    }

    func trainingModel(_ model: LlamaModel, _ adapter: AdapterWeights, checkpointing: Bool = false, lora: LoRAConfiguration? = nil) throws -> (TrainingModel, LoRAParameters) {
        let parameters = LoRAParameters(config: model.config, lora: lora ?? self.lora)
        try parameters.load(adapter)
        return (TrainingModel(model: model, parameters: parameters, capacity: 32, maxSequenceLength: 16, checkpointing: checkpointing), parameters)
    }

    /// Every gradient of A and B, all seven projections of both layers, against central
    /// differences of the float64 loss: relative error below 1e-3 per matrix.
    @Test func everyLoRAGradientMatchesFiniteDifferences() throws {
        let model = try tiny.huggingFaceModel()
        let adapter = randomAdapter(tiny, lora, seed: 3)
        let (network, parameters) = try trainingModel(model, adapter)
        let batch = PackedBatch(examples)
        let loss = network.forwardBackward(batch, lossScale: 1 / Float(batch.targetCount), dropoutSeed: 0)
        let grads = parameters.adapterWeights(gradients: true)

        #expect(abs(loss / Double(batch.targetCount) - referenceLoss(adapter.layers)) < 1e-5)
        for (l, layer) in adapter.layers.enumerated() {
            for (p, pair) in layer {
                let fdA = centralDifferences(pair.a, h: 1e-3) { a in
                    var q = adapter.layers
                    q[l][p] = LoRAAdapter.Pair(a: a, b: pair.b)
                    return referenceLoss(q)
                }
                let fdB = centralDifferences(pair.b, h: 1e-3) { b in
                    var q = adapter.layers
                    q[l][p] = LoRAAdapter.Pair(a: pair.a, b: b)
                    return referenceLoss(q)
                }
                #expect(relativeError(grads.layers[l][p]!.a, fdA) < 1e-3, "layer \(l) \(p) A")
                #expect(relativeError(grads.layers[l][p]!.b, fdB) < 1e-3, "layer \(l) \(p) B")
            }
        }
    }

    /// Recomputing each layer's activations in the backward changes nothing, to the bit.
    @Test func activationCheckpointingGivesTheSameGradients() throws {
        let model = try tiny.huggingFaceModel()
        let adapter = randomAdapter(tiny, lora, seed: 4)
        let batch = PackedBatch(examples)
        var results = [(Double, [Float])]()
        for checkpointing in [false, true] {
            let (network, parameters) = try trainingModel(model, adapter, checkpointing: checkpointing)
            let loss = network.forwardBackward(batch, lossScale: 0.1, dropoutSeed: 5)
            results.append((loss, Array(UnsafeBufferPointer(start: parameters.gradients, count: parameters.count))))
        }
        #expect(results[0].0 == results[1].0)
        #expect(results[0].1 == results[1].1)
    }

    /// Examples that begin with the same tokens, none a target (a chat template's prompt), are
    /// packed with those rows once, and the loss and every gradient are those of the examples
    /// packed whole: teacher distributions and targets land on the same rows' predictions.
    @Test func sharedPrefixGivesTheSameLossAndGradients() throws {
        let model = try tiny.huggingFaceModel()
        let adapter = randomAdapter(tiny, lora, seed: 8)
        let lead = [3, 17, 42, 49, 5]
        var first = TrainingExample(tokens: lead + [0, 33, 8, 21], lossMask: [false, false, false, false, false, false, true, true, true])
        first.teacher = [7: TokenDistribution(tokens: [8, 9], probabilities: [0.75, 0.25])]
        let examples = [
            first,
            TrainingExample(tokens: [7, 1, 2, 30, 44]),
            TrainingExample(tokens: lead + [12, 9], lossMask: [false, false, false, false, false, true, true]),
            TrainingExample(tokens: lead.prefix(4) + [40, 41, 2], lossMask: [false, false, false, false, false, true, true]),
        ]
        let shared = PackedBatch(examples), whole = PackedBatch(examples, sharingPrefixes: false)
        // The first token of the third example's answer is token 5, so the rows shared stop before it.
        #expect(shared.sequences.first == CausalAttention.Span(0..<4))
        #expect(shared.rows == whole.rows - 2 * 4)
        #expect(shared.targetCount == whole.targetCount && shared.teacher.count == 1)
        var results = [(loss: Double, gradients: [Float])]()
        for batch in [shared, whole] {
            let (network, parameters) = try trainingModel(model, adapter, lora: lora)
            let loss = network.forwardBackward(batch, lossScale: 1, dropoutSeed: 0)
            results.append((loss, Array(UnsafeBufferPointer(start: parameters.gradients, count: parameters.count))))
        }
        #expect(abs(results[0].loss - results[1].loss) < 1e-5 * abs(results[1].loss))
        #expect(relativeError(results[0].gradients, results[1].gradients.map(Double.init)) < 1e-5)
    }

    /// The training forward's loss is the cross-entropy of the inference engine's logits under
    /// the same adapter: the trainer and `LlamaModel.forward` compute the same function (and
    /// scale the adapter alike, rsLoRA too).
    @Test(arguments: [false, true])
    func lossMatchesTheInferenceEngine(rsLoRA: Bool) throws {
        let model = try tiny.huggingFaceModel()
        var lora = self.lora
        lora.useRSLoRA = rsLoRA
        let adapter = randomAdapter(tiny, lora, seed: 6)
        let (network, _) = try trainingModel(model, adapter, lora: lora)
        let runtime = try adapter.runtime(id: "tiny", config: model.config)
        var total = 0.0, count = 0
        for e in examples {
            let logits = try model.forward([.init(cache: model.makeCache(), tokens: e.tokens, logits: .all, adapter: runtime)])
            let v = model.config.vocabSize
            for i in 1..<e.tokens.count where e.lossMask[i] {
                let z = logits[(i - 1) * v..<i * v].map(Double.init), m = z.max()!
                total += log(z.reduce(0) { $0 + exp($1 - m) }) + m - z[e.tokens[i]]
                count += 1
            }
        }
        let batch = PackedBatch(examples)
        #expect(abs(network.loss(batch) - total) < 1e-5 * Double(count))
        #expect(abs(network.forwardBackward(batch, lossScale: 1, dropoutSeed: 0) - total) < 1e-5 * Double(count))
    }

    /// With dropout the loss is a different but fixed function for a fixed seed. Its finite
    /// differences run through the Float model (h = 1e-2, rounding about 1e-4 of the gradient's
    /// scale), so the bound is 1e-2; a mask missing from the backward would be off by far more.
    @Test func dropoutGradientsMatchFiniteDifferences() throws {
        let model = try tiny.huggingFaceModel()
        var lora = self.lora
        lora.dropout = 0.3
        let (network, parameters) = try trainingModel(model, randomAdapter(tiny, lora, seed: 7), lora: lora)
        let batch = PackedBatch(examples)
        _ = network.forwardBackward(batch, lossScale: 1, dropoutSeed: 9)
        let analytic = Array(UnsafeBufferPointer(start: parameters.gradients, count: parameters.count))
        let values = Array(UnsafeBufferPointer(start: parameters.values, count: parameters.count))
        for e in parameters.entries where e.layer == 0 {
            for range in [e.a, e.b] {
                let fd = centralDifferences(values, h: 1e-2, indices: Array(range)) { v in
                    parameters.values.update(from: v, count: v.count)
                    return network.forwardBackward(batch, lossScale: 1, dropoutSeed: 9)
                }
                #expect(relativeError(Array(analytic[range]), fd) < 1e-2, "\(e.projection) \(range == e.a ? "A" : "B")")
            }
        }
        // Without the same mask the loss differs: the seed matters.
        parameters.values.update(from: values, count: values.count)
        #expect(network.forwardBackward(batch, lossScale: 1, dropoutSeed: 9) != network.forwardBackward(batch, lossScale: 1, dropoutSeed: 10))
    }
}
