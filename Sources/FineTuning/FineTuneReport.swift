import Llama
import Training
import TrainingData

/// `training.json` of an output folder: what the run was given, what it did and how it went.
/// Written at every checkpoint (`completed` false) and at the end.
public struct FineTuneReport: Codable, Sendable, Equatable {
    public struct BaseModel: Codable, Sendable, Equatable {
        public var id: String
        public var path: String
        public var config: LlamaConfig
    }

    public struct Parent: Codable, Sendable, Equatable {
        public var path: String
        /// Whether its AdamW moments were taken over.
        public var optimizerState: Bool
    }

    /// One optimiser step.
    public struct Step: Codable, Sendable, Equatable {
        public var step: Int
        public var epoch: Int
        public var loss: Float
        public var learningRate: Float
        public var gradientNorm: Float
        public var tokens: Int
        public var seconds: Double
    }

    /// Validation loss after an epoch (or after the last step, when a run ends mid-epoch).
    public struct Validation: Codable, Sendable, Equatable {
        public var epoch: Int
        public var step: Int
        public var loss: Float
    }

    /// What knowledge preparation made of the documents (nil: it was off, or there were none).
    public struct Preparation: Codable, Sendable, Equatable {
        public struct Document: Codable, Sendable, Equatable {
            public var path: String
            public var sha256: String
            /// The kept prepared file, when `preparedDirectory` was given.
            public var prepared: String?
            /// Examples by kind (`PreparedExample.Kind`'s names).
            public var examples: [String: Int]
            /// The document's words (nil in reports written before they were counted).
            public var words: Int?
        }

        public var documents: [Document]
        /// Self-distilled general-instruction examples mixed in.
        public var general: Int
        /// Examples of each kind over all documents, "general" included.
        public var examples: [String: Int]

        var words: Int { documents.reduce(0) { $0 + ($1.words ?? 0) } }
    }

    public var format = "lorekeeper-training/1"
    public var baseModel: BaseModel
    public var parent: Parent?
    public var configuration: FineTuneConfiguration
    public var data: TrainingDataset.Summary
    public var preparation: Preparation?
    /// The parent run's examples trained again (`replayFraction`).
    public var replay: TrainingDataset.Summary?
    public var validationData: TrainingDataset.Summary?
    public var stepsPerEpoch: Int
    public var totalSteps: Int
    public var steps: [Step]
    public var validation: [Validation]
    /// Seconds spent in this run's sessions (a resumed run adds its own).
    public var wallSeconds: Double
    public var completed: Bool

    public var completedSteps: Int { steps.count }

    /// Tokens per second over the steps (forward and backward), waiting for nothing else.
    public var tokensPerSecond: Double {
        let seconds = steps.reduce(0) { $0 + $1.seconds }
        return seconds > 0 ? Double(steps.reduce(0) { $0 + $1.tokens }) / seconds : 0
    }
}
