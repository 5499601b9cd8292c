import Foundation
import Hummingbird
import JobRunner
import Registry

/// `/v1/fine_tuning/jobs`: OpenAI's fine-tuning API over the registry's job queue. A job
/// trains an adapter version: from the base model (a new adapter named by `suffix`) or
/// continuing `NAME` / `NAME@VERSION`.
struct FineTuningController: Sendable {
    let serving: Serving
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.post("jobs", use: create)
        group.get("jobs") { request, _ in
            let loop = try serving.knowledge()
            let after = request.uri.queryParameters.get("after")
            let limit = try Self.limit(request)
            let page = try registryCall(param: "after") { () throws(RegistryError) in try loop.registry.jobs(after: after, limit: limit) }
            return try json(ListObject(data: page.jobs.map(loop.jobObject), has_more: page.hasMore))
        }
        group.get("jobs/:id") { _, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            return try json(loop.jobObject(try registryCall { () throws(RegistryError) in try loop.registry.job(id: id) }))
        }
        group.post("jobs/:id/cancel") { _, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            let job: Job
            do { job = try loop.registry.requestCancel(jobID: id) } catch let error as RegistryError {
                // OpenAI answers a finished job's cancel as a bad request, not a conflict.
                if case let .conflict(why) = error { throw APIError.invalid(why, code: "job_already_finished") }
                throw APIError(error)
            }
            loop.runner.cancel(jobID: id)
            return try json(loop.jobObject(job))
        }
        group.get("jobs/:id/events") { request, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            let limit = try Self.limit(request)
            var before = Int64.max
            if let after = request.uri.queryParameters.get("after") {
                guard after.hasPrefix("ftevent-"), let n = Int64(after.dropFirst(8)) else {
                    throw APIError.invalid("'after' must be an event id (ftevent-N)", param: "after")
                }
                before = n
            }
            let events = try registryCall { () throws(RegistryError) in try loop.registry.recentEvents(jobID: id, before: before, limit: limit + 1) }
            return try json(ListObject(data: events.prefix(limit).map(EventObject.init), has_more: events.count > limit))
        }
        group.get("jobs/:id/checkpoints") { request, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            let limit = try Self.limit(request)
            let job = try registryCall { () throws(RegistryError) in try loop.registry.job(id: id) }
            let events = try registryCall { () throws(RegistryError) in try loop.registry.events(jobID: id, after: 0, limit: 1_000_000) }
            var trainLoss = [Int: Float](), validLoss = [Int: Float]()
            for e in events {
                if e.kind == .metrics, let s = e.step { trainLoss[s] = e.loss }
                if e.kind == .validation, let s = e.step { validLoss[s] = e.loss }
            }
            let checkpoints = events.filter { $0.kind == .checkpoint }.reversed().map { e in
                let step = e.step ?? 0, completed = e.data["completed"] == 1
                return CheckpointObject(id: "ftckpt-\(e.id)", created_at: e.createdAt,
                                        fine_tuned_model_checkpoint: completed ? job.result?.description ?? "\(job.id):step-\(step)" : "\(job.id):step-\(step)",
                                        step_number: step, metrics: .init(step: step, train_loss: trainLoss[step], valid_loss: validLoss[step]),
                                        fine_tuning_job_id: job.id)
            }
            return try json(ListObject(data: Array(checkpoints.prefix(limit)), has_more: checkpoints.count > limit))
        }
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 20 }
        guard let n = Int(text), (1...100).contains(n) else { throw APIError.invalid("'limit' must be an integer in 1...100", param: "limit") }
        return n
    }

    @Sendable func create(_ request: Request, _ context: ServerContext) async throws -> Response {
        let loop = try serving.knowledge()
        var request = request
        let body = try await decodeJSONBody(CreateJobRequest.self, from: &request, maxBytes: maxBodyBytes)
        let job = try await offloaded { try Self.plan(body, loop) }
        try registryCall { () throws(RegistryError) in try loop.registry.insertJob(job) }
        _ = try? loop.registry.addEvent(JobEvent(jobID: job.id, createdAt: job.createdAt,
                                                 message: "Created fine-tuning job \(job.id) for adapter \(job.adapter)" + (job.parent.map { " from \($0)" } ?? "")))
        loop.runner.wake()
        return try json(loop.jobObject(job))
    }

    /// The job a request asks for, every reference checked: its files, the parent version,
    /// the adapter name and the hyper-parameters (planned once now, as the runner will).
    static func plan(_ body: CreateJobRequest, _ loop: KnowledgeLoop) throws -> Job {
        let training = try registryCall(param: "training_file") { () throws(RegistryError) in try loop.registry.file(id: body.training_file) }
        let validation = try body.validation_file.map { id in try registryCall(param: "validation_file") { () throws(RegistryError) in try loop.registry.file(id: id) } }
        var parent: AdapterVersion?
        if body.model != loop.model.id {
            guard let (name, version) = Names.parseModel(body.model) else { throw APIError.modelNotFound(body.model) }
            let adapter: Adapter
            do { adapter = try loop.registry.adapter(named: name) } catch { throw APIError.modelNotFound(body.model) }
            guard adapter.baseModelSHA256 == loop.modelSHA256 else {
                throw APIError.invalid("\(name) was trained on the base model \(adapter.baseModel), not on \(loop.model.id) which this server runs.",
                                       param: "model", code: "base_model_mismatch")
            }
            guard let number = version ?? adapter.activeVersion else { throw APIError.invalid("\(name) has no active version: name one as \(name)@N.", param: "model") }
            do { parent = try loop.registry.version(VersionReference(adapter: name, version: number)) } catch { throw APIError.modelNotFound(body.model) }
        }
        let name = body.suffix ?? parent?.adapter ?? Names.newID(prefix: "ft").prefix(11).description
        guard Names.isValidAdapterName(name), name != loop.model.id else {
            throw APIError.invalid("'\(name.prefix(80))' is not a valid adapter name: use 1 to 64 letters, digits, '-' or '_'.", param: "suffix", code: "invalid_suffix")
        }
        if let existing = try? loop.registry.adapter(named: name), existing.baseModelSHA256 != loop.modelSHA256 {
            throw APIError.invalid("The adapter \(name) belongs to the base model \(existing.baseModel), not \(loop.model.id).", param: "suffix", code: "base_model_mismatch")
        }
        let settings = JobSettings(epochs: body.hyperparameters?.n_epochs?.value, batchSize: body.hyperparameters?.batch_size?.value,
                                   learningRateMultiplier: body.hyperparameters?.learning_rate_multiplier?.value, seed: body.seed,
                                   rank: body.lora?.rank, alpha: body.lora?.alpha, targets: body.lora?.targets,
                                   replayFraction: body.lora?.replay_fraction, autoActivate: body.lora?.auto_activate ?? true,
                                   method: body.method?.name, virtualTokens: body.virtual_tokens, prefixProjection: body.prefix_projection)
        do {
            try JobPlan.check(settings: settings, parentPath: parent?.path, config: loop.model.config)
        } catch let error as JobPlanError {
            throw APIError.invalid(error.description, param: error.param)
        } catch {
            throw APIError.invalid("\(body.model) cannot be continued: \(error)", param: "model", code: "invalid_parent")
        }
        return Job(id: Names.newID(prefix: "ftjob"), model: body.model, adapter: name, parent: parent?.reference, trainingFile: training.id,
                   validationFile: validation?.id, settings: settings, createdAt: Int(Date().timeIntervalSince1970))
    }
}

/// `POST /v1/fine_tuning/jobs` as OpenAI defines it, plus `lora`, and `method` naming what to
/// train, with `virtual_tokens` and `prefix_projection` for prompt and prefix tuning.
struct CreateJobRequest: Decodable, Sendable {
    struct Hyperparameters: Decodable, Sendable {
        var n_epochs: AutoOr<Int>?
        var batch_size: AutoOr<Int>?
        var learning_rate_multiplier: AutoOr<Double>?
    }

    struct LoRA: Decodable, Sendable {
        var rank: Int?
        var alpha: Float?
        var targets: [String]?
        var replay_fraction: Double?
        var auto_activate: Bool?
    }

    var model: String
    var training_file: String
    var validation_file: String?
    var suffix: String?
    var hyperparameters: Hyperparameters?
    var seed: UInt64?
    var lora: LoRA?
    var method: TuningMethodField?
    var virtual_tokens: Int?
    var prefix_projection: Bool?
}

/// `method`: "lora", "prompt" or "prefix", or OpenAI's `{"type": "supervised", ...}`, which is
/// supervised training of the default method (LoRA, or the parent's).
struct TuningMethodField: Decodable, Sendable {
    var name: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let name = try? container.decode(String.self) {
            self.name = name
            return
        }
        struct OpenAIMethod: Decodable { var type: String }
        let type = try container.decode(OpenAIMethod.self).type
        guard type == "supervised" else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "method type '\(type)' is not supported: only supervised")
        }
        name = nil
    }
}

/// A hyper-parameter OpenAI lets be `"auto"`: the server's default.
struct AutoOr<Value: Decodable & Sendable>: Decodable, Sendable {
    var value: Value?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard text == "auto" else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number or \"auto\", got \"\(text.prefix(40))\"")
            }
            value = nil
        } else {
            value = try container.decode(Value.self)
        }
    }
}
