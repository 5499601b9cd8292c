import Foundation
import Registry

/// A list as OpenAI pages it.
struct ListObject<Item: Encodable & Sendable>: Encodable, Sendable {
    var object = "list"
    var data: [Item]
    var has_more = false
}

struct FileObject: Encodable, Sendable {
    var id: String
    var object = "file"
    var bytes: Int
    var created_at: Int
    var filename: String
    var purpose: String
    var status = "processed"
    @Nullable var status_details: String? = nil
    var sha256: String
    var kind: String
    var lines: Int
    var examples: Int
    var tokens: Int

    init(_ f: StoredFile) {
        (id, bytes, created_at, filename, purpose, sha256) = (f.id, f.bytes, f.createdAt, f.filename, f.purpose, f.sha256)
        (kind, lines, examples, tokens) = (f.kind.rawValue, f.lines, f.examples, f.tokens)
    }
}

struct DeletedObject: Encodable, Sendable {
    var id: String
    var object: String
    var deleted = true
}

struct JobErrorObject: Encodable, Sendable {
    var code: String
    var message: String
    @Nullable var param: String?
}

struct HyperparametersObject: Encodable, Sendable {
    var n_epochs: Int
    var batch_size: Int
    var learning_rate_multiplier: Double
}

struct LoRAObject: Encodable, Sendable {
    @Nullable var rank: Int?
    @Nullable var alpha: Float?
    @Nullable var targets: [String]?
    @Nullable var replay_fraction: Double?
    var auto_activate: Bool
}

struct JobObject: Encodable, Sendable {
    struct Progress: Encodable, Sendable { var step: Int; var total_steps: Int }
    struct Method: Encodable, Sendable {
        struct Supervised: Encodable, Sendable { var hyperparameters: HyperparametersObject }
        var type = "supervised"
        var supervised: Supervised
    }

    var id: String
    var object = "fine_tuning.job"
    var model: String
    var created_at: Int
    @Nullable var finished_at: Int?
    @Nullable var fine_tuned_model: String?
    var organization_id = "lorekeeper"
    var result_files: [String] = []
    var status: String
    @Nullable var validation_file: String?
    var training_file: String
    var hyperparameters: HyperparametersObject
    var method: Method
    @Nullable var trained_tokens: Int?
    @Nullable var error: JobErrorObject?
    var seed: UInt64
    @Nullable var estimated_finish: Int?
    var integrations: [String] = []
    @Nullable var user_provided_suffix: String?
    var adapter: String
    @Nullable var parent: String?
    @Nullable var parent_version: Int?
    var progress: Progress
    var lora: LoRAObject

    init(_ job: Job, defaults: HyperparametersObject, defaultSeed: UInt64, etaSeconds: Double? = nil) {
        (id, model, created_at, finished_at) = (job.id, job.model, job.createdAt, job.finishedAt)
        fine_tuned_model = job.result?.description
        status = job.status.rawValue
        (validation_file, training_file) = (job.validationFile, job.trainingFile)
        let s = job.settings
        hyperparameters = HyperparametersObject(n_epochs: s.epochs ?? defaults.n_epochs, batch_size: s.batchSize ?? defaults.batch_size,
                                                learning_rate_multiplier: s.learningRateMultiplier ?? defaults.learning_rate_multiplier)
        method = Method(supervised: .init(hyperparameters: hyperparameters))
        trained_tokens = job.status == .succeeded ? job.trainedTokens : nil
        error = job.error.map { JobErrorObject(code: $0.code, message: $0.message, param: $0.param) }
        seed = s.seed ?? defaultSeed
        estimated_finish = etaSeconds.map { Int(Date().timeIntervalSince1970 + $0) }
        user_provided_suffix = job.adapter
        adapter = job.adapter
        (parent, parent_version) = (job.parent?.description, job.parent?.version)
        progress = Progress(step: job.step, total_steps: job.totalSteps)
        lora = LoRAObject(rank: s.rank, alpha: s.alpha, targets: s.targets, replay_fraction: s.replayFraction, auto_activate: s.autoActivate)
    }
}

struct EventObject: Encodable, Sendable {
    var object = "fine_tuning.job.event"
    var id: String
    var created_at: Int
    var level: String
    var message: String
    var type: String
    var data: [String: Double]

    init(_ e: JobEvent) {
        id = "ftevent-\(e.id)"
        (created_at, level, message, data) = (e.createdAt, e.level, e.message, e.data)
        type = e.kind == .metrics ? "metrics" : "message"
    }
}

struct CheckpointObject: Encodable, Sendable {
    struct Metrics: Encodable, Sendable {
        var step: Int
        @Nullable var train_loss: Float?
        @Nullable var valid_loss: Float?
    }

    var object = "fine_tuning.job.checkpoint"
    var id: String
    var created_at: Int
    var fine_tuned_model_checkpoint: String
    var step_number: Int
    var metrics: Metrics
    var fine_tuning_job_id: String
}

struct VersionObject: Encodable, Sendable {
    struct Metrics: Encodable, Sendable {
        @Nullable var train_loss: Float?
        @Nullable var valid_loss: Float?
        var tokens: Int
        var seconds: Double
    }

    var version: Int
    var model: String
    @Nullable var parent: String?
    @Nullable var parent_version: Int?
    @Nullable var job_id: String?
    var training_files: [String]
    @Nullable var hyperparameters: LoRAHyperparameters?
    @Nullable var metrics: Metrics?
    var method: String
    var sha256: String
    var created_at: Int
    var active: Bool

    struct LoRAHyperparameters: Encodable, Sendable {
        @Nullable var n_epochs: Int?
        @Nullable var batch_size: Int?
        @Nullable var learning_rate_multiplier: Double?
        @Nullable var seed: UInt64?
        @Nullable var rank: Int?
        @Nullable var alpha: Float?
        @Nullable var targets: [String]?
        @Nullable var replay_fraction: Double?
    }

    init(_ v: AdapterVersion, active: Bool) {
        (version, model, job_id, training_files) = (v.number, v.reference.description, v.jobID, v.trainingFiles)
        // Within one adapter the lineage is the parent's number; across adapters its full name says where it came from.
        (parent, parent_version) = (v.parent?.description, v.parent?.adapter == v.adapter ? v.parent?.version : nil)
        hyperparameters = v.hyperparameters.map {
            LoRAHyperparameters(n_epochs: $0.epochs, batch_size: $0.batchSize, learning_rate_multiplier: $0.learningRateMultiplier, seed: $0.seed,
                                rank: $0.rank, alpha: $0.alpha, targets: $0.targets, replay_fraction: $0.replayFraction)
        }
        metrics = v.metrics.map { Metrics(train_loss: $0.trainLoss, valid_loss: $0.validationLoss, tokens: $0.tokens, seconds: $0.seconds) }
        (method, sha256, created_at) = (v.method, v.sha256, v.createdAt)
        self.active = active
    }
}

struct AdapterObject: Encodable, Sendable {
    struct ActivationObject: Encodable, Sendable {
        @Nullable var from: Int?
        var to: Int
        var at: Int
        var via: String
    }

    var name: String
    var object = "adapter"
    var base_model: String
    var base_model_sha256: String
    var description: String
    @Nullable var active_version: Int?
    var created_at: Int
    var versions: [VersionObject]
    var activations: [ActivationObject]

    init(_ a: Adapter, versions: [AdapterVersion], activations: [Activation]) {
        (name, base_model, base_model_sha256, description, active_version, created_at) =
            (a.name, a.baseModel, a.baseModelSHA256, a.description, a.activeVersion, a.createdAt)
        self.versions = versions.map { VersionObject($0, active: $0.number == a.activeVersion) }
        self.activations = activations.map { ActivationObject(from: $0.from, to: $0.to, at: $0.at, via: $0.via) }
    }
}

struct DeletedVersionObject: Encodable, Sendable {
    var name: String
    var version: Int
    var object = "adapter.version"
    var deleted = true
}
