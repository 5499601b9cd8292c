import Foundation
import Testing
import TestSupport
import Llama
import ModelFormats
import TensorKernels
@testable import Training

/// Full fine-tuning on the tiny random llama: every weight's gradient against finite differences
/// of the float64 reference, one step against PyTorch's, and the written GGUF against the trained
/// weights' logits.
@Suite struct FullFineTuningTests {
    let examples = [
        TrainingExample(tokens: [3, 17, 42, 49, 5, 0, 33, 8, 21], lossMask: [false, false, false, true, true, true, true, false, true]),
        TrainingExample(tokens: [7, 1, 2, 30, 44]),
    ]

    func configuration(learningRate: Float = 1e-3, layerDecay: Float = 1) -> TrainingConfiguration {
        TrainingConfiguration(learningRate: learningRate, weightDecay: 0.01, maxGradientNorm: nil, layerDecay: layerDecay,
                              microBatchSize: 2, maxSequenceLength: 16, integerProducts: false, full: true)
    }

    /// The trained tensors (or their gradients) by Hugging Face name, q/k rows in Hugging Face order;
    /// with `stored`, rounded as a model file of that type stores them.
    func huggingFaceTensors(_ full: FullParameters, gradients: Bool, stored: ModelOutputType? = nil) -> [String: [Float]] {
        let source = gradients ? full.gradients : full.values
        return Dictionary(uniqueKeysWithValues: full.tensors.map { t in
            var values = Array(UnsafeBufferPointer(start: source + t.offset, count: t.rows * t.cols))
            if let type = stored?.storedType(rows: t.rows, cols: t.cols) {
                let bytes = values.withUnsafeBufferPointer { Quantize.bytes($0, as: type) }
                bytes.withUnsafeBytes { Dequantize.row(type, $0.baseAddress!, &values, count: values.count) }
            }
            let permuted = t.name.hasSuffix("attn_q.weight") || t.name.hasSuffix("attn_k.weight")
            return (LlamaWeights.huggingFaceName(t.name)!,
                    permuted ? RopeRowPermutation.toHuggingFace(values, cols: t.cols, headDim: full.config.headDim) : values)
        })
    }

    /// Embedding, every projection and norm of both layers, the output norm and the head (or the
    /// tied embedding, which gets both gradients): each tensor's sampled gradients within 2e-5
    /// (relative) of central differences (measured: at most 1.6e-6).
    @Test(arguments: [false, true])
    func everyWeightGradientMatchesFiniteDifferences(tied: Bool) throws {
        let tiny = TinyLlama(seed: 31, tied: tied)
        let model = try tiny.huggingFaceModel()
        let full = FullParameters(config: model.config)
        full.load(from: model.weights, pool: model.pool)
        let network = TrainingModel(model: model, parameters: LoRAParameters(config: model.config, lora: LoRAConfiguration(targets: [])),
                                    full: full, capacity: 16, maxSequenceLength: 16, checkpointing: false)
        let batch = PackedBatch(examples)
        let loss = network.forwardBackward(batch, lossScale: 1 / Float(batch.targetCount), dropoutSeed: 0)
        #expect(abs(loss / Double(batch.targetCount) - meanCrossEntropy(tiny, examples)) < 1e-5)

        let gradients = huggingFaceTensors(full, gradients: true)
        #expect(Set(gradients.keys) == Set(tiny.tensors.keys))
        for (name, t) in tiny.tensors.sorted(by: { $0.key < $1.key }) {
            // Embedding rows of tokens in the batch (the others have none); elsewhere spread samples.
            let indices = name == "model.embed_tokens.weight" ? [3, 17, 42].flatMap { row in [0, 11, 31].map { row * t.cols + $0 } }
                                                              : (0..<8).map { ($0 * 7919 + 5) % t.values.count }
            let h = 1e-4
            let want = indices.map { i -> Double in
                var plus = tiny, minus = tiny
                plus.tensors[name]!.values[i] += h
                minus.tensors[name]!.values[i] -= h
                return (meanCrossEntropy(plus, examples) - meanCrossEntropy(minus, examples)) / (2 * h)
            }
            #expect(relativeError(indices.map { gradients[name]![$0] }, want) < 2e-5, "\(name)")
        }
    }

    /// One step (loss, every gradient, the AdamW update with weight decay) against transformers'
    /// LlamaForCausalLM and torch.optim.AdamW in float32 (Tests/Python/full_finetune_step.py).
    /// Measured: loss within 1e-6, every tensor's gradient within 1.2e-6 (relative), weights after
    /// the step within 6e-8.
    @Test(arguments: [false, true])
    func firstStepMatchesPyTorch(tied: Bool) throws {
        let tiny = TinyLlama(seed: 5, tied: tied)
        let folder = temporaryDirectory()
        try tiny.writeHuggingFace(to: folder)
        let config = try LlamaConfig(huggingFaceFolder: folder)
        let model = LlamaModel(config: config, weights: try LlamaWeights(huggingFace: SafeTensorsFolder(folder: folder), config: config))
        let configuration = configuration()
        let trainer = try Trainer(model: model, configuration: configuration, parent: nil)
        let progress = try trainer.step([examples])

        let batch = try JSONSerialization.data(withJSONObject: [
            "input_ids": examples.map(\.tokens), "loss_mask": examples.map(\.lossMask),
            "lr": configuration.learningRate, "weight_decay": configuration.weightDecay,
        ] as [String: Any])
        let out = temporaryDirectory()
        try batch.write(to: URL(fileURLWithPath: out + "/batch.json"))
        let (status, output) = try Repo.runScript("python3", [Repo.root + "/Tests/Python/full_finetune_step.py", folder, out + "/batch.json", out])
        #expect(status == 0, "\(output)")
        let line = try #require(output.split(separator: "\n").last(where: { $0.hasPrefix("{") }))
        let loss = try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["loss"] as? Double)
        #expect(abs(Double(progress.loss) - loss) < 1e-5)

        func read(_ file: String) throws -> [String: [Float]] {
            let f = try SafeTensorsFile(path: out + "/" + file)
            return try Dictionary(uniqueKeysWithValues: f.names.map { name in
                let t = try f.tensor(name)
                return (name, Array(UnsafeBufferPointer(start: t.data.assumingMemoryBound(to: Float.self), count: t.elementCount)))
            })
        }
        let (wantGradients, wantAfter) = (try read("grads.safetensors"), try read("after.safetensors"))
        let gradients = huggingFaceTensors(trainer.full!, gradients: true), after = huggingFaceTensors(trainer.full!, gradients: false)
        #expect(Set(gradients.keys) == Set(wantGradients.keys))
        for (name, want) in wantGradients {
            let got = try #require(gradients[name])
            #expect(relativeError(got, want.map(Double.init)) < 1e-5, "gradient of \(name)")
            // The first AdamW step moves a weight by about lr wherever |g| ≫ eps, by its decay alone where g = 0: compare there.
            let settled = want.indices.filter { abs(want[$0]) > 1e-5 || want[$0] == 0 }
            #expect(settled.count > want.count / 2 && settled.allSatisfy { abs(after[name]![$0] - wantAfter[name]![$0]) < 3e-7 }, "\(name) after the step")
        }
    }

    /// The written file loads in the engine and gives the logits of the trained weights as the type
    /// rounds them, to float32 noise (measured 1e-6, 1.9e-6); those are within the rounding's noise
    /// of the unrounded weights' logits (measured largest difference: F16 7.4e-3, Q8_0 7.6e-2),
    /// which training moved by 6.4.
    @Test(arguments: [(ModelOutputType.f16, 2e-2), (.q8_0, 2e-1)])
    func writtenModelGivesTheTrainedLogits(type: ModelOutputType, tolerance: Double) throws {
        let tiny = TinyLlama(seed: 11)
        let folder = temporaryDirectory()
        try tiny.writeGGUF(to: folder + "/base.gguf")
        let base = try GGUFFile(path: folder + "/base.gguf")
        let config = try LlamaConfig(gguf: base)
        let trainer = try Trainer(model: LlamaModel(config: config, weights: try LlamaWeights(gguf: base, config: config)),
                                  configuration: configuration(learningRate: 1e-2), parent: nil)
        for _ in 0..<3 { try trainer.step([examples]) }
        try trainer.modelFile(type: type, base: base).write(to: folder + "/trained.gguf")

        let written = try GGUFFile(path: folder + "/trained.gguf")
        #expect(written.metadataKeys == base.metadataKeys + ["general.file_type"])
        #expect(written.metadata["general.file_type"] == .uint32(type == .f16 ? 1 : 7))
        #expect(written.tensors.map(\.name) == base.tensors.map(\.name))
        #expect(written.tensors.allSatisfy { $0.type == type.storedType(rows: $0.shape.dropFirst().reduce(1, *), cols: $0.shape[0]) })
        #expect(written.tensors.contains { $0.type == type.ggmlType })
        let loaded = LlamaModel(config: try LlamaConfig(gguf: written), weights: try LlamaWeights(gguf: written, config: config))

        func logits(stored: ModelOutputType?) -> [Double] {
            var trained = tiny
            for (name, values) in huggingFaceTensors(trainer.full!, gradients: false, stored: stored) {
                trained.tensors[name]!.values = values.map(Double.init)
            }
            return trained.referenceLogits(examples[0].tokens).flatMap { $0 }
        }
        func largestDifference(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max()! }
        let got = try loaded.forward([.init(cache: loaded.makeCache(), tokens: examples[0].tokens, logits: .all)]).map(Double.init)
        let (rounded, unrounded) = (logits(stored: type), logits(stored: nil))
        let untrained = tiny.referenceLogits(examples[0].tokens).flatMap { $0 }
        #expect(largestDifference(got, rounded) < 1e-4, "the engine on the file against the stored weights")
        let error = largestDifference(got, unrounded), moved = largestDifference(untrained, unrounded)
        #expect(error < tolerance, "largest logit difference \(error)")
        #expect(moved > 5 * tolerance, "training moved the logits by \(moved)")
    }

    /// A run that would not fit is refused before any weight is copied, naming the estimate.
    @Test func refusesWhenTheEstimateExceedsTheAvailableMemory() throws {
        let model = try TinyLlama(seed: 1).huggingFaceModel()
        let parameters = FullParameters(config: model.config).count
        #expect {
            try Trainer(model: model, configuration: configuration(), parent: nil, availableMemory: 16 * parameters)
        } throws: { error in
            guard case let .insufficientMemory(needed, available, breakdown)? = error as? TrainingError else { return false }
            return needed > 16 * parameters && available == 16 * parameters && breakdown.contains("\(parameters) parameters")
                && "\(error)".contains("available")
        }
        #expect(throws: Never.self) { try Trainer(model: model, configuration: self.configuration(), parent: nil, availableMemory: 1 << 30) }
    }

    /// With layer-wise decay 0.5 on two layers, AdamW's first step (about lr per weight) is half as
    /// large in layer 0 as in layer 1, a quarter in the embedding, and whole in the head.
    @Test func layerDecayScalesEachLayersStep() throws {
        let tiny = TinyLlama(seed: 2)
        func steps(decay: Float) throws -> [String: Double] {
            let trainer = try Trainer(model: try tiny.huggingFaceModel(), configuration: configuration(layerDecay: decay), parent: nil)
            let before = huggingFaceTensors(trainer.full!, gradients: false)
            try trainer.step([examples])
            let after = huggingFaceTensors(trainer.full!, gradients: false)
            // The median move, robust to the few weights whose gradient is near eps.
            return Dictionary(uniqueKeysWithValues: before.map { name, values in
                let moves = zip(values, after[name]!).map { Double(abs($0 - $1)) }.sorted()
                return (name, moves[moves.count / 2])
            })
        }
        let plain = try steps(decay: 1), decayed = try steps(decay: 0.5)
        for (name, expected) in [("model.embed_tokens.weight", 0.25), ("model.layers.0.self_attn.q_proj.weight", 0.5),
                                 ("model.layers.0.input_layernorm.weight", 0.5), ("model.layers.1.mlp.down_proj.weight", 1),
                                 ("lm_head.weight", 1)] {
            #expect(abs(decayed[name]! / plain[name]! - expected) < 0.02 * expected, "\(name): \(decayed[name]! / plain[name]!)")
        }
    }
}
