import Foundation
import GRDB
import Registry

/// The registry in one SQLite file (WAL, foreign keys on), shared by the server and the CLI:
/// each call is a transaction, and every process sees the others' commits at its next call.
public final class SQLiteRegistry: Registry {
    private let pool: DatabasePool
    public let path: String

    /// Opens `path`, creating it and running any pending migrations.
    public init(path: String) throws(RegistryError) {
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (the CLI beside the server) may hold the write lock for a moment.
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch {
            throw .storage("cannot open the registry \(path): \(error)")
        }
    }

    // MARK: Files

    public func insertFile(_ file: StoredFile) throws(RegistryError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO files (id, filename, purpose, kind, bytes, sha256, lines, examples, tokens, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [file.id, file.filename, file.purpose, file.kind.rawValue, file.bytes, file.sha256, file.lines,
                                 file.examples, file.tokens, file.createdAt])
        }
    }

    public func file(id: String) throws(RegistryError) -> StoredFile {
        try read { db in try Self.file(db, id) }
    }

    public func files() throws(RegistryError) -> [StoredFile] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM files ORDER BY created_at DESC, rowid DESC").map(Self.file) }
    }

    public func deleteFile(id: String) throws(RegistryError) {
        try write { db in
            _ = try Self.file(db, id)
            if let job = try String.fetchOne(db, sql: """
                SELECT id FROM jobs WHERE (training_file = ? OR validation_file = ?) AND status IN ('validating_files', 'queued', 'running')
                """, arguments: [id, id]) {
                throw RegistryError.conflict("file \(id) is used by job \(job), which has not finished")
            }
            try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [id])
        }
    }

    // MARK: Adapters

    public func adapters() throws(RegistryError) -> [Adapter] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM adapters ORDER BY name").map(Self.adapter) }
    }

    public func adapter(named name: String) throws(RegistryError) -> Adapter {
        try read { db in try Self.adapter(db, name) }
    }

    public func versions(of adapter: String) throws(RegistryError) -> [AdapterVersion] {
        try read { db in
            _ = try Self.adapter(db, adapter)
            return try Row.fetchAll(db, sql: "SELECT * FROM adapter_versions WHERE adapter = ? ORDER BY number", arguments: [adapter]).map(Self.version)
        }
    }

    public func version(_ reference: VersionReference) throws(RegistryError) -> AdapterVersion {
        try read { db in try Self.version(db, reference) }
    }

    public func registerVersion(_ version: AdapterVersion, adapter: Adapter, activate: Bool, via: String) throws(RegistryError) -> AdapterVersion {
        try write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT * FROM adapters WHERE name = ?", arguments: [adapter.name]).map(Self.adapter) {
                guard existing.baseModelSHA256 == adapter.baseModelSHA256 else {
                    throw RegistryError.conflict("adapter \(adapter.name) belongs to base model \(existing.baseModel), not \(adapter.baseModel)")
                }
            } else {
                try db.execute(sql: "INSERT INTO adapters (name, base_model, base_model_sha256, description, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [adapter.name, adapter.baseModel, adapter.baseModelSHA256, adapter.description, adapter.createdAt])
            }
            var version = version
            version.adapter = adapter.name
            version.number = try Int.fetchOne(db, sql: "SELECT next_version FROM adapters WHERE name = ?", arguments: [adapter.name]) ?? 1
            try db.execute(sql: "UPDATE adapters SET next_version = next_version + 1 WHERE name = ?", arguments: [adapter.name])
            try db.execute(sql: """
                INSERT INTO adapter_versions (adapter, number, parent_adapter, parent_version, job_id, training_files, hyperparameters,
                                              metrics, method, path, sha256, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [version.adapter, version.number, version.parent?.adapter, version.parent?.version, version.jobID,
                                 try Self.json(version.trainingFiles), try version.hyperparameters.map(Self.json),
                                 try version.metrics.map(Self.json), version.method, version.path, version.sha256, version.createdAt])
            if let jobID = version.jobID {
                try db.execute(sql: """
                    UPDATE jobs SET status = 'succeeded', result_version = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL,
                                    trained_tokens = COALESCE(?, trained_tokens), step = total_steps
                    WHERE id = ?
                    """, arguments: [version.number, version.createdAt, version.metrics?.tokens, jobID])
                guard db.changesCount == 1 else { throw RegistryError.notFound(kind: "job", id: jobID) }
            }
            if activate { try Self.activate(db, version.reference, via: via, at: version.createdAt) }
            return version
        }
    }

    public func activate(_ reference: VersionReference, via: String) throws(RegistryError) -> Adapter {
        try write { db in
            try Self.activate(db, reference, via: via, at: Self.now)
            return try Self.adapter(db, reference.adapter)
        }
    }

    public func rollback(adapter name: String, via: String) throws(RegistryError) -> Adapter {
        try write { db in
            let adapter = try Self.adapter(db, name)
            guard let current = adapter.activeVersion else { throw RegistryError.conflict("adapter \(name) has no active version") }
            let earlier = try Int.fetchOne(db, sql: """
                SELECT a.from_version FROM activations a JOIN adapter_versions v ON v.adapter = a.adapter AND v.number = a.from_version
                WHERE a.adapter = ? AND a.to_version = ? AND a.from_version != ? ORDER BY a.id DESC LIMIT 1
                """, arguments: [name, current, current])
            guard let earlier else { throw RegistryError.conflict("adapter \(name) has no earlier active version to roll back to") }
            try Self.activate(db, VersionReference(adapter: name, version: earlier), via: via, at: Self.now)
            return try Self.adapter(db, name)
        }
    }

    public func deleteVersion(_ reference: VersionReference) throws(RegistryError) {
        try write { db in
            let adapter = try Self.adapter(db, reference.adapter)
            _ = try Self.version(db, reference)
            guard adapter.activeVersion != reference.version else {
                throw RegistryError.conflict("\(reference) is the active version: activate another one first")
            }
            if let job = try String.fetchOne(db, sql: """
                SELECT id FROM jobs WHERE parent_adapter = ? AND parent_version = ? AND status IN ('validating_files', 'queued', 'running')
                """, arguments: [reference.adapter, reference.version]) {
                throw RegistryError.conflict("job \(job) continues from \(reference) and has not finished")
            }
            try db.execute(sql: "DELETE FROM adapter_versions WHERE adapter = ? AND number = ?", arguments: [reference.adapter, reference.version])
        }
    }

    public func activations(of adapter: String) throws(RegistryError) -> [Activation] {
        try read { db in
            _ = try Self.adapter(db, adapter)
            return try Row.fetchAll(db, sql: "SELECT * FROM activations WHERE adapter = ? ORDER BY id", arguments: [adapter]).map { row in
                Activation(adapter: row["adapter"], from: row["from_version"], to: row["to_version"], at: row["at"], via: row["via"])
            }
        }
    }

    // MARK: Jobs

    public func insertJob(_ job: Job) throws(RegistryError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO jobs (id, model, adapter, parent_adapter, parent_version, training_file, validation_file, settings, status,
                                  created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [job.id, job.model, job.adapter, job.parent?.adapter, job.parent?.version, job.trainingFile,
                                 job.validationFile, try Self.json(job.settings), job.status.rawValue, job.createdAt])
        }
    }

    public func job(id: String) throws(RegistryError) -> Job {
        try read { db in try Self.job(db, id) }
    }

    public func jobs(after: String?, limit: Int) throws(RegistryError) -> (jobs: [Job], hasMore: Bool) {
        try read { db in
            var sql = "SELECT * FROM jobs", arguments: StatementArguments = []
            if let after {
                _ = try Self.job(db, after)
                sql += " WHERE rowid < (SELECT rowid FROM jobs WHERE id = ?)"
                arguments = [after]
            }
            sql += " ORDER BY rowid DESC LIMIT ?"
            _ = arguments.append(contentsOf: [limit + 1])
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.job)
            return (Array(rows.prefix(limit)), rows.count > limit)
        }
    }

    public func jobs(status: JobStatus) throws(RegistryError) -> [Job] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE status = ? ORDER BY rowid", arguments: [status.rawValue]).map(Self.job) }
    }

    public func expireLease(jobID: String, owner: String) throws(RegistryError) {
        try write { db in
            try db.execute(sql: "UPDATE jobs SET lease_expires_at = 0 WHERE id = ? AND lease_owner = ? AND status = 'running'", arguments: [jobID, owner])
        }
    }

    public func finishValidation(jobID: String, error: JobFailure?) throws(RegistryError) {
        try write { db in
            if let error {
                try db.execute(sql: "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'validating_files'",
                               arguments: [try Self.json(error), Self.now, jobID])
            } else {
                try db.execute(sql: "UPDATE jobs SET status = 'queued' WHERE id = ? AND status = 'validating_files'", arguments: [jobID])
            }
        }
    }

    public func claimNextJob(owner: String, now: Int, leaseSeconds: Int) throws(RegistryError) -> Job? {
        try write { db in
            // A running job whose lease ran out was left by a worker that died: it goes first, to resume.
            guard let id = try String.fetchOne(db, sql: """
                SELECT id FROM jobs WHERE status = 'queued' OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?))
                ORDER BY status = 'queued', rowid LIMIT 1
                """, arguments: [now]) else { return nil }
            try db.execute(sql: """
                UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_at = ?, started_at = COALESCE(started_at, ?) WHERE id = ?
                """, arguments: [owner, now + leaseSeconds, now, id])
            return try Self.job(db, id)
        }
    }

    public func renewLease(jobID: String, owner: String, now: Int, leaseSeconds: Int, step: Int, totalSteps: Int,
                           trainedTokens: Int) throws(RegistryError) -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET lease_expires_at = ?, step = ?, total_steps = ?, trained_tokens = ?
                WHERE id = ? AND lease_owner = ? AND status = 'running'
                """, arguments: [now + leaseSeconds, step, totalSteps, trainedTokens, jobID, owner])
            guard db.changesCount == 1 else { throw RegistryError.conflict("job \(jobID) is no longer held by \(owner)") }
            return try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM jobs WHERE id = ?", arguments: [jobID]) ?? false
        }
    }

    public func requestCancel(jobID: String) throws(RegistryError) -> Job {
        try write { db in
            let job = try Self.job(db, jobID)
            switch job.status {
            case .succeeded, .failed, .cancelled:
                throw RegistryError.conflict("job \(jobID) has already \(job.status == .cancelled ? "been cancelled" : job.status.rawValue)")
            case .running:
                try db.execute(sql: "UPDATE jobs SET cancel_requested = 1 WHERE id = ?", arguments: [jobID])
            case .queued, .validatingFiles:
                try db.execute(sql: "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ? WHERE id = ?",
                               arguments: [Self.now, jobID])
            }
            return try Self.job(db, jobID)
        }
    }

    public func finishJob(jobID: String, status: JobStatus, error: JobFailure?, now: Int) throws(RegistryError) {
        precondition(status == .failed || status == .cancelled, "a job succeeds through registerVersion")
        try write { db in
            try db.execute(sql: """
                UPDATE jobs SET status = ?, error = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?
                """, arguments: [status.rawValue, try error.map(Self.json), now, jobID])
            guard db.changesCount == 1 else { throw RegistryError.notFound(kind: "job", id: jobID) }
        }
    }

    // MARK: Events

    public func addEvent(_ event: JobEvent) throws(RegistryError) -> JobEvent {
        try write { db in
            try db.execute(sql: """
                INSERT INTO job_events (job_id, created_at, level, kind, message, step, loss, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [event.jobID, event.createdAt, event.level, event.kind.rawValue, event.message, event.step,
                                 event.loss.map { Double($0) }, try Self.json(event.data)])
            var stored = event
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    public func events(jobID: String, after: Int64, limit: Int) throws(RegistryError) -> [JobEvent] {
        try read { db in
            _ = try Self.job(db, jobID)
            return try Row.fetchAll(db, sql: "SELECT * FROM job_events WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?",
                                    arguments: [jobID, after, limit]).map(Self.event)
        }
    }

    public func recentEvents(jobID: String, before: Int64, limit: Int) throws(RegistryError) -> [JobEvent] {
        try read { db in
            _ = try Self.job(db, jobID)
            return try Row.fetchAll(db, sql: "SELECT * FROM job_events WHERE job_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                                    arguments: [jobID, before, limit]).map(Self.event)
        }
    }

    private static func event(_ row: Row) throws -> JobEvent {
        JobEvent(id: row["id"], jobID: row["job_id"], createdAt: row["created_at"], level: row["level"],
                 kind: JobEvent.Kind(rawValue: row["kind"]) ?? .message, message: row["message"], step: row["step"],
                 loss: (row["loss"] as Double?).map { Float($0) }, data: try decode(row["data"]))
    }

    public func integrityProblems() throws(RegistryError) -> [String] {
        try read { db in
            let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let keys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { "foreign key: \($0)" }
            return problems + keys
        }
    }

    // MARK: Rows

    private static var now: Int { Int(Date().timeIntervalSince1970) }

    private static func activate(_ db: Database, _ reference: VersionReference, via: String, at: Int) throws {
        let adapter = try adapter(db, reference.adapter)
        _ = try version(db, reference)
        guard adapter.activeVersion != reference.version else { return }
        try db.execute(sql: "UPDATE adapters SET active_version = ? WHERE name = ?", arguments: [reference.version, reference.adapter])
        try db.execute(sql: "INSERT INTO activations (adapter, from_version, to_version, at, via) VALUES (?, ?, ?, ?, ?)",
                       arguments: [reference.adapter, adapter.activeVersion, reference.version, at, via])
    }

    private static func file(_ db: Database, _ id: String) throws -> StoredFile {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM files WHERE id = ?", arguments: [id]) else {
            throw RegistryError.notFound(kind: "file", id: id)
        }
        return try file(row)
    }

    private static func file(_ row: Row) throws -> StoredFile {
        StoredFile(id: row["id"], filename: row["filename"], purpose: row["purpose"], kind: FileKind(rawValue: row["kind"]) ?? .document,
                   bytes: row["bytes"], sha256: row["sha256"], lines: row["lines"], examples: row["examples"], tokens: row["tokens"],
                   createdAt: row["created_at"])
    }

    private static func adapter(_ db: Database, _ name: String) throws -> Adapter {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM adapters WHERE name = ?", arguments: [name]) else {
            throw RegistryError.notFound(kind: "adapter", id: name)
        }
        return adapter(row)
    }

    private static func adapter(_ row: Row) -> Adapter {
        Adapter(name: row["name"], baseModel: row["base_model"], baseModelSHA256: row["base_model_sha256"], description: row["description"],
                activeVersion: row["active_version"], createdAt: row["created_at"])
    }

    private static func version(_ db: Database, _ reference: VersionReference) throws -> AdapterVersion {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM adapter_versions WHERE adapter = ? AND number = ?",
                                         arguments: [reference.adapter, reference.version]) else {
            throw RegistryError.notFound(kind: "adapter version", id: reference.description)
        }
        return try version(row)
    }

    private static func version(_ row: Row) throws -> AdapterVersion {
        let parentAdapter: String? = row["parent_adapter"], parentVersion: Int? = row["parent_version"]
        return AdapterVersion(
            adapter: row["adapter"], number: row["number"],
            parent: parentAdapter.flatMap { a in parentVersion.map { VersionReference(adapter: a, version: $0) } },
            jobID: row["job_id"], trainingFiles: try decode(row["training_files"]), hyperparameters: try decodeIfPresent(row["hyperparameters"]),
            metrics: try decodeIfPresent(row["metrics"]), method: row["method"], path: row["path"], sha256: row["sha256"],
            createdAt: row["created_at"])
    }

    private static func job(_ db: Database, _ id: String) throws -> Job {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]) else {
            throw RegistryError.notFound(kind: "fine-tuning job", id: id)
        }
        return try job(row)
    }

    private static func job(_ row: Row) throws -> Job {
        let parentAdapter: String? = row["parent_adapter"], parentVersion: Int? = row["parent_version"]
        let adapter: String = row["adapter"]
        var job = Job(id: row["id"], model: row["model"], adapter: adapter,
                      parent: parentAdapter.flatMap { a in parentVersion.map { VersionReference(adapter: a, version: $0) } },
                      trainingFile: row["training_file"], validationFile: row["validation_file"], settings: try decode(row["settings"]),
                      createdAt: row["created_at"])
        job.status = JobStatus(rawValue: row["status"]) ?? .failed
        (job.step, job.totalSteps, job.trainedTokens) = (row["step"], row["total_steps"], row["trained_tokens"])
        job.error = try decodeIfPresent(row["error"])
        job.result = (row["result_version"] as Int?).map { VersionReference(adapter: adapter, version: $0) }
        job.cancelRequested = row["cancel_requested"]
        (job.leaseOwner, job.leaseExpiresAt) = (row["lease_owner"], row["lease_expires_at"])
        (job.startedAt, job.finishedAt) = (row["started_at"], row["finished_at"])
        return job
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    private static func decodeIfPresent<T: Decodable>(_ text: String?) throws -> T? {
        try text.map { try decode($0) }
    }

    // MARK: Transactions

    private func read<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try pool.read(body) } catch { throw Self.registryError(error) }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try pool.write(body) } catch { throw Self.registryError(error) }
    }

    private static func registryError(_ error: any Error) -> RegistryError {
        if let error = error as? RegistryError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CONSTRAINT: return .conflict("the registry refused the change: \(error.message ?? "constraint failed")")
            default: return .storage("registry: \(error.message ?? "\(error.resultCode)")")
            }
        }
        return .storage("registry: \(error)")
    }
}
