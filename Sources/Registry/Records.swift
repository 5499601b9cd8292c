import Foundation

/// An uploaded training or validation file. Its bytes live in the `BlobStore` under `id`.
public struct StoredFile: Codable, Sendable, Equatable {
    /// `file-…`
    public var id: String
    /// As the client named it; shown, never used as a path.
    public var filename: String
    public var purpose: String
    /// `document` (plain text, `.txt`/`.md`) or `jsonl` (chat or prompt/completion lines).
    public var kind: FileKind
    public var bytes: Int
    public var sha256: String
    public var lines: Int
    public var examples: Int
    public var tokens: Int
    public var createdAt: Int

    public init(id: String, filename: String, purpose: String, kind: FileKind, bytes: Int, sha256: String, lines: Int,
                examples: Int, tokens: Int, createdAt: Int) {
        (self.id, self.filename, self.purpose, self.kind, self.bytes, self.sha256) = (id, filename, purpose, kind, bytes, sha256)
        (self.lines, self.examples, self.tokens, self.createdAt) = (lines, examples, tokens, createdAt)
    }
}

public enum FileKind: String, Codable, Sendable {
    case document, jsonl

    /// The extension the training data loader reads this kind by.
    public var fileExtension: String { self == .document ? "txt" : "jsonl" }
}

/// A named line of adapter versions over one base model.
public struct Adapter: Codable, Sendable, Equatable {
    public var name: String
    public var baseModel: String
    public var baseModelSHA256: String
    public var description: String
    public var activeVersion: Int?
    public var createdAt: Int

    public init(name: String, baseModel: String, baseModelSHA256: String, description: String = "", activeVersion: Int? = nil, createdAt: Int) {
        (self.name, self.baseModel, self.baseModelSHA256, self.description) = (name, baseModel, baseModelSHA256, description)
        (self.activeVersion, self.createdAt) = (activeVersion, createdAt)
    }
}

/// Another adapter's version a run started from.
public struct VersionReference: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var adapter: String
    public var version: Int

    public init(adapter: String, version: Int) {
        self.adapter = adapter
        self.version = version
    }

    /// `NAME@VERSION`, the id clients serve it by.
    public var description: String { "\(adapter)@\(version)" }
}

/// How a version's run went.
public struct VersionMetrics: Codable, Sendable, Equatable {
    public var trainLoss: Float?
    public var validationLoss: Float?
    public var tokens: Int
    public var seconds: Double

    public init(trainLoss: Float?, validationLoss: Float?, tokens: Int, seconds: Double) {
        (self.trainLoss, self.validationLoss, self.tokens, self.seconds) = (trainLoss, validationLoss, tokens, seconds)
    }
}

/// One servable version of an adapter: a folder of adapter files whose digest is checked on load.
public struct AdapterVersion: Codable, Sendable, Equatable {
    public var adapter: String
    public var number: Int
    public var parent: VersionReference?
    /// The job that trained it; nil for an imported folder.
    public var jobID: String?
    public var trainingFiles: [String]
    public var hyperparameters: JobSettings?
    public var metrics: VersionMetrics?
    public var method: String
    /// The adapter's folder (or GGUF file), local to this machine.
    public var path: String
    /// `FolderDigest` of `path`.
    public var sha256: String
    public var createdAt: Int

    public init(adapter: String, number: Int, parent: VersionReference?, jobID: String?, trainingFiles: [String],
                hyperparameters: JobSettings?, metrics: VersionMetrics?, method: String = "lora", path: String, sha256: String, createdAt: Int) {
        (self.adapter, self.number, self.parent, self.jobID, self.trainingFiles) = (adapter, number, parent, jobID, trainingFiles)
        (self.hyperparameters, self.metrics, self.method, self.path, self.sha256, self.createdAt) = (hyperparameters, metrics, method, path, sha256, createdAt)
    }

    public var reference: VersionReference { VersionReference(adapter: adapter, version: number) }
}

/// What a fine-tuning job was asked for. nil fields take the trainer's defaults (or the
/// parent's LoRA shape when continuing).
public struct JobSettings: Codable, Sendable, Equatable {
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRateMultiplier: Double?
    public var seed: UInt64?
    public var rank: Int?
    public var alpha: Float?
    public var targets: [String]?
    public var replayFraction: Double?
    public var autoActivate: Bool
    /// "lora", "prompt" or "prefix" (nil: LoRA, or the parent's method); prompt and prefix
    /// tuning's number of virtual tokens, and whether prefix tuning trains through PEFT's MLP.
    public var method: String?
    public var virtualTokens: Int?
    public var prefixProjection: Bool?

    public init(epochs: Int? = nil, batchSize: Int? = nil, learningRateMultiplier: Double? = nil, seed: UInt64? = nil, rank: Int? = nil,
                alpha: Float? = nil, targets: [String]? = nil, replayFraction: Double? = nil, autoActivate: Bool = true,
                method: String? = nil, virtualTokens: Int? = nil, prefixProjection: Bool? = nil) {
        (self.epochs, self.batchSize, self.learningRateMultiplier, self.seed) = (epochs, batchSize, learningRateMultiplier, seed)
        (self.rank, self.alpha, self.targets, self.replayFraction, self.autoActivate) = (rank, alpha, targets, replayFraction, autoActivate)
        (self.method, self.virtualTokens, self.prefixProjection) = (method, virtualTokens, prefixProjection)
    }
}

public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case validatingFiles = "validating_files"
    case queued, running, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

public struct JobFailure: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public var param: String?

    public init(code: String, message: String, param: String? = nil) {
        (self.code, self.message, self.param) = (code, message, param)
    }
}

/// A queued, running or finished fine-tuning run.
public struct Job: Codable, Sendable, Equatable {
    /// `ftjob-…`
    public var id: String
    /// The `model` field as the client gave it.
    public var model: String
    /// The adapter the result becomes a version of.
    public var adapter: String
    public var parent: VersionReference?
    public var trainingFile: String
    public var validationFile: String?
    public var settings: JobSettings
    public var status: JobStatus
    public var step: Int
    public var totalSteps: Int
    public var trainedTokens: Int
    public var error: JobFailure?
    /// The version this job registered, once it succeeded.
    public var result: VersionReference?
    public var cancelRequested: Bool
    /// The worker holding the job and until when (unix seconds): a lease not renewed lets another take it.
    public var leaseOwner: String?
    public var leaseExpiresAt: Int?
    public var createdAt: Int
    public var startedAt: Int?
    public var finishedAt: Int?

    public init(id: String, model: String, adapter: String, parent: VersionReference?, trainingFile: String, validationFile: String?,
                settings: JobSettings, createdAt: Int) {
        (self.id, self.model, self.adapter, self.parent) = (id, model, adapter, parent)
        (self.trainingFile, self.validationFile, self.settings) = (trainingFile, validationFile, settings)
        status = .validatingFiles
        (step, totalSteps, trainedTokens, cancelRequested) = (0, 0, 0, false)
        self.createdAt = createdAt
    }
}

/// A line of a job's log: a message, or one step's metrics in `data`.
public struct JobEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A plain message (status changes, warnings).
        case message
        /// One optimiser step: step, loss, learning rate, tokens/s, ETA.
        case metrics
        /// A validation loss.
        case validation
        /// The job's folder was saved at a step.
        case checkpoint
    }

    /// Increasing within a registry; set when stored.
    public var id: Int64
    public var jobID: String
    public var createdAt: Int
    public var level: String
    public var kind: Kind
    public var message: String
    public var step: Int?
    public var loss: Float?
    /// Kind-specific fields as a JSON object.
    public var data: [String: Double]

    public init(id: Int64 = 0, jobID: String, createdAt: Int, level: String = "info", kind: Kind = .message, message: String,
                step: Int? = nil, loss: Float? = nil, data: [String: Double] = [:]) {
        (self.id, self.jobID, self.createdAt, self.level, self.kind) = (id, jobID, createdAt, level, kind)
        (self.message, self.step, self.loss, self.data) = (message, step, loss, data)
    }
}

/// Which version `NAME` meant from when on, and who said so.
public struct Activation: Codable, Sendable, Equatable {
    public var adapter: String
    public var from: Int?
    public var to: Int
    public var at: Int
    /// The route or command: `POST /admin/adapters/x/activate`, `lorekeeper adapters rollback`, `job ftjob-…`.
    public var via: String

    public init(adapter: String, from: Int?, to: Int, at: Int, via: String) {
        (self.adapter, self.from, self.to, self.at, self.via) = (adapter, from, to, at, via)
    }
}
