import Foundation
import Testing
import TestSupport
import Adapters
import Llama
@testable import Training

@Suite struct TrainerTests {
    let tiny = TinyLlama(seed: 41)

    /// Random sequences over the tiny vocabulary, of varied lengths, answers masked in.
    func batches(_ count: Int, seed: UInt64) -> [[TrainingExample]] {
        var g = SplitMix(seed)
        return (0..<count).map { _ in
            (0..<2).map { _ in
                let n = 4 + Int(g.next() % 8)
                return TrainingExample(tokens: (0..<n).map { _ in Int(g.next() % 50) }, lossMask: (0..<n).map { $0 >= 2 })
            }
        }
    }

    func configuration(_ change: (inout TrainingConfiguration) -> Void = { _ in }) -> TrainingConfiguration {
        var c = TrainingConfiguration(lora: LoRAConfiguration(rank: 4, alpha: 8, targets: [.q, .k, .v, .o, .down], dropout: 0.1),
                                      learningRate: 1e-2, weightDecay: 0.01, schedule: .cosine, warmupSteps: 2, totalSteps: 6,
                                      maxGradientNorm: 1, gradientAccumulationSteps: 2, microBatchSize: 2, maxSequenceLength: 16, seed: 7)
        change(&c)
        return c
    }

    func values(_ a: AdapterWeights) -> [Float] {
        a.layers.flatMap { layer in Projection.allCases.compactMap { layer[$0] }.flatMap { $0.a + $0.b } }
    }

    @Test func trainingLowersTheLossAndReportsEachStep() throws {
        let model = try tiny.huggingFaceModel()
        let trainer = try Trainer(model: model, configuration: configuration { $0.totalSteps = 30; $0.warmupSteps = 0 })
        let data = batches(2, seed: 1)
        let before = try trainer.validationLoss(data.flatMap { $0 })
        var reports = [TrainingProgress]()
        try trainer.train((0..<100).lazy.flatMap { _ in data }) { reports.append($0) }
        #expect(reports.map(\.step) == Array(1...30))
        #expect(reports.allSatisfy { $0.gradientNorm > 0 && $0.tokens > 0 && $0.tokensPerSecond > 0 })
        #expect(try trainer.validationLoss(data.flatMap { $0 }) < 0.7 * before)
        #expect(trainer.completedSteps == 30)
    }

    /// The teacher is the model itself: its distributions sum to 1 and start at its likeliest
    /// token, and a fresh adapter (B = 0, so the trainer's model is the teacher) gets no gradient
    /// from them where the answer's own tokens give one.
    @Test func distillationTargetsAreTheModelsOwnDistributions() throws {
        let model = try tiny.huggingFaceModel(), vocab = model.config.vocabSize
        let example = TrainingExample(tokens: [3, 17, 42, 8, 8, 29, 1, 33], lossMask: [false, false, false, true, true, true, true, true])
        let taught = try Distillation.teach(example, model: model, top: vocab)
        #expect(taught.tokens == example.tokens && taught.lossMask == example.lossMask)
        #expect(taught.teacher?.keys.sorted() == [3, 4, 5, 6, 7])
        let cache = model.makeCache()
        let logits = try model.forward([.init(cache: cache, tokens: example.tokens, logits: .all)])
        for (i, q) in taught.teacher ?? [:] {
            let row = logits[(i - 1) * vocab..<i * vocab]
            #expect(q.tokens.first == row.indices.max { row[$0] < row[$1] }.map { $0 - (i - 1) * vocab })
            #expect(abs(q.probabilities.reduce(0, +) - 1) < 1e-5 && zip(q.probabilities, q.probabilities.dropFirst()).allSatisfy { $0 >= $1 })
        }
        #expect(try Distillation.teach(example, model: model, top: 3).teacher?.values.allSatisfy { $0.tokens.count == 3 } == true)

        let trainer = try Trainer(model: model, configuration: configuration { $0.lora.dropout = 0 })
        func norm(_ e: TrainingExample) throws -> Float {
            guard case let .lora(gradients) = try trainer.lossAndGradients([e]).gradients else { return .nan }
            return values(gradients).reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
        let hard = try norm(example), soft = try norm(taught)
        #expect(hard > 1e-3 && soft < 1e-4 * hard, "\(soft) against \(hard)")
    }

    /// Same seed and data, same adapter to the bit; stopping, exporting the state and
    /// continuing in a new trainer gives the same adapter as running straight through.
    @Test func trainingIsDeterministicAndResumable() throws {
        let model = try tiny.huggingFaceModel()
        let data = batches(8, seed: 2)
        func run(_ trainer: Trainer, _ steps: Range<Int>) throws {
            for s in steps { try trainer.step(Array(data[2 * s..<2 * s + 2])) }
        }
        let a = try Trainer(model: model, configuration: configuration())
        let b = try Trainer(model: model, configuration: configuration())
        try run(a, 0..<4)
        try run(b, 0..<4)
        #expect(values(a.adapterWeights()) == values(b.adapterWeights()))

        let first = try Trainer(model: model, configuration: configuration())
        try run(first, 0..<2)
        let state = try JSONDecoder().decode(TrainerState.self, from: JSONEncoder().encode(first.exportState()))
        let resumed = try Trainer(model: model, configuration: configuration())
        try resumed.importState(state)
        try run(resumed, 2..<4)
        #expect(values(resumed.adapterWeights()) == values(a.adapterWeights()))
        #expect(resumed.exportState() == a.exportState())
        // A state fits only trainers with the same LoRA shape.
        #expect(throws: TrainingError.self) { try Trainer(model: model, configuration: configuration { $0.lora.rank = 2 }).importState(state) }
    }

    /// Two micro-batches accumulated give the step one batch holding both gives: the loss is
    /// the mean over all the step's targets.
    @Test func gradientAccumulationEqualsOneLargerBatch() throws {
        let model = try tiny.huggingFaceModel()
        let data = batches(2, seed: 8)
        let accumulated = try Trainer(model: model, configuration: configuration { $0.lora.dropout = 0 })
        let whole = try Trainer(model: model, configuration: configuration { $0.lora.dropout = 0; $0.microBatchSize = 4 })
        let a = try accumulated.step(data)
        let b = try whole.step([data[0] + data[1]])
        #expect(abs(a.loss - b.loss) < 1e-6 && abs(a.gradientNorm - b.gradientNorm) < 1e-6 * b.gradientNorm)
        #expect(zip(values(accumulated.adapterWeights()), values(whole.adapterWeights())).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func cancellationStopsBeforeTheNextMicroBatchAndLeavesTheAdapter() throws {
        let model = try tiny.huggingFaceModel()
        let trainer = try Trainer(model: model, configuration: configuration())
        var reports = 0
        #expect(throws: CancellationError.self) {
            try trainer.train(batches(20, seed: 3)) { _ in
                reports += 1
                if reports == 2 { trainer.cancel() }
            }
        }
        #expect(reports == 2 && trainer.completedSteps == 2)
        let state = trainer.exportState()
        trainer.cancel()
        #expect(throws: CancellationError.self) { try trainer.step(batches(2, seed: 4)) }
        #expect(trainer.exportState() == state)
        // The request is spent: training continues.
        try trainer.step(batches(2, seed: 4))
        #expect(trainer.completedSteps == 3)
    }

    /// A parent adapter is the starting point, round-tripping q/k through the engine's row order.
    @Test func parentAdapterIsTheStartingPoint() throws {
        let model = try tiny.huggingFaceModel()
        let lora = configuration().lora
        let parent = randomAdapter(tiny, lora, seed: 5)
        let trainer = try Trainer(model: model, configuration: configuration(), parent: parent)
        #expect(values(trainer.adapterWeights()) == values(parent))
        var wrongRank = parent
        wrongRank.rank = 2
        #expect(throws: TrainingError.self) { try Trainer(model: model, configuration: configuration(), parent: wrongRank) }
        var missing = parent
        missing.layers[1][.o] = nil
        #expect(throws: TrainingError.self) { try Trainer(model: model, configuration: configuration(), parent: missing) }
    }

    /// PEFT's initialisation: A uniform within ±1/√inputs (kaiming_uniform_ with a = √5), B zero.
    @Test func freshAdapterIsInitialisedAsPEFT() throws {
        let model = try tiny.huggingFaceModel()
        let adapter = try Trainer(model: model, configuration: configuration()).adapterWeights()
        for layer in adapter.layers {
            for (p, pair) in layer {
                let bound = 1 / Float(p.shape(model.config).inputs).squareRoot()
                #expect(pair.a.allSatisfy { abs($0) <= bound } && pair.a.map(abs).max()! > 0.8 * bound)
                #expect(pair.b.allSatisfy { $0 == 0 })
            }
        }
    }

    /// With B = 0 the first step gives A no gradient, so A only decays: by lr·wd in the top
    /// layer and by lr·decay·wd in the one below (layer-wise learning-rate decay).
    @Test func weightDecayIsDecoupledAndLayerDecayScalesTheLowerLayers() throws {
        let model = try tiny.huggingFaceModel()
        let config = configuration { $0.layerDecay = 0.5; $0.weightDecay = 0.1; $0.warmupSteps = 0; $0.lora.dropout = 0 }
        let trainer = try Trainer(model: model, configuration: config)
        let before = trainer.adapterWeights()
        try trainer.step(batches(1, seed: 6))
        let after = trainer.adapterWeights()
        for (l, layerLR) in [(0, config.learningRate * 0.5), (1, config.learningRate)] {
            for (p, pair) in after.layers[l] {
                let factor = 1 - layerLR * config.weightDecay
                #expect(zip(pair.a, before.layers[l][p]!.a).allSatisfy { abs($0 - $1 * factor) <= 1e-7 * abs($0) }, "layer \(l) \(p)")
                #expect(pair.b.contains { $0 != 0 })
            }
        }
    }

    @Test func gradientsAreClippedToTheLimit() throws {
        let model = try tiny.huggingFaceModel()
        let trainer = try Trainer(model: model, configuration: configuration { $0.maxGradientNorm = 1e-3 })
        let report = try trainer.step(batches(2, seed: 7))
        #expect(report.gradientNorm > 1e-3)
        #expect(abs(trainer.parameters.gradientNorm() - 1e-3) < 1e-6)
    }

    @Test func learningRateSchedules() {
        var c = TrainingConfiguration(learningRate: 1, warmupSteps: 4, totalSteps: 14)
        #expect((0..<4).map { c.learningRate(atStep: $0) } == [0.25, 0.5, 0.75, 1])
        #expect(c.learningRate(atStep: 13) == 1)
        c.schedule = .linear
        #expect(zip([4, 9, 13, 14].map { c.learningRate(atStep: $0) }, [1, 0.5, 0.1, 0]).allSatisfy { abs($0 - $1) < 1e-6 })
        c.schedule = .cosine
        #expect(abs(c.learningRate(atStep: 9) - 0.5) < 1e-6 && c.learningRate(atStep: 4) == 1 && abs(c.learningRate(atStep: 14)) < 1e-6)
    }

    @Test func invalidInputsAreErrors() throws {
        let model = try tiny.huggingFaceModel()
        #expect(throws: TrainingError.self) { try Trainer(model: model, configuration: configuration { $0.lora.targets = [] }) }
        #expect(throws: TrainingError.self) { try Trainer(model: model, configuration: configuration { $0.maxSequenceLength = 65 }) }
        let trainer = try Trainer(model: model, configuration: configuration())
        #expect(throws: TrainingError.self) { try trainer.step([[TrainingExample(tokens: [1, 50])]]) }
        #expect(throws: TrainingError.self) { try trainer.step([[TrainingExample(tokens: Array(repeating: 1, count: 17))]]) }
        #expect(throws: TrainingError.self) { try trainer.step([[TrainingExample(tokens: [1, 2], lossMask: [true])]]) }
        #expect(throws: TrainingError.self) { try trainer.step([[TrainingExample(tokens: [1, 2], lossMask: [true, false])]]) }
        #expect(throws: TrainingError.self) { try trainer.step([Array(repeating: TrainingExample(tokens: [1, 2]), count: 3)]) }
        #expect(trainer.completedSteps == 0)
    }
}
