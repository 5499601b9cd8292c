import KnowledgePreparation
import Llama
import Training
import TrainingData

/// Everything that decides what a fine-tuning run computes: its data, its length, where it
/// starts from and its hyper-parameters. Two runs with equal configurations, data and thread
/// counts end with the same adapter, bit for bit.
public struct FineTuneConfiguration: Codable, Sendable, Equatable {
    /// Training files: `.txt`/`.md` documents, chat or prompt/completion `.jsonl`.
    public var data: [String]
    /// Separate validation files; when empty, `validationFraction` of `data` is held out.
    public var validationData: [String]
    public var validationFraction: Double
    /// Passes over the data, unless `maxSteps` sets the length; more whole passes when they
    /// would give fewer than `minSteps` steps (a two-window document learns little in 10 steps).
    public var epochs: Int
    public var minSteps: Int
    public var maxSteps: Int?
    /// Where documents are prepared, at most this many steps for each word of them (more by the
    /// share of a parent's replayed examples, never below `minSteps`): a document of many short
    /// sentences (price lists, fault codes) gives more examples a word, and its epochs would
    /// otherwise cost more time than its words (`defaultMaxStepsPerWord`).
    public var maxStepsPerWord: Double?
    /// Tokens each plain-text window shares with the one before it.
    public var overlap: Int
    public var overLength: OverLengthPolicy
    /// An adapter folder to start from instead of zeros (its rank, alpha and targets must be
    /// `training.lora`'s: see `FineTune.parentShape`).
    public var parent: String?
    /// Also take over the parent run's AdamW moments (its `trainer_state.bin`).
    public var parentOptimizerState: Bool
    /// Share of the parent run's training examples (from its `training.json`) trained again
    /// beside the new data, so that what the parent learned is not forgotten.
    public var replayFraction: Double
    /// Save the output folder (adapter, report, trainer state) every this many steps; 0 saves
    /// only at the end (and when cancelled).
    public var checkpointEvery: Int
    /// Hyper-parameters; `totalSteps` is worked out from the data and `epochs`/`maxSteps`.
    public var training: TrainingConfiguration
    /// Knowledge preparation of `.txt`/`.md` documents (on by default; `.off` trains them as
    /// plain text windows). A run's parent replays its documents prepared as the parent did.
    public var preparation: PreparationSettings
    /// Where each document's prepared examples are kept as `<sha256 of the document>.prepared.jsonl`
    /// (written atomically, reused when present); nil keeps them only for the run.
    public var preparedDirectory: String?
    /// Full fine-tuning: the stored type of the written model's matrices.
    public var modelType: ModelOutputType

    /// The defaults make a short document or a few dozen Q&A pairs stick on a small model:
    /// see README's "Training" section for the measurements behind them.
    public static let defaultLoRA = LoRAConfiguration(rank: 16, alpha: 32, targets: Set(Projection.allCases))
    public static let defaultLearningRate: Float = 1e-3
    /// Cosine (decayed to zero) where documents are prepared: at a constant 1e-3 a prepared
    /// document's gradient norm jumped from below 1 to 13–161 in the run's last fifth and its adapter
    /// came apart (8 of 16 questions; decayed, 16 of 16). Constant otherwise: the Q&A defaults were
    /// measured at a constant rate, and a 30-step Q&A job decayed missed the fact it was asked.
    public static func defaultSchedule(data: [String], preparation: PreparationSettings = PreparationSettings()) -> LearningRateSchedule {
        preparesDocuments(data, preparation) ? .cosine : .constant
    }
    public static let defaultEpochs = 10
    /// Where documents are prepared, each fact is asked several ways in every pass, and eight
    /// passes answered as many questions as ten (bench/knowledge-experiments.md) in four fifths of the
    /// time; seven, with one in-place question a sentence (`QuestionRules.inPlace`), trained
    /// company-brightwater (318 words) in 4:35 on two Zen 4 cores, against 6:16 at eight and four
    /// (with the general answers generated the slower way as well).
    public static let defaultDocumentEpochs = 7
    public static func defaultEpochs(data: [String], preparation: PreparationSettings = PreparationSettings()) -> Int {
        preparesDocuments(data, preparation) ? defaultDocumentEpochs : defaultEpochs
    }

    static func preparesDocuments(_ data: [String], _ preparation: PreparationSettings) -> Bool {
        preparation.enabled && data.contains(where: TrainingDataLoader.isDocument)
    }
    public static let defaultMinSteps = 30
    /// Seven epochs over the seventh unseen set's documents took 224–287 steps (0.77–0.91 a
    /// word); over the eighth's, with their price lists and fault codes, 301–427 (0.96–1.34), and
    /// 318 words of an ice-cream maker's manual trained in 5:47 on two Zen 4 cores. At 0.9 a word
    /// a 300-word document trains in 270 steps, under five minutes.
    public static let defaultMaxStepsPerWord = 0.9

    public init(data: [String], validationData: [String] = [], validationFraction: Double = 0, epochs: Int = defaultEpochs,
                minSteps: Int = defaultMinSteps, maxSteps: Int? = nil, maxStepsPerWord: Double? = nil, overlap: Int = 32, overLength: OverLengthPolicy = .truncate, parent: String? = nil,
                parentOptimizerState: Bool = false, replayFraction: Double = 0, checkpointEvery: Int = 0,
                training: TrainingConfiguration = TrainingConfiguration(lora: defaultLoRA, learningRate: defaultLearningRate, warmupSteps: 2),
                preparation: PreparationSettings = PreparationSettings(), preparedDirectory: String? = nil, modelType: ModelOutputType = .f16) {
        self.data = data
        self.validationData = validationData
        self.validationFraction = validationFraction
        self.epochs = epochs
        self.minSteps = minSteps
        self.maxSteps = maxSteps
        self.maxStepsPerWord = maxStepsPerWord
        self.overlap = overlap
        self.overLength = overLength
        self.parent = parent
        self.parentOptimizerState = parentOptimizerState
        self.replayFraction = replayFraction
        self.checkpointEvery = checkpointEvery
        self.training = training
        self.preparation = preparation
        self.preparedDirectory = preparedDirectory
        self.modelType = modelType
    }

    /// Reports written before knowledge preparation existed have no `preparation`: their
    /// documents were trained as plain text, which `.off` repeats.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        data = try c.decode([String].self, forKey: .data)
        validationData = try c.decode([String].self, forKey: .validationData)
        validationFraction = try c.decode(Double.self, forKey: .validationFraction)
        epochs = try c.decode(Int.self, forKey: .epochs)
        minSteps = try c.decode(Int.self, forKey: .minSteps)
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        maxStepsPerWord = try c.decodeIfPresent(Double.self, forKey: .maxStepsPerWord)
        overlap = try c.decode(Int.self, forKey: .overlap)
        overLength = try c.decode(OverLengthPolicy.self, forKey: .overLength)
        parent = try c.decodeIfPresent(String.self, forKey: .parent)
        parentOptimizerState = try c.decode(Bool.self, forKey: .parentOptimizerState)
        replayFraction = try c.decode(Double.self, forKey: .replayFraction)
        checkpointEvery = try c.decode(Int.self, forKey: .checkpointEvery)
        training = try c.decode(TrainingConfiguration.self, forKey: .training)
        preparation = try c.decodeIfPresent(PreparationSettings.self, forKey: .preparation) ?? .off
        preparedDirectory = try c.decodeIfPresent(String.self, forKey: .preparedDirectory)
        modelType = try c.decodeIfPresent(ModelOutputType.self, forKey: .modelType) ?? .f16
    }

    func validate() throws(FineTuneError) {
        func check(_ ok: Bool, _ why: String) throws(FineTuneError) { if !ok { throw .invalidConfiguration(why) } }
        try check(!data.isEmpty, "no training data")
        try check((0..<1).contains(validationFraction), "the validation fraction must be in [0, 1)")
        try check(validationData.isEmpty || validationFraction == 0, "give validation files or a validation fraction, not both")
        try check(epochs > 0 && minSteps >= 0, "epochs must be positive and min steps not negative")
        try check(maxSteps.map { $0 > 0 } ?? true, "max steps must be positive")
        try check(maxStepsPerWord.map { $0 > 0 } ?? true, "max steps per word must be positive")
        try check((0..<training.maxSequenceLength).contains(overlap), "the overlap must be below the sequence length")
        try check((0...1).contains(replayFraction), "the replay fraction must be in [0, 1]")
        try check(replayFraction == 0 || parent != nil, "replay needs a parent adapter")
        try check(!parentOptimizerState || parent != nil, "the parent's optimiser state needs a parent adapter")
        try check(checkpointEvery >= 0, "the checkpoint interval must not be negative")
        try check((0...1).contains(preparation.generalShare), "the general replay share must be in [0, 1]")
        try check(!training.full || parent == nil, "full fine-tuning starts from the base model's weights, not a parent adapter")
    }
}

public enum FineTuneError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case outputExists(String)
    case cannotResume(String)
    case parent(String)
    case cannotWrite(path: String, reason: String)
    case unreadable(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(why): "invalid fine-tuning configuration: \(why)"
        case let .outputExists(path): "\(path) already exists: pass resume to continue its run, or choose another output folder"
        case let .cannotResume(why): "cannot resume: \(why)"
        case let .parent(why): "parent adapter: \(why)"
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        case let .unreadable(why): why
        }
    }
}
