import Foundation
import Registry
import SQLiteRegistry
import Testing
import TestSupport

@Suite struct SQLiteRegistryTests {
    let folder: String
    let registry: SQLiteRegistry

    init() throws {
        folder = temporaryDirectory("registry")
        registry = try SQLiteRegistry(path: folder + "/lorekeeper.sqlite")
    }

    func file(_ id: String = Names.newID(prefix: "file")) -> StoredFile {
        StoredFile(id: id, filename: "facts.md", purpose: "fine-tune", kind: .document, bytes: 10, sha256: "ab", lines: 1, examples: 2, tokens: 3, createdAt: 1)
    }

    func register(_ name: String, activate: Bool = true, parent: VersionReference? = nil, base: String = "sha-base") throws -> AdapterVersion {
        try registry.registerVersion(AdapterVersion(adapter: name, number: 0, parent: parent, jobID: nil, trainingFiles: [], hyperparameters: nil,
                                                    metrics: nil, path: "/x", sha256: "d", createdAt: 5),
                                     adapter: Adapter(name: name, baseModel: "base", baseModelSHA256: base, createdAt: 5), activate: activate, via: "test")
    }

    @Test func filesRoundTripAndDeleteRefusedWhileAJobUsesThem() throws {
        let f = file()
        try registry.insertFile(f)
        #expect(try registry.file(id: f.id) == f)
        #expect(try registry.files() == [f])
        var job = Job(id: Names.newID(prefix: "ftjob"), model: "base", adapter: "kb", parent: nil, trainingFile: f.id, validationFile: nil,
                      settings: JobSettings(), createdAt: 2)
        try registry.insertJob(job)
        #expect(throws: RegistryError.self) { try registry.deleteFile(id: f.id) }
        try registry.finishJob(jobID: job.id, status: .failed, error: JobFailure(code: "x", message: "y"), now: 3)
        job = try registry.job(id: job.id)
        #expect(job.status == .failed && job.error?.code == "x")
        try registry.deleteFile(id: f.id)
        #expect(throws: RegistryError.notFound(kind: "file", id: f.id)) { try registry.file(id: f.id) }
    }

    @Test func versionsNumberUpAndAreNeverReused() throws {
        #expect(try register("kb").number == 1)
        #expect(try register("kb").number == 2)
        try registry.activate(VersionReference(adapter: "kb", version: 1), via: "test")
        try registry.deleteVersion(VersionReference(adapter: "kb", version: 2))
        #expect(try register("kb", activate: false).number == 3)
        #expect(try registry.versions(of: "kb").map(\.number) == [1, 3])
    }

    @Test func anotherBaseModelIsRefused() throws {
        _ = try register("kb")
        #expect(throws: RegistryError.self) { try register("kb", base: "sha-other") }
    }

    @Test func rollbackReturnsToThePreviousActiveVersionAndTheLogSaysWho() throws {
        _ = try register("kb")
        _ = try register("kb")
        #expect(try registry.adapter(named: "kb").activeVersion == 2)
        #expect(try registry.rollback(adapter: "kb", via: "cli").activeVersion == 1)
        #expect(try registry.rollback(adapter: "kb", via: "cli").activeVersion == 2)
        let log = try registry.activations(of: "kb")
        #expect(log.map(\.to) == [1, 2, 1, 2])
        #expect(log.map(\.from) == [nil, 1, 2, 1])
        #expect(log.last?.via == "cli")
    }

    @Test func theActiveVersionAndAQueuedJobsParentCannotBeDeleted() throws {
        _ = try register("kb")
        _ = try register("kb", activate: false)
        #expect(throws: RegistryError.self) { try registry.deleteVersion(VersionReference(adapter: "kb", version: 1)) }
        let f = file()
        try registry.insertFile(f)
        try registry.insertJob(Job(id: Names.newID(prefix: "ftjob"), model: "kb@2", adapter: "kb", parent: VersionReference(adapter: "kb", version: 2),
                                   trainingFile: f.id, validationFile: nil, settings: JobSettings(), createdAt: 2))
        #expect(throws: RegistryError.self) { try registry.deleteVersion(VersionReference(adapter: "kb", version: 2)) }
        #expect(throws: RegistryError.notFound(kind: "adapter version", id: "kb@9")) { try registry.deleteVersion(VersionReference(adapter: "kb", version: 9)) }
    }

    @Test func jobsAreClaimedInOrderLeasedAndTakenOverWhenTheLeaseRunsOut() throws {
        let f = file()
        try registry.insertFile(f)
        let ids = (0..<3).map { _ in Names.newID(prefix: "ftjob") }
        for id in ids {
            try registry.insertJob(Job(id: id, model: "base", adapter: "kb", parent: nil, trainingFile: f.id, validationFile: nil, settings: JobSettings(), createdAt: 1))
        }
        #expect(try registry.claimNextJob(owner: "a", now: 100, leaseSeconds: 60) == nil)  // still validating
        for id in ids { try registry.finishValidation(jobID: id, error: nil) }
        let first = try #require(try registry.claimNextJob(owner: "a", now: 100, leaseSeconds: 60))
        #expect(first.id == ids[0] && first.status == .running)
        #expect(try registry.renewLease(jobID: first.id, owner: "a", now: 110, leaseSeconds: 60, step: 3, totalSteps: 9, trainedTokens: 50) == false)
        #expect(throws: RegistryError.self) { try registry.renewLease(jobID: first.id, owner: "b", now: 110, leaseSeconds: 60, step: 3, totalSteps: 9, trainedTokens: 50) }
        // Owner a is gone: before its lease ends the next queued job comes, after it the orphan first.
        #expect(try registry.claimNextJob(owner: "b", now: 120, leaseSeconds: 60)?.id == ids[1])
        let resumed = try #require(try registry.claimNextJob(owner: "b", now: 171, leaseSeconds: 60))
        #expect(resumed.id == ids[0] && resumed.step == 3 && resumed.leaseOwner == "b")
        #expect(try registry.requestCancel(jobID: ids[2]).status == .cancelled)
        #expect(try registry.requestCancel(jobID: ids[0]).cancelRequested)
        #expect(try registry.renewLease(jobID: ids[0], owner: "b", now: 172, leaseSeconds: 60, step: 4, totalSteps: 9, trainedTokens: 60) == true)
        #expect(throws: RegistryError.self) { try registry.requestCancel(jobID: ids[2]) }
    }

    @Test func aVersionFromAJobMarksItSucceededInTheSameTransaction() throws {
        let f = file()
        try registry.insertFile(f)
        let id = Names.newID(prefix: "ftjob")
        try registry.insertJob(Job(id: id, model: "base", adapter: "kb", parent: nil, trainingFile: f.id, validationFile: nil, settings: JobSettings(), createdAt: 1))
        let v = try registry.registerVersion(AdapterVersion(adapter: "kb", number: 0, parent: nil, jobID: id, trainingFiles: [f.id],
                                                            hyperparameters: JobSettings(epochs: 3), metrics: VersionMetrics(trainLoss: 0.5, validationLoss: nil, tokens: 9, seconds: 1),
                                                            path: "/p", sha256: "s", createdAt: 7),
                                             adapter: Adapter(name: "kb", baseModel: "b", baseModelSHA256: "h", createdAt: 7), activate: true, via: "job")
        let job = try registry.job(id: id)
        #expect(job.status == .succeeded && job.result == v.reference && job.finishedAt == 7)
        #expect(try registry.version(v.reference).hyperparameters?.epochs == 3)
        // An unknown job rolls the whole registration back.
        #expect(throws: RegistryError.self) {
            try registry.registerVersion(AdapterVersion(adapter: "other", number: 0, parent: nil, jobID: "ftjob-missing", trainingFiles: [], hyperparameters: nil,
                                                        metrics: nil, path: "/p", sha256: "s", createdAt: 7),
                                         adapter: Adapter(name: "other", baseModel: "b", baseModelSHA256: "h", createdAt: 7), activate: true, via: "job")
        }
        #expect(throws: RegistryError.notFound(kind: "adapter", id: "other")) { try registry.adapter(named: "other") }
        #expect(try registry.integrityProblems().isEmpty)
    }

    @Test func eventsPageBothWaysAndASecondConnectionSeesCommits() throws {
        let f = file()
        try registry.insertFile(f)
        let id = Names.newID(prefix: "ftjob")
        try registry.insertJob(Job(id: id, model: "base", adapter: "kb", parent: nil, trainingFile: f.id, validationFile: nil, settings: JobSettings(), createdAt: 1))
        for s in 1...5 { try registry.addEvent(JobEvent(jobID: id, createdAt: s, kind: .metrics, message: "step \(s)", step: s, loss: Float(s), data: ["step": Double(s)])) }
        let all = try registry.events(jobID: id, after: 0, limit: 100)
        #expect(all.map(\.step) == [1, 2, 3, 4, 5] && all[2].data["step"] == 3)
        #expect(try registry.events(jobID: id, after: all[2].id, limit: 1).map(\.step) == [4])
        #expect(try registry.recentEvents(jobID: id, before: all[2].id, limit: 10).map(\.step) == [2, 1])
        let other = try SQLiteRegistry(path: registry.path)
        _ = try register("kb")
        #expect(try other.adapter(named: "kb").activeVersion == 1)
    }

    @Test func namesAndIDs() {
        #expect(Names.isValidAdapterName("support-kb_2"))
        for bad in ["", "../x", "a/b", "a b", "-x", String(repeating: "a", count: 65), "é", "a.b"] { #expect(!Names.isValidAdapterName(bad)) }
        let id = Names.newID(prefix: "file")
        #expect(Names.isGeneratedID(id, prefix: "file") && !Names.isGeneratedID("file-../../etc", prefix: "file"))
        #expect(Names.parseModel("kb@3")! == ("kb", 3) && Names.parseModel("kb")! == ("kb", nil))
        #expect(Names.parseModel("kb@0") == nil && Names.parseModel("kb@x") == nil && Names.parseModel("a@1@2") == nil)
    }

    @Test func blobStoreUploadsAreAtomicAndOrphansAreSwept() throws {
        let blobs = try LocalBlobStore(root: folder)
        do {
            let abandoned = try blobs.beginUpload(kind: .document)
            try Array("half".utf8).withUnsafeBytes { try abandoned.write($0) }
        }
        let upload = try blobs.beginUpload(kind: .jsonl)
        try Array("abc".utf8).withUnsafeBytes { try upload.write($0) }
        let id = Names.newID(prefix: "file")
        #expect(try upload.commit(id: id) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let kept = try blobs.localPath(ofFile: id, kind: .jsonl)
        #expect(FileManager.default.contents(atPath: kept) == Data("abc".utf8))
        let orphan = Names.newID(prefix: "file")
        FileManager.default.createFile(atPath: try blobs.localPath(ofFile: orphan, kind: .document), contents: Data("x".utf8))
        try FileManager.default.createDirectory(atPath: try blobs.jobFolder(id: Names.newID(prefix: "ftjob")), withIntermediateDirectories: true)
        let removed = try blobs.sweep(liveFiles: [id], liveJobs: [])
        #expect(removed.count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/files") == [id + ".jsonl"])
        #expect(throws: RegistryError.self) { try blobs.localPath(ofFile: "../../etc/passwd", kind: .document) }
    }
}
