/// The durable record of the knowledge loop: uploaded files, adapters and their versions,
/// fine-tuning jobs with their events, and every activation. Routes, the job runner and the
/// CLI see only this protocol, so a shared database can stand in for the local one.
///
/// Each method is one transaction: it happens whole or not at all, and what it checks
/// (a file in use, the active version) is checked inside the same transaction.
public protocol Registry: Sendable {
    // Files
    func insertFile(_ file: StoredFile) throws(RegistryError)
    func file(id: String) throws(RegistryError) -> StoredFile
    func files() throws(RegistryError) -> [StoredFile]
    /// Refused while a job that is not finished uses the file.
    func deleteFile(id: String) throws(RegistryError)

    // Adapters
    func adapters() throws(RegistryError) -> [Adapter]
    func adapter(named name: String) throws(RegistryError) -> Adapter
    func versions(of adapter: String) throws(RegistryError) -> [AdapterVersion]
    func version(_ reference: VersionReference) throws(RegistryError) -> AdapterVersion
    /// Adds `version` as the adapter's next number (its `number` is ignored), creating the
    /// adapter (`adapter` gives its base model) when it is new; activates it when `activate`.
    /// With `jobID`, also marks that job succeeded with this version as its result.
    func registerVersion(_ version: AdapterVersion, adapter: Adapter, activate: Bool, via: String) throws(RegistryError) -> AdapterVersion
    /// Makes `version` what `NAME` serves; returns the adapter as it now is.
    @discardableResult
    func activate(_ reference: VersionReference, via: String) throws(RegistryError) -> Adapter
    /// Activates the version that was active before the current one.
    @discardableResult
    func rollback(adapter: String, via: String) throws(RegistryError) -> Adapter
    /// Refused for the active version and for one a job that is not finished continues from.
    func deleteVersion(_ reference: VersionReference) throws(RegistryError)
    func activations(of adapter: String) throws(RegistryError) -> [Activation]

    // Jobs
    func insertJob(_ job: Job) throws(RegistryError)
    func job(id: String) throws(RegistryError) -> Job
    /// Newest first; `after` is the id of the last job of the previous page.
    func jobs(after: String?, limit: Int) throws(RegistryError) -> (jobs: [Job], hasMore: Bool)
    /// Jobs in `status`, oldest first.
    func jobs(status: JobStatus) throws(RegistryError) -> [Job]
    /// Moves a job from `validating_files` to `queued`, or to `failed` with `error`.
    func finishValidation(jobID: String, error: JobFailure?) throws(RegistryError)
    /// Takes the oldest queued job, or a running one whose lease has expired (a crashed
    /// worker's), for `owner` until `now + leaseSeconds`, and marks it running.
    func claimNextJob(owner: String, now: Int, leaseSeconds: Int) throws(RegistryError) -> Job?
    /// Extends the lease and records progress; returns whether cancelling was asked for.
    func renewLease(jobID: String, owner: String, now: Int, leaseSeconds: Int, step: Int, totalSteps: Int,
                    trainedTokens: Int) throws(RegistryError) -> Bool
    /// Ends `owner`'s lease on a running job now (its process is known to be gone), so the
    /// next claim resumes it.
    func expireLease(jobID: String, owner: String) throws(RegistryError)
    /// A queued or validating job is cancelled at once; a running one is asked to stop
    /// (its worker ends it). Refused for a finished job.
    @discardableResult
    func requestCancel(jobID: String) throws(RegistryError) -> Job
    /// Ends a job as failed or cancelled (success ends through `registerVersion`).
    func finishJob(jobID: String, status: JobStatus, error: JobFailure?, now: Int) throws(RegistryError)

    // Events
    @discardableResult
    func addEvent(_ event: JobEvent) throws(RegistryError) -> JobEvent
    /// Oldest first, with ids above `after`.
    func events(jobID: String, after: Int64, limit: Int) throws(RegistryError) -> [JobEvent]
    /// Newest first, with ids below `before` (OpenAI's paging of events).
    func recentEvents(jobID: String, before: Int64, limit: Int) throws(RegistryError) -> [JobEvent]

    /// Whether the store is intact (SQLite: `PRAGMA integrity_check`); the problems otherwise.
    func integrityProblems() throws(RegistryError) -> [String]
}

public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case notFound(kind: String, id: String)
    /// The request conflicts with the current state (a file in use, the active version).
    case conflict(String)
    case invalid(String)
    /// The store itself failed (disk, corruption).
    case storage(String)

    public var description: String {
        switch self {
        case let .notFound(kind, id): "no \(kind) '\(id)'"
        case let .conflict(why), let .invalid(why), let .storage(why): why
        }
    }
}
