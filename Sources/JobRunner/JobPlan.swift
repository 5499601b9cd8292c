import FineTuning
import Foundation
import Inference
import Llama
import Registry
import Training
import TrainingData

/// How a job's settings become a `FineTuneConfiguration`: the trainer's measured defaults,
/// with whatever the client set on top. Continuing a version keeps its LoRA shape and, by
/// default, replays all of its data (measured: without replay the old facts fade).
public enum JobPlan {
    public static let checkpointEvery = 10

    public static func configuration(settings: JobSettings, data: String, validation: String?, parent: String?,
                                     parentShape: FineTune.ParentShape?, model: LlamaConfig, preparedDirectory: String? = nil) throws(JobPlanError) -> FineTuneConfiguration {
        var training = FineTuneConfiguration(data: []).training
        // 7B-class models keep only each layer's input and recompute the rest in the backward:
        // every layer's activations would outgrow the weights (the 7B shape trained in 4.05 GB so).
        training.activationCheckpointing = model.hiddenSize >= 2048
        // A continuing job keeps its parent's method unless it names one.
        guard let method = settings.method.map(TuningMethod.init(rawValue:)) ?? parentShape?.method ?? .lora else {
            throw .invalid("method must be one of \(TuningMethod.allCases.map(\.rawValue).joined(separator: ", "))", param: "method")
        }
        if method == .full {
            // A whole model is not a version of an adapter: the registry, hot swap and per-request choice do not apply.
            throw .invalid("method full trains every weight into a new model file, which is not an adapter version: run `lorekeeper train --method full` and serve the model it writes", param: "method")
        }
        if let parentShape, parentShape.method != method {
            throw .invalid("the parent was trained with method \(parentShape.method.rawValue); a continuing job keeps it", param: "method")
        }
        if let kind = method.promptLearning {
            training.virtualTokens = try virtualTokens(kind, settings: settings, parentShape: parentShape, model: model)
        } else if settings.virtualTokens != nil || settings.prefixProjection != nil {
            throw .invalid("virtual_tokens and prefix_projection are for methods prompt and prefix", param: "method")
        }
        if case let .lora(parentShape)? = parentShape {
            training.lora = parentShape
            if let rank = settings.rank, rank != parentShape.rank { throw .invalid("rank must be the parent's (\(parentShape.rank)) when continuing", param: "lora.rank") }
            if let alpha = settings.alpha, alpha != parentShape.alpha { throw .invalid("alpha must be the parent's (\(parentShape.alpha)) when continuing", param: "lora.alpha") }
            if let targets = settings.targets, Set(targets) != Set(parentShape.targets.map(\.rawValue)) {
                throw .invalid("targets must be the parent's (\(parentShape.targets.map(\.rawValue).sorted().joined(separator: ", "))) when continuing", param: "lora.targets")
            }
        } else {
            if let rank = settings.rank {
                guard (1...256).contains(rank) else { throw .invalid("rank must be in 1...256", param: "lora.rank") }
                training.lora.rank = rank
            }
            if let alpha = settings.alpha {
                guard alpha.isFinite, alpha > 0 else { throw .invalid("alpha must be a positive number", param: "lora.alpha") }
                training.lora.alpha = alpha
            }
            if let targets = settings.targets {
                var set = Set<Projection>()
                for name in targets {
                    guard let p = Projection(rawValue: name) else {
                        throw .invalid("unknown target '\(name)': use \(Projection.allCases.map(\.rawValue).joined(separator: ", "))", param: "lora.targets")
                    }
                    set.insert(p)
                }
                guard !set.isEmpty else { throw .invalid("targets must name at least one projection", param: "lora.targets") }
                training.lora.targets = set
            }
        }
        if let multiplier = settings.learningRateMultiplier {
            guard multiplier.isFinite, multiplier > 0, multiplier <= 100 else {
                throw .invalid("learning_rate_multiplier must be in (0, 100]", param: "hyperparameters.learning_rate_multiplier")
            }
            training.learningRate *= Float(multiplier)
        }
        if let batchSize = settings.batchSize {
            guard (1...256).contains(batchSize) else { throw .invalid("batch_size must be in 1...256", param: "hyperparameters.batch_size") }
            training.microBatchSize = batchSize
        }
        if let seed = settings.seed { training.seed = seed }
        let replay = settings.replayFraction ?? (parent == nil ? 0 : 1)
        guard (0...1).contains(replay) else { throw .invalid("replay_fraction must be in [0, 1]", param: "lora.replay_fraction") }
        guard replay == 0 || parent != nil else { throw .invalid("replay_fraction needs a parent: set model to NAME or NAME@VERSION", param: "lora.replay_fraction") }
        let epochs = settings.epochs ?? FineTuneConfiguration.defaultEpochs(data: [data])
        guard (1...1000).contains(epochs) else { throw .invalid("n_epochs must be in 1...1000", param: "hyperparameters.n_epochs") }
        training.schedule = FineTuneConfiguration.defaultSchedule(data: [data])
        return FineTuneConfiguration(data: [data], validationData: validation.map { [$0] } ?? [], epochs: epochs,
                                     maxStepsPerWord: settings.epochs == nil ? FineTuneConfiguration.defaultMaxStepsPerWord : nil, parent: parent,
                                     replayFraction: replay, checkpointEvery: checkpointEvery, training: training, preparedDirectory: preparedDirectory)
    }
}

extension JobPlan {
    static let defaultVirtualTokens = 20

    /// Prompt or prefix tuning's virtual tokens: the parent's, or the settings' (LoRA's shape settings do not apply).
    static func virtualTokens(_ kind: VirtualTokenConfiguration.Kind, settings: JobSettings, parentShape: FineTune.ParentShape?,
                              model: LlamaConfig) throws(JobPlanError) -> VirtualTokenConfiguration {
        guard settings.rank == nil, settings.alpha == nil, settings.targets == nil else {
            throw .invalid("rank, alpha and targets are LoRA's; method \(kind == .promptTuning ? "prompt" : "prefix") has virtual_tokens", param: "lora")
        }
        guard settings.prefixProjection != true || kind == .prefixTuning else {
            throw .invalid("prefix_projection is for method prefix", param: "prefix_projection")
        }
        if case let .virtualTokens(parent)? = parentShape {
            guard settings.virtualTokens.map({ $0 == parent.count }) ?? true else {
                throw .invalid("virtual_tokens must be the parent's (\(parent.count)) when continuing", param: "virtual_tokens")
            }
            guard settings.prefixProjection != true else { throw .invalid("a continuing job starts from the parent's prefixes, without a projection", param: "prefix_projection") }
            return parent
        }
        let count = settings.virtualTokens ?? defaultVirtualTokens
        guard (1...512).contains(count) else { throw .invalid("virtual_tokens must be in 1...512", param: "virtual_tokens") }
        return VirtualTokenConfiguration(kind: kind, count: count, projectionSize: settings.prefixProjection == true ? model.kvDim : nil)
    }
}

public enum JobPlanError: Error, Equatable, CustomStringConvertible {
    case invalid(String, param: String)

    public var description: String {
        switch self { case let .invalid(why, _): why }
    }

    public var param: String {
        switch self { case let .invalid(_, param): param }
    }
}

extension JobPlan {
    /// Whether a job with `settings` can run, continuing the adapter at `parentPath` if any
    /// (its files load on this model, its shape allows the settings).
    public static func check(settings: JobSettings, parentPath: String?, config: LlamaConfig) throws {
        let shape = try parentPath.map { try FineTune.parentShape(path: $0, config: config) }
        _ = try configuration(settings: settings, data: "", validation: nil, parent: parentPath, parentShape: shape, model: config)
    }

    /// The trainer's defaults for what a job leaves out.
    public static let defaults = (batchSize: FineTuneConfiguration(data: []).training.microBatchSize, seed: FineTuneConfiguration(data: []).training.seed)

    /// The epochs a job that leaves them out trains on a training file of `kind`.
    public static func defaultEpochs(trainingFile kind: FileKind) -> Int {
        FineTuneConfiguration.defaultEpochs(data: ["training.\(kind.fileExtension)"])
    }

    /// What an uploaded file holds as training data.
    public struct Inspection: Sendable {
        public var lines: Int
        public var examples: Int
        public var tokens: Int
    }

    /// Reads `path` as a job will (`.txt`/`.md` documents, chat `.jsonl`) with `model`'s
    /// tokenizer and template. Bad content throws the loader's error, naming the line.
    public static func inspect(path: String, model: LoadedModel) throws -> Inspection {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        if let offset = bytes.firstIndex(of: 0) { throw JobPlanError.invalid("it is binary (a NUL byte at offset \(offset)), not text", param: "file") }
        let defaults = FineTuneConfiguration(data: [])
        let loader = TrainingDataLoader(tokenizer: model.tokenizer, chatTemplate: model.chatTemplate,
                                        sequenceLength: defaults.training.maxSequenceLength, overlap: defaults.overlap, overLength: defaults.overLength)
        let set = try loader.load([path])
        return Inspection(lines: bytes.count(where: { $0 == 0x0A }) + (bytes.last == 0x0A ? 0 : 1), examples: set.examples.count, tokens: set.tokenCount)
    }
}
