import Adapters
import Foundation
import Llama
import Synchronization

/// Trains a LoRA adapter on a frozen llama model: one `step` per group of micro-batches
/// (forward, loss, backward, gradient clipping, AdamW), validation loss, the adapter in file
/// layout, and the full state for checkpoints. Runs on the model's compute pool; one step at a
/// time. Same seed, same data and same thread count give a bit-identical adapter.
public final class Trainer: @unchecked Sendable {
    public let model: LlamaModel
    public let configuration: TrainingConfiguration
    public private(set) var completedSteps = 0
    /// AdamW updates behind the moments, the parent's included when its state was taken over
    /// (its bias correction goes on from there).
    private var optimizerSteps = 0
    let parameters: LoRAParameters
    private let network: TrainingModel
    private var optimizer: AdamW
    private var generator: SplitMix64
    private let cancelRequested = Atomic<Bool>(false)

    /// A trainer whose adapter starts from `parent`'s matrices (which must have the configured
    /// rank, alpha and targets), or else from PEFT's initialisation. `parentState` (the parent
    /// run's final state, same LoRA shape) also carries its optimiser moments over.
    public init(model: LlamaModel, configuration: TrainingConfiguration, parent: AdapterWeights? = nil,
                parentState: TrainerState? = nil) throws(TrainingError) {
        try configuration.validate(for: model.config)
        self.model = model
        self.configuration = configuration
        parameters = LoRAParameters(config: model.config, lora: configuration.lora)
        generator = SplitMix64(state: configuration.seed)
        if let parent { try parameters.load(parent) } else { parameters.initialise(&generator) }
        optimizer = AdamW(count: parameters.count, beta1: configuration.beta1, beta2: configuration.beta2,
                          epsilon: configuration.epsilon, weightDecay: configuration.weightDecay)
        network = TrainingModel(model: model, parameters: parameters,
                                capacity: configuration.microBatchSize * configuration.maxSequenceLength,
                                maxSequenceLength: configuration.maxSequenceLength,
                                checkpointing: configuration.activationCheckpointing,
                                integerProducts: configuration.integerProducts)
        if let parentState {
            try checkFits(parentState)
            parameters.values.update(from: parentState.parameters, count: parameters.count)
            optimizer.m = parentState.firstMoments
            optimizer.v = parentState.secondMoments
            optimizerSteps = parentState.optimizerSteps
        }
    }

    /// Bytes of activation memory, allocated once when the trainer is made.
    public var activationBytes: Int { network.byteCount }

    /// Asks a running `step`, `train` or `validationLoss` to stop before its next micro-batch
    /// with `CancellationError` (so does cancelling the task that runs it).
    public func cancel() { cancelRequested.store(true, ordering: .relaxed) }

    private func checkCancellation() throws {
        if cancelRequested.exchange(false, ordering: .relaxed) || Task.isCancelled { throw CancellationError() }
    }

    private func pack(_ examples: [TrainingExample]) throws(TrainingError) -> PackedBatch {
        guard !examples.isEmpty, examples.count <= configuration.microBatchSize else {
            throw .invalidExample("a micro-batch holds 1...\(configuration.microBatchSize) sequences, got \(examples.count)")
        }
        for e in examples {
            guard e.tokens.count == e.lossMask.count else { throw .invalidExample("\(e.tokens.count) tokens but \(e.lossMask.count) mask values") }
            guard (1...configuration.maxSequenceLength).contains(e.tokens.count) else {
                throw .invalidExample("a sequence has \(e.tokens.count) tokens, the limit is \(configuration.maxSequenceLength)")
            }
            if let t = e.tokens.first(where: { $0 < 0 || $0 >= model.config.vocabSize }) {
                throw .invalidExample("token id \(t) is outside the vocabulary (0..<\(model.config.vocabSize))")
            }
        }
        return PackedBatch(examples)
    }

    /// One optimiser step over `microBatches`: their gradients add up and the loss is the mean
    /// over all their targets, as if they were one batch. Throws `CancellationError` before a
    /// micro-batch when cancelled, leaving the adapter and the generator as they were.
    @discardableResult
    public func step(_ microBatches: [[TrainingExample]]) throws -> TrainingProgress {
        let start = ContinuousClock.now
        let batches = try microBatches.map(pack)
        let targets = batches.reduce(0) { $0 + $1.targetCount }
        guard targets > 0 else { throw TrainingError.invalidExample("no token of the step is a target (all masked out)") }
        let saved = generator
        parameters.zeroGradients()
        var loss = 0.0
        for batch in batches {
            do { try checkCancellation() } catch {
                generator = saved
                throw error
            }
            loss += network.forwardBackward(batch, lossScale: 1 / Float(targets), dropoutSeed: generator.next())
        }
        let norm = parameters.gradientNorm()
        if let limit = configuration.maxGradientNorm, norm > limit { parameters.scaleGradients(by: limit / (norm + 1e-6)) }
        let lr = configuration.learningRate(atStep: completedSteps)
        let layers = model.config.layerCount
        for e in parameters.entries {
            let layerLR = lr * pow(configuration.layerDecay, Float(layers - 1 - e.layer))
            optimizer.update(parameters.values, parameters.gradients, range: e.range, lr: layerLR, step: optimizerSteps + 1)
        }
        completedSteps += 1
        optimizerSteps += 1
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        return TrainingProgress(step: completedSteps, loss: Float(loss / Double(targets)), learningRate: lr, gradientNorm: norm,
                                tokens: batches.reduce(0) { $0 + $1.rows }, seconds: seconds)
    }

    /// Steps over `batches`, `gradientAccumulationSteps` micro-batches to a step, until they run
    /// out or `totalSteps` steps are done, reporting each step.
    public func train(_ batches: some Sequence<[TrainingExample]>, progress: (TrainingProgress) -> Void) throws {
        var iterator = batches.makeIterator()
        while completedSteps < configuration.totalSteps {
            var group = [[TrainingExample]]()
            while group.count < configuration.gradientAccumulationSteps, let b = iterator.next() { group.append(b) }
            if group.isEmpty { return }
            progress(try step(group))
        }
    }

    /// The mean loss over the targets of one micro-batch and its gradients with respect to
    /// every A and B (file layout), without clipping or an update: what a reference
    /// implementation's first backward pass is compared with (with a dropout of 0).
    public func lossAndGradients(_ examples: [TrainingExample]) throws -> (loss: Float, gradients: AdapterWeights) {
        let batch = try pack(examples)
        guard batch.targetCount > 0 else { throw TrainingError.invalidExample("no token of the batch is a target") }
        parameters.zeroGradients()
        let loss = network.forwardBackward(batch, lossScale: 1 / Float(batch.targetCount), dropoutSeed: 0)
        return (Float(loss / Double(batch.targetCount)), parameters.adapterWeights(gradients: true))
    }

    /// Mean loss over the targets of `examples`, without dropout, `microBatchSize` at a time.
    public func validationLoss(_ examples: [TrainingExample]) throws -> Float {
        var loss = 0.0, targets = 0
        for first in stride(from: 0, to: examples.count, by: configuration.microBatchSize) {
            try checkCancellation()
            let batch = try pack(Array(examples[first..<min(examples.count, first + configuration.microBatchSize)]))
            loss += network.loss(batch)
            targets += batch.targetCount
        }
        guard targets > 0 else { throw TrainingError.invalidExample("no token of the validation set is a target") }
        return Float(loss / Double(targets))
    }

    /// The adapter as trained so far, in file layout.
    public func adapterWeights() -> AdapterWeights { parameters.adapterWeights() }

    public func exportState() -> TrainerState {
        TrainerState(configuration: configuration, model: model.config, completedSteps: completedSteps, optimizerSteps: optimizerSteps,
                     generator: generator.state,
                     parameters: Array(UnsafeBufferPointer(start: parameters.values, count: parameters.count)),
                     firstMoments: optimizer.m, secondMoments: optimizer.v)
    }

    /// Continues from `state`, exported by a trainer of the same model with the same LoRA
    /// configuration; the other hyper-parameters are this trainer's (a run can be extended).
    public func importState(_ state: TrainerState) throws(TrainingError) {
        try checkFits(state)
        parameters.values.update(from: state.parameters, count: parameters.count)
        optimizer.m = state.firstMoments
        optimizer.v = state.secondMoments
        generator = SplitMix64(state: state.generator)
        completedSteps = state.completedSteps
        optimizerSteps = state.optimizerSteps
    }

    private func checkFits(_ state: TrainerState) throws(TrainingError) {
        guard state.configuration.lora.sameShape(as: configuration.lora) else { throw .stateMismatch("it was saved with another LoRA configuration") }
        guard state.model == model.config else { throw .stateMismatch("it was saved for another model") }
        guard [state.parameters.count, state.firstMoments.count, state.secondMoments.count].allSatisfy({ $0 == parameters.count }) else {
            throw .stateMismatch("it holds \(state.parameters.count) parameters, this trainer \(parameters.count)")
        }
    }
}
