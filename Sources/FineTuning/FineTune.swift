import Adapters
import Foundation
import Inference
import KnowledgePreparation
import Llama
import ModelFormats
import Retrieval
import Synchronization
import Training
import TrainingData

/// What a run reports while it goes.
public enum FineTuneEvent: Sendable {
    /// Data loaded and the run planned (a resumed run's report holds the steps already done).
    case started(FineTuneReport)
    case step(FineTuneReport.Step, totalSteps: Int, etaSeconds: Double)
    case validated(FineTuneReport.Validation)
    /// The output folder was written: a checkpoint, or the finished adapter when `completed`.
    case saved(step: Int, completed: Bool)
}

/// One fine-tuning run (LoRA, prompt or prefix tuning), from files to a PEFT adapter folder (or, with
/// full fine-tuning, to a folder with the new model as `model.gguf`): loads and splits the data,
/// starts from zeros or a parent adapter, steps the `Trainer`, validates after each epoch and
/// writes the output folder — `adapter_config.json`, `adapter_model.safetensors`,
/// `training.json` (`FineTuneReport`) and `trainer_state.bin` — in one atomic rename at every
/// checkpoint and at the end. `run(resume: true)` continues from the folder's last save and
/// ends with the adapter an uninterrupted run gives. The server's job queue runs this in-process.
public final class FineTune: @unchecked Sendable {
    public static let reportFile = "training.json"
    public static let stateFile = "trainer_state.bin"
    /// The model a full fine-tuning run writes into its output folder.
    public static let modelFile = "model.gguf"

    public let model: LoadedModel
    /// With absolute paths, as `training.json` records it.
    public let configuration: FineTuneConfiguration
    public let output: String
    private let cancelled = Atomic<Bool>(false)
    private let trainer = Mutex<Trainer?>(nil)

    public init(model: LoadedModel, configuration: FineTuneConfiguration, output: String) {
        self.model = model
        var configuration = configuration
        configuration.data = configuration.data.map(Self.absolute)
        configuration.validationData = configuration.validationData.map(Self.absolute)
        configuration.parent = configuration.parent.map(Self.absolute)
        configuration.preparedDirectory = configuration.preparedDirectory.map(Self.absolute)
        self.configuration = configuration
        self.output = Self.absolute(output)
    }

    /// Stops a running `run` before its next micro-batch: it saves what it has done (a later
    /// `run(resume: true)` goes on from there) and throws `CancellationError`.
    public func cancel() {
        cancelled.store(true, ordering: .relaxed)
        trainer.withLock { $0?.cancel() }
    }

    /// What a run continuing an adapter keeps of it: LoRA's rank, alpha, rsLoRA and targets, or
    /// the method and number of virtual tokens of prompt or prefix tuning.
    public enum ParentShape: Sendable, Equatable {
        case lora(LoRAConfiguration)
        case virtualTokens(VirtualTokenConfiguration)

        public var method: TuningMethod {
            switch self {
            case .lora: .lora
            case let .virtualTokens(v): v.kind == .promptTuning ? .prompt : .prefix
            }
        }
    }

    /// The shape of the adapter at `path`, which a run continuing it must use.
    public static func parentShape(path: String, config: LlamaConfig) throws -> ParentShape {
        switch try AnyAdapter.load(path: path, config: config) {
        case let .lora(weights): .lora(LoRAConfiguration(shapeOf: weights))
        case let .promptLearning(weights): .virtualTokens(VirtualTokenConfiguration(kind: weights.method, count: weights.virtualTokens))
        }
    }

    @discardableResult
    public func run(resume: Bool = false, events: (FineTuneEvent) -> Void = { _ in }) throws -> FineTuneReport {
        let sessionStart = ContinuousClock.now
        try configuration.validate()
        // The new model takes the base file's tokenizer and metadata: check before training, not after.
        let base = try configuration.training.full ? Self.baseFile(model.path) : nil
        let resuming = resume && FileManager.default.fileExists(atPath: output)
        if !resume, FileManager.default.fileExists(atPath: output) { throw FineTuneError.outputExists(output) }
        let outputParent = (output as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: outputParent, withIntermediateDirectories: true) } catch {
            throw FineTuneError.cannotWrite(path: output, reason: "cannot create \(outputParent): \(error.localizedDescription)")
        }

        let loader = TrainingDataLoader(tokenizer: model.tokenizer, chatTemplate: model.chatTemplate,
                                        sequenceLength: configuration.training.maxSequenceLength,
                                        overlap: configuration.overlap, overLength: configuration.overLength)
        let parent = try loadParent(loader)
        let loaded = try loadData(configuration.data, loader, settings: configuration.preparation, directory: configuration.preparedDirectory,
                                  replayed: parent.replay?.examples.count ?? 0)
        var trainingSet = loaded.0
        let knowledge = try knowledgeIndex()
        var validationSet: TrainingDataset?
        if !configuration.validationData.isEmpty {
            validationSet = try loader.load(configuration.validationData)
        } else if configuration.validationFraction > 0 {
            let parts = trainingSet.split(validationFraction: configuration.validationFraction, seed: configuration.training.seed)
            (trainingSet, validationSet) = (parts.training, parts.validation)
        }
        let examples = parent.replay.map { trainingSet.appending($0) } ?? trainingSet

        var training = configuration.training
        let batchesPerEpoch = (examples.examples.count + training.microBatchSize - 1) / training.microBatchSize
        let stepsPerEpoch = (batchesPerEpoch + training.gradientAccumulationSteps - 1) / training.gradientAccumulationSteps
        let epochs = max(configuration.epochs, (configuration.minSteps + stepsPerEpoch - 1) / stepsPerEpoch)
        var steps = epochs * stepsPerEpoch
        if let perWord = configuration.maxStepsPerWord, let words = loaded.1?.words, words > 0 {
            let replayShare = Double(examples.examples.count) / Double(max(1, trainingSet.examples.count))
            steps = max(configuration.minSteps, min(steps, Int((perWord * Double(words) * replayShare).rounded())))
        }
        training.totalSteps = configuration.maxSteps ?? steps
        let trainer = try Trainer(model: model.model, configuration: training, parent: parent.weights, parentState: parent.state)
        self.trainer.withLock { $0 = trainer }
        defer { self.trainer.withLock { $0 = nil } }
        if cancelled.load(ordering: .relaxed) { trainer.cancel() }

        var report = FineTuneReport(
            baseModel: .init(id: model.id, path: Self.absolute(model.path), config: model.config),
            parent: configuration.parent.map { .init(path: $0, optimizerState: configuration.parentOptimizerState) },
            configuration: { var c = configuration; c.training.totalSteps = training.totalSteps; return c }(), data: trainingSet.summary, replay: parent.replay?.summary,
            validationData: validationSet?.summary, stepsPerEpoch: stepsPerEpoch, totalSteps: training.totalSteps,
            steps: [], validation: [], wallSeconds: 0, completed: false)
        report.preparation = loaded.1
        if resuming {
            let saved = try restore(into: trainer, expecting: report)
            if saved.completed {
                events(.started(saved))
                return saved
            }
            (report.steps, report.validation, report.wallSeconds) = (saved.steps, saved.validation, saved.wallSeconds)
        }
        let wallBefore = report.wallSeconds
        var lastSaved = report.completedSteps
        func save(completed: Bool) throws {
            report.completed = completed
            report.wallSeconds = wallBefore + (ContinuousClock.now - sessionStart) / .seconds(1)
            try write(report, trainer, base: base, knowledge: knowledge)
            lastSaved = report.completedSteps
            events(.saved(step: report.completedSteps, completed: completed))
        }

        events(.started(report))
        var epochBatches: (epoch: Int, batches: [[TrainingExample]])?
        var sessionSteps = 0.0, sessionCount = 0
        do {
            try validateIfDue(&report, trainer, validationSet, events)
            while report.completedSteps < report.totalSteps {
                let s = report.completedSteps, epoch = s / stepsPerEpoch, j = s % stepsPerEpoch
                if epochBatches?.epoch != epoch {
                    epochBatches = (epoch, examples.batches(size: training.microBatchSize, epoch: epoch, seed: training.seed))
                }
                let batches = epochBatches!.batches, accumulation = training.gradientAccumulationSteps
                let progress = try trainer.step(Array(batches[j * accumulation..<min((j + 1) * accumulation, batches.count)]))
                let record = FineTuneReport.Step(step: progress.step, epoch: epoch + 1, loss: progress.loss, learningRate: progress.learningRate,
                                                 gradientNorm: progress.gradientNorm, tokens: progress.tokens, seconds: progress.seconds)
                report.steps.append(record)
                sessionSteps += progress.seconds
                sessionCount += 1
                events(.step(record, totalSteps: report.totalSteps, etaSeconds: sessionSteps / Double(sessionCount) * Double(report.totalSteps - record.step)))
                try validateIfDue(&report, trainer, validationSet, events)
                if configuration.checkpointEvery > 0, record.step % configuration.checkpointEvery == 0, record.step < report.totalSteps {
                    try save(completed: false)
                }
            }
        } catch is CancellationError {
            if report.completedSteps > lastSaved { try save(completed: false) }
            throw CancellationError()
        }
        try save(completed: true)
        return report
    }

    /// Validation loss after the last step of an epoch and after the run's last step, once.
    private func validateIfDue(_ report: inout FineTuneReport, _ trainer: Trainer, _ set: TrainingDataset?,
                               _ events: (FineTuneEvent) -> Void) throws {
        guard let set, let last = report.steps.last, report.validation.last?.step != last.step,
              last.step % report.stepsPerEpoch == 0 || last.step == report.totalSteps else { return }
        let record = FineTuneReport.Validation(epoch: last.epoch, step: last.step, loss: try trainer.validationLoss(set.examples))
        report.validation.append(record)
        events(.validated(record))
    }

    private struct Parent {
        var weights: AnyAdapter?
        var state: TrainerState?
        var replay: TrainingDataset?
    }

    private func loadParent(_ loader: TrainingDataLoader) throws -> Parent {
        guard let path = configuration.parent else { return Parent() }
        var parent = Parent(weights: try AnyAdapter.load(path: path, config: model.config))
        if configuration.parentOptimizerState {
            parent.state = try TrainerState(encoded: try Self.read(path + "/" + Self.stateFile, FineTuneError.parent))
        }
        if configuration.replayFraction > 0 {
            let report = try Self.readReport(path + "/" + Self.reportFile, FineTuneError.parent)
            // The parent's own replay comes back too, so a chain of runs keeps all its ancestors' data.
            let files = report.data.files + (report.replay?.files ?? [])
            // Documents come back prepared as the parent prepared them, without its general examples.
            var settings = report.configuration.preparation
            settings.generalShare = 0
            let data = try loadData(files.map(\.path), loader, settings: settings, directory: configuration.preparedDirectory).0
            for (recorded, now) in zip(files, data.files) where recorded.sha256 != now.sha256 {
                throw FineTuneError.parent("\(recorded.path) changed since the parent was trained (SHA-256 \(recorded.sha256), now \(now.sha256))")
            }
            parent.replay = data.sample(fraction: configuration.replayFraction, seed: configuration.training.seed)
        }
        return parent
    }

    /// The parent's passages followed by the sentences of this run's documents (with knowledge
    /// preparation on), each with its heading, its document's title, the questions the rules
    /// synthesise from it and the base model's sentence vectors of both; nil when there are none:
    /// what chat requests to the new version are grounded in (`PassageIndex`).
    private func knowledgeIndex() throws -> PassageIndex? {
        var index = PassageIndex(passages: [])
        if let parent = configuration.parent {
            do { index = try PassageIndex.load(folder: parent) ?? index } catch {
                throw FineTuneError.parent("\(parent)/\(PassageIndex.fileName) is not a passage index: \(error)")
            }
        }
        for path in configuration.data where configuration.preparation.enabled && TrainingDataLoader.isDocument(path) {
            index.append(KnowledgePreparer.passages(DocumentText(parsing: try TrainingDataLoader.readDocument(path).text)))
        }
        guard !index.passages.isEmpty else { return nil }
        do {
            try index.embed(in: EmbeddingSpace(layer: model.sentenceEmbeddingLayer, dimensions: model.config.hiddenSize),
                            general: GeneralReplay.pairs.map(\.prompt), model.sentenceEmbeddings)
        } catch {
            throw FineTuneError.invalidConfiguration("the passages cannot be embedded: \(error)")
        }
        return index
    }

    /// Loads the output folder's last save into `trainer`, checked to be the same run.
    private func restore(into trainer: Trainer, expecting planned: FineTuneReport) throws -> FineTuneReport {
        let saved = try Self.readReport(output + "/" + Self.reportFile, FineTuneError.cannotResume)
        var settings = saved.configuration
        settings.checkpointEvery = planned.configuration.checkpointEvery  // may change between sessions
        settings.preparedDirectory = planned.configuration.preparedDirectory
        guard settings == planned.configuration else {
            throw FineTuneError.cannotResume("\(output) holds a run with other settings (see its \(Self.reportFile))")
        }
        func digests(_ s: TrainingDataset.Summary?) -> [String] { s?.files.map(\.sha256) ?? [] }
        guard digests(saved.data) == digests(planned.data), digests(saved.validationData) == digests(planned.validationData),
              digests(saved.replay) == digests(planned.replay) else {
            throw FineTuneError.cannotResume("the data files changed since \(output) was saved")
        }
        guard saved.baseModel.config == planned.baseModel.config else { throw FineTuneError.cannotResume("\(output) was trained on another model") }
        let state = try TrainerState(encoded: try Self.read(output + "/" + Self.stateFile, FineTuneError.cannotResume))
        guard state.completedSteps == saved.completedSteps else {
            throw FineTuneError.cannotResume("\(Self.stateFile) is at step \(state.completedSteps), \(Self.reportFile) at \(saved.completedSteps)")
        }
        try trainer.importState(state)
        return saved
    }

    private func write(_ report: FineTuneReport, _ trainer: Trainer, base: GGUFFile?, knowledge: PassageIndex?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json: Data, passages: Data?
        do {
            json = try encoder.encode(report)
            passages = try knowledge.map { try encoder.encode($0) }
        } catch { throw FineTuneError.cannotWrite(path: output, reason: "\(error)") }
        var extraFiles = [Self.reportFile: Array(json), Self.stateFile: trainer.exportState().encoded()]
        extraFiles[PassageIndex.fileName] = passages.map(Array.init)
        if let base {
            let file = try trainer.modelFile(type: configuration.modelType, base: base)
            try PEFTAdapter.replaceFolder(output, marker: Self.modelFile) { temp in
                try file.write(to: temp + "/" + Self.modelFile)
                for (name, bytes) in extraFiles { try AtomicFileWriter.write(bytes, to: temp + "/" + name) }
            }
            return
        }
        var adapter = trainer.adapter()
        adapter.baseModel = report.baseModel.path
        try adapter.write(to: output, config: model.config, extraFiles: extraFiles)
    }

    private static func baseFile(_ path: String) throws -> GGUFFile {
        guard path.hasSuffix(".gguf") else {
            throw FineTuneError.invalidConfiguration("full fine-tuning writes a GGUF model with the base model's tokenizer and metadata: the base must be a .gguf file, not \(path)")
        }
        return try GGUFFile(path: path)
    }

    /// The `training.json` of an output folder.
    public static func readReport(folder: String) throws -> FineTuneReport {
        try readReport(folder + "/" + reportFile, FineTuneError.unreadable)
    }

    private static func readReport(_ path: String, _ failure: (String) -> FineTuneError) throws -> FineTuneReport {
        let bytes = try read(path, failure)
        do { return try JSONDecoder().decode(FineTuneReport.self, from: Data(bytes)) } catch {
            throw failure("\(path) is not a training report: \(error)")
        }
    }

    private static func read(_ path: String, _ error: (String) -> FineTuneError) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw error("cannot read \(path)") }
        return Array(data)
    }

    private static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}
