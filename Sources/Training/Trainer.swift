import Adapters
import Foundation
import Llama
import Synchronization

/// Trains a LoRA adapter, or prompt- or prefix-tuning virtual tokens
/// (`TrainingConfiguration.virtualTokens`), on a frozen llama model, or every weight of the
/// model (`TrainingConfiguration.full`, written out with `writeModel`): one `step` per group of micro-batches
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
    let virtual: VirtualTokenParameters?
    let full: FullParameters?
    /// What the optimiser updates: the LoRA matrices, the virtual tokens or all weights.
    private let trained: any TrainableParameters
    private let network: TrainingModel
    private var optimizer: AdamW
    private var generator: SplitMix64
    private let cancelRequested = Atomic<Bool>(false)

    /// A trainer whose adapter starts from `parent`'s matrices (which must have the configured
    /// rank, alpha and targets), or else from PEFT's initialisation. `parentState` (the parent
    /// run's final state, same LoRA shape) also carries its optimiser moments over.
    public convenience init(model: LlamaModel, configuration: TrainingConfiguration, parent: AdapterWeights? = nil,
                            parentState: TrainerState? = nil) throws(TrainingError) {
        try self.init(model: model, configuration: configuration, parent: parent.map(AnyAdapter.lora), parentState: parentState)
    }

    /// A trainer of the configured method, starting from `parent` (of the same method and shape) or PEFT's initialisation.
    /// Full fine-tuning starts from the model's weights, and is refused when its estimated memory
    /// exceeds `availableMemory` (the system's available memory by default).
    public init(model: LlamaModel, configuration: TrainingConfiguration, parent: AnyAdapter?,
                parentState: TrainerState? = nil, availableMemory: Int? = nil) throws(TrainingError) {
        try configuration.validate(for: model.config)
        self.model = model
        self.configuration = configuration
        let virtualTokens = configuration.virtualTokens
        // Prompt and prefix tuning and full fine-tuning have no LoRA pairs.
        var lora = configuration.lora
        if virtualTokens != nil || configuration.full { lora.targets = [] }
        parameters = LoRAParameters(config: model.config, lora: lora)
        virtual = virtualTokens.map { VirtualTokenParameters(config: model.config, configuration: $0) }
        let full = configuration.full ? FullParameters(config: model.config) : nil
        self.full = full
        generator = SplitMix64(state: configuration.seed)
        switch (parent, virtual) {
        case (_?, _) where full != nil: throw .parentMismatch("full fine-tuning starts from the model's own weights, not an adapter")
        case (nil, nil) where full != nil: break
        case let (.lora(weights)?, nil): try parameters.load(weights)
        case let (.promptLearning(weights)?, virtual?): try virtual.load(weights)
        case (nil, nil): parameters.initialise(&generator)
        case let (nil, virtual?): virtual.initialise(&generator, tokenEmbedding: model.weights.tokenEmbedding)
        case (_?, _): throw .parentMismatch("it was trained with another method")
        }
        trained = full as (any TrainableParameters)? ?? virtual ?? parameters
        let sequenceRows = configuration.maxSequenceLength + (virtualTokens?.count ?? 0)
        network = TrainingModel(model: model, parameters: parameters, virtual: virtual, full: full,
                                capacity: configuration.microBatchSize * sequenceRows,
                                maxSequenceLength: sequenceRows,
                                checkpointing: configuration.activationCheckpointing,
                                integerProducts: configuration.integerProducts)
        if let full {
            // Both vectors and the activations are mapped but not yet touched: size the run first.
            let moments = 2 * full.count * MemoryLayout<Float>.size, needed = full.byteCount + moments + network.byteCount
            let available = availableMemory ?? SystemMemory.availableBytes()
            guard needed <= available else {
                let g = TrainingError.gib
                throw .insufficientMemory(needed: needed, available: available, breakdown: "\(full.count) parameters: weights \(g(full.byteCount / 2)), gradients \(g(full.byteCount / 2)), Adam moments \(g(moments)), activations \(g(network.byteCount))")
            }
            full.load(from: model.weights, pool: model.pool)
        }
        optimizer = AdamW(count: trained.count, beta1: configuration.beta1, beta2: configuration.beta2,
                          epsilon: configuration.epsilon, weightDecay: configuration.weightDecay)
        if let parentState {
            try checkFits(parentState)
            trained.values.update(from: parentState.parameters, count: trained.count)
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
            for t in e.tokens + (e.teacher ?? [:]).values.flatMap(\.tokens) where t < 0 || t >= model.config.vocabSize {
                throw .invalidExample("token id \(t) is outside the vocabulary (0..<\(model.config.vocabSize))")
            }
            for q in (e.teacher ?? [:]).values where q.tokens.count != q.probabilities.count || q.probabilities.contains(where: { !($0 >= 0) })
                || abs(q.probabilities.reduce(0, +) - 1) > 1e-3 {
                throw .invalidExample("a teacher distribution's probabilities must be one per token, non-negative and sum to 1")
            }
        }
        let virtualTokens = configuration.virtualTokens?.count ?? 0, batch = PackedBatch(examples, virtualTokens: virtualTokens)
        // A shared prefix adds its keys to every sharing row's: past the room made for the longest
        // sequences (rare: several near the length limit), the examples are packed whole.
        guard network.fits(batch) else { return PackedBatch(examples, virtualTokens: virtualTokens, sharingPrefixes: false) }
        return batch
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
        trained.zeroGradients()
        var loss = 0.0
        for batch in batches {
            do { try checkCancellation() } catch {
                generator = saved
                throw error
            }
            loss += network.forwardBackward(batch, lossScale: 1 / Float(targets), dropoutSeed: generator.next())
        }
        let norm = trained.gradientNorm(pool: model.pool)
        if let limit = configuration.maxGradientNorm, norm > limit { trained.scaleGradients(by: limit / (norm + 1e-6), pool: model.pool) }
        let lr = configuration.learningRate(atStep: completedSteps)
        let layers = model.config.layerCount
        for (layer, range) in trained.groups {
            let layerLR = lr * pow(configuration.layerDecay, Float(layer.map { layers - 1 - $0 } ?? 0))
            optimizer.update(trained.values, trained.gradients, range: range, lr: layerLR, step: optimizerSteps + 1, pool: model.pool)
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
    public func lossAndGradients(_ examples: [TrainingExample]) throws -> (loss: Float, gradients: AnyAdapter) {
        let batch = try pack(examples)
        guard batch.targetCount > 0 else { throw TrainingError.invalidExample("no token of the batch is a target") }
        trained.zeroGradients()
        let loss = network.forwardBackward(batch, lossScale: 1 / Float(batch.targetCount), dropoutSeed: 0)
        return (Float(loss / Double(batch.targetCount)), adapter(gradients: true))
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

    /// The LoRA matrices as trained so far, in file layout.
    public func adapterWeights() -> AdapterWeights { parameters.adapterWeights() }

    /// The adapter as trained so far, in file layout (or the gradients of its values, laid out the same way).
    public func adapter(gradients: Bool = false) -> AnyAdapter {
        precondition(full == nil, "full fine-tuning trains no adapter: write the model with modelFile(type:base:)")
        if let virtual { return .promptLearning(virtual.weights(gradients: gradients, pool: model.pool)) }
        return .lora(parameters.adapterWeights(gradients: gradients))
    }

    public func exportState() -> TrainerState {
        TrainerState(configuration: configuration, model: model.config, completedSteps: completedSteps, optimizerSteps: optimizerSteps,
                     generator: generator.state,
                     parameters: Array(UnsafeBufferPointer(start: trained.values, count: trained.count)),
                     firstMoments: optimizer.m, secondMoments: optimizer.v)
    }

    /// Continues from `state`, exported by a trainer of the same model with the same LoRA
    /// configuration; the other hyper-parameters are this trainer's (a run can be extended).
    public func importState(_ state: TrainerState) throws(TrainingError) {
        try checkFits(state)
        trained.values.update(from: state.parameters, count: trained.count)
        optimizer.m = state.firstMoments
        optimizer.v = state.secondMoments
        generator = SplitMix64(state: state.generator)
        completedSteps = state.completedSteps
        optimizerSteps = state.optimizerSteps
    }

    private func checkFits(_ state: TrainerState) throws(TrainingError) {
        guard state.configuration.virtualTokens == configuration.virtualTokens, state.configuration.full == configuration.full else {
            throw .stateMismatch("it was saved with another method or virtual tokens")
        }
        guard configuration.virtualTokens != nil || configuration.full || state.configuration.lora.sameShape(as: configuration.lora) else {
            throw .stateMismatch("it was saved with another LoRA configuration")
        }
        guard state.model == model.config else { throw .stateMismatch("it was saved for another model") }
        guard [state.parameters.count, state.firstMoments.count, state.secondMoments.count].allSatisfy({ $0 == trained.count }) else {
            throw .stateMismatch("it holds \(state.parameters.count) parameters, this trainer \(trained.count)")
        }
    }
}
