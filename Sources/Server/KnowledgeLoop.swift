import Adapters
import Foundation
import Inference
import JobRunner
import Registry

/// What the files, fine-tuning and admin controllers share once the model is loaded: the
/// registry, the blob store, the job runner and the base model (uploads are checked with its
/// tokenizer and template).
struct KnowledgeLoop: Sendable {
    let registry: any Registry
    let blobs: any BlobStore
    let runner: JobRunner
    let model: LoadedModel
    let modelSHA256: String
    let maxUploadBytes: Int

    /// OpenAI's hyper-parameters as this server fills them in when a job leaves them out (the
    /// epochs by what its training file holds).
    func defaultHyperparameters(_ job: Job) -> HyperparametersObject {
        let kind = (try? registry.file(id: job.trainingFile))?.kind ?? .jsonl
        return HyperparametersObject(n_epochs: JobPlan.defaultEpochs(trainingFile: kind), batch_size: JobPlan.defaults.batchSize, learning_rate_multiplier: 1)
    }

    func jobObject(_ job: Job) -> JobObject {
        JobObject(job, defaults: defaultHyperparameters(job), defaultSeed: JobPlan.defaults.seed)
    }

    func adapterObject(_ name: String) throws(RegistryError) -> AdapterObject {
        let adapter = try registry.adapter(named: name)
        return AdapterObject(adapter, versions: try registry.versions(of: name), activations: try registry.activations(of: name))
    }
}

/// The registry as the server's adapter catalog: each request that names an adapter reads
/// its active version from the database, so an activation by any process counts at once.
struct RegistryAdapterCatalog: AdapterCatalog {
    let registry: any Registry

    func listings() throws -> [AdapterListing] {
        try registry.adapters().compactMap { try listing(named: $0.name) }
    }

    func listing(named name: String) throws -> AdapterListing? {
        guard Names.isValidAdapterName(name) else { return nil }
        // Read on every request that names an adapter: one row by its key, not the whole table.
        let adapter: Adapter
        do { adapter = try registry.adapter(named: name) } catch {
            if case .notFound = error { return nil }
            throw error
        }
        let versions = try registry.versions(of: name)
        guard !versions.isEmpty else { return nil }
        return AdapterListing(name: name, versions: Dictionary(uniqueKeysWithValues: versions.map { ($0.number, $0.path) }),
                              active: adapter.activeVersion,
                              digests: Dictionary(uniqueKeysWithValues: versions.map { ($0.number, $0.sha256) }))
    }
}

extension APIError {
    /// A registry refusal in OpenAI's shape: unknown things 404, conflicts 409.
    init(_ error: RegistryError, param: String? = nil) {
        switch error {
        case let .notFound(kind, id):
            self = APIError(status: .notFound, message: "No \(kind) found with id '\(id)'.", type: "invalid_request_error", param: param,
                            code: kind == "file" ? "file_not_found" : kind == "fine-tuning job" ? "job_not_found" : "not_found")
        case let .conflict(why): self = APIError(status: .conflict, message: why, type: "invalid_request_error", param: param, code: "conflict")
        case let .invalid(why): self = .invalid(why, param: param)
        case let .storage(why): self = .internalError(why)
        }
    }
}

/// Runs a registry call, answering its refusals as API errors.
func registryCall<T>(param: String? = nil, _ body: () throws(RegistryError) -> T) throws(APIError) -> T {
    do { return try body() } catch { throw APIError(error, param: param) }
}

/// Runs blocking work (hashing, tokenising an upload) on its own thread, off the event loops.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { done in
        Thread.detachNewThread { done.resume(with: Result { try work() }) }
    }
}
