#if canImport(Glibc)
import Glibc
#endif
import Adapters
import FineTuning
import Foundation
import Inference
import Logging
import ModelFormats
import Registry
import Synchronization
import TensorKernels
import Training

/// Runs the registry's fine-tuning jobs one at a time, oldest first, on its own thread and on
/// an idle-priority compute pool, so that decoding always comes first. A finished job becomes
/// the adapter's next version (activated when the job asked for it); a job found running at
/// start, left by a process that died, resumes from its last checkpoint.
public final class JobRunner: Sendable {
    public let registry: any Registry
    public let blobs: any BlobStore
    /// The base model, sharing the server's weights but computing on the runner's own pool.
    let model: LoadedModel
    let modelSHA256: String
    let logger: Logger
    /// `host:pid`: leases of this form whose process is gone are taken over at once.
    let owner: String
    static let leaseSeconds = 60
    static let heartbeatSeconds = 2.0

    private let wakeUp = Mutex(false)
    /// Held while checking new jobs' files: the runner's thread and a running job's heartbeat both do it.
    private let validating = Mutex(())
    private let running = Mutex<(id: String, fineTune: FineTune)?>(nil)
    private let condition = NSCondition()

    public init(registry: any Registry, blobs: any BlobStore, model: LoadedModel, modelSHA256: String, threads: Int? = nil, logger: Logger) {
        self.registry = registry
        self.blobs = blobs
        let pool = ComputePool(threads: threads ?? model.model.pool.threads, idlePriority: true)
        self.model = model.computing(on: pool)
        self.modelSHA256 = modelSHA256
        self.logger = logger
        owner = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    /// Starts the runner's thread; it runs for the life of the process.
    public func start() {
        Thread.detachNewThread { [self] in
            ComputePool.lowerCurrentThreadPriority()
            releaseDeadLeases()
            while true {
                validatePending()
                do {
                    if let job = try registry.claimNextJob(owner: owner, now: Self.now, leaseSeconds: Self.leaseSeconds) {
                        run(job)
                        continue
                    }
                } catch {
                    logger.error("job queue: \(error)")
                }
                condition.lock()
                if !wakeUp.withLock({ let w = $0; $0 = false; return w }) { _ = condition.wait(until: Date() + 2) }
                condition.unlock()
            }
        }
    }

    /// A job was created: look at the queue now instead of at the next poll.
    public func wake() {
        condition.lock()
        wakeUp.withLock { $0 = true }
        condition.signal()
        condition.unlock()
    }

    /// Stops `jobID` now if this process runs it (the registry already says it should stop;
    /// other processes' jobs see that at their next heartbeat).
    public func cancel(jobID: String) {
        running.withLock { if $0?.id == jobID { $0?.fineTune.cancel() } }
    }

    // MARK: Validation

    /// Checks each new job's files against their recorded digests, and its parent's adapter.
    private func validatePending() {
        validating.withLock { _ in validateLocked() }
    }

    private func validateLocked() {
        guard let jobs = try? registry.jobs(status: .validatingFiles) else { return }
        for job in jobs {
            var failure: JobFailure?
            do {
                for id in [job.trainingFile] + (job.validationFile.map { [$0] } ?? []) {
                    let file = try registry.file(id: id)
                    let path = try blobs.localPath(ofFile: id, kind: file.kind)
                    let digest = try FileDigest.sha256(path: path)
                    if digest != file.sha256 {
                        failure = JobFailure(code: "invalid_training_file", message: "file \(id) changed on disk (SHA-256 \(digest), uploaded as \(file.sha256))", param: "training_file")
                    }
                }
                if failure == nil, let parent = job.parent {
                    let version = try registry.version(parent)
                    let digest = try AdapterDigest.sha256(path: version.path)
                    if digest != version.sha256 { failure = JobFailure(code: "invalid_parent", message: "the files of \(parent) changed on disk", param: "model") }
                }
            } catch {
                failure = JobFailure(code: "invalid_training_file", message: "\(error)", param: "training_file")
            }
            do {
                try registry.finishValidation(jobID: job.id, error: failure)
                _ = try registry.addEvent(JobEvent(jobID: job.id, createdAt: Self.now, level: failure == nil ? "info" : "error",
                                                   message: failure.map { "Validation failed: \($0.message)" } ?? "Files validated; job queued"))
            } catch {
                logger.error("job \(job.id): \(error)")
            }
        }
    }

    /// Running jobs leased to a process of this host that no longer exists are expired now,
    /// rather than after their lease runs out.
    private func releaseDeadLeases() {
        let host = ProcessInfo.processInfo.hostName + ":"
        guard let running = try? registry.jobs(status: .running) else { return }
        for job in running {
            guard let lease = job.leaseOwner, lease.hasPrefix(host), let pid = Int32(lease.dropFirst(host.count)),
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? registry.expireLease(jobID: job.id, owner: lease)
        }
    }

    // MARK: Running

    private func run(_ job: Job) {
        // A job's folder exists once it saved a checkpoint: then it was running when its worker stopped.
        let resumed = (try? blobs.jobFolder(id: job.id)).map(FileManager.default.fileExists) ?? false
        event(job.id, resumed ? "Resuming from the last checkpoint (step \(job.step))" : "Training started")
        do {
            let (fineTune, parentReference) = try prepare(job)
            running.withLock { $0 = (job.id, fineTune) }
            defer { running.withLock { $0 = nil } }
            let progress = Mutex((step: job.step, total: job.totalSteps, tokens: job.trainedTokens))
            let heartbeat = Heartbeat(every: Self.heartbeatSeconds) { [self] in
                // Jobs created meanwhile are checked now, so they wait as `queued`, not `validating_files`.
                validatePending()
                let p = progress.withLock { $0 }
                do {
                    if try registry.renewLease(jobID: job.id, owner: owner, now: Self.now, leaseSeconds: Self.leaseSeconds,
                                               step: p.step, totalSteps: p.total, trainedTokens: p.tokens) {
                        fineTune.cancel()
                    }
                } catch {
                    logger.error("job \(job.id): lease: \(error)")
                    fineTune.cancel()
                }
            }
            defer { heartbeat.stop() }
            let report = try fineTune.run(resume: true) { [self] e in
                switch e {
                case let .started(report):
                    progress.withLock { $0 = (report.completedSteps, report.totalSteps, report.steps.reduce(0) { $0 + $1.tokens }) }
                    event(job.id, "\(report.totalSteps) steps over \(report.data.examples) examples (\(report.data.tokens) tokens)"
                        + (report.replay.map { ", replaying \($0.examples) of the parent's" } ?? ""))
                case let .step(step, total, eta):
                    progress.withLock { $0 = (step.step, total, $0.tokens + step.tokens) }
                    event(job.id, "Step \(step.step)/\(total): training loss=\(String(format: "%.4f", step.loss))", kind: .metrics, step: step.step, loss: step.loss,
                          data: ["step": Double(step.step), "total_steps": Double(total), "epoch": Double(step.epoch), "train_loss": Double(step.loss),
                                 "learning_rate": Double(step.learningRate), "tokens_per_second": step.seconds > 0 ? Double(step.tokens) / step.seconds : 0,
                                 "eta_seconds": eta, "tokens": Double(step.tokens)])
                case let .validated(v):
                    event(job.id, "Step \(v.step): validation loss=\(String(format: "%.4f", v.loss))", kind: .validation, step: v.step, loss: v.loss,
                          data: ["step": Double(v.step), "epoch": Double(v.epoch), "valid_loss": Double(v.loss)])
                case let .saved(step, completed):
                    event(job.id, completed ? "Training finished at step \(step)" : "Checkpoint saved at step \(step)", kind: .checkpoint, step: step,
                          data: ["step": Double(step), "completed": completed ? 1 : 0])
                }
            }
            try register(job, report: report, folder: fineTune.output, parent: parentReference)
        } catch is CancellationError {
            finish(job, .cancelled, nil, "Job cancelled; its last checkpoint is kept")
        } catch let error as JobPlanError {
            finish(job, .failed, JobFailure(code: "invalid_hyperparameters", message: error.description, param: error.param), "Job failed: \(error)")
        } catch let error as FineTuneError {
            finish(job, .failed, JobFailure(code: "training_failed", message: error.description), "Job failed: \(error)")
        } catch {
            finish(job, .failed, JobFailure(code: "training_failed", message: "\(error)"), "Job failed: \(error)")
        }
    }

    private func prepare(_ job: Job) throws -> (FineTune, VersionReference?) {
        let training = try registry.file(id: job.trainingFile)
        let validation = try job.validationFile.map { try registry.file(id: $0) }
        var parentPath: String?, shape: FineTune.ParentShape?
        if let parent = job.parent {
            let version = try registry.version(parent)
            (parentPath, shape) = (version.path, try FineTune.parentShape(path: version.path, config: model.config))
        }
        let configuration = try JobPlan.configuration(
            settings: job.settings, data: try blobs.localPath(ofFile: training.id, kind: training.kind),
            validation: try validation.map { try blobs.localPath(ofFile: $0.id, kind: $0.kind) }, parent: parentPath, parentShape: shape, model: model.config,
            preparedDirectory: try blobs.preparedFolder())
        return (FineTune(model: model, configuration: configuration, output: try blobs.jobFolder(id: job.id)), job.parent)
    }

    private func register(_ job: Job, report: FineTuneReport, folder: String, parent: VersionReference?) throws {
        let seconds = report.wallSeconds
        let metrics = VersionMetrics(trainLoss: report.steps.last?.loss, validationLoss: report.validation.last?.loss,
                                     tokens: report.steps.reduce(0) { $0 + $1.tokens }, seconds: seconds)
        let version = AdapterVersion(adapter: job.adapter, number: 0, parent: parent, jobID: job.id,
                                     trainingFiles: [job.trainingFile] + (job.validationFile.map { [$0] } ?? []),
                                     hyperparameters: job.settings, metrics: metrics, method: report.configuration.training.method.rawValue, path: folder,
                                     sha256: try AdapterDigest.sha256(path: folder), createdAt: Self.now)
        let adapter = Adapter(name: job.adapter, baseModel: model.id, baseModelSHA256: modelSHA256, createdAt: Self.now)
        let registered = try registry.registerVersion(version, adapter: adapter, activate: job.settings.autoActivate, via: "job \(job.id)")
        event(job.id, "New version \(registered.reference) registered" + (job.settings.autoActivate ? " and activated" : ""))
        logger.info("job \(job.id) succeeded: \(registered.reference)")
    }

    private func finish(_ job: Job, _ status: JobStatus, _ failure: JobFailure?, _ message: String) {
        event(job.id, message, level: status == .failed ? "error" : "info")
        do { try registry.finishJob(jobID: job.id, status: status, error: failure, now: Self.now) } catch {
            logger.error("job \(job.id): \(error)")
        }
        logger.info("job \(job.id) \(status.rawValue)\(failure.map { ": \($0.message)" } ?? "")")
    }

    private func event(_ jobID: String, _ message: String, level: String = "info", kind: JobEvent.Kind = .message, step: Int? = nil,
                       loss: Float? = nil, data: [String: Double] = [:]) {
        do {
            _ = try registry.addEvent(JobEvent(jobID: jobID, createdAt: Self.now, level: level, kind: kind, message: message,
                                               step: step, loss: loss, data: data))
        } catch {
            logger.error("job \(jobID): cannot record an event: \(error)")
        }
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }
}

/// Calls `beat` every `interval` seconds on its own thread until stopped.
final class Heartbeat: Sendable {
    private let stopped = Atomic(false)

    init(every interval: Double, _ beat: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: interval)
                if !stopped.load(ordering: .relaxed) { beat() }
            }
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
