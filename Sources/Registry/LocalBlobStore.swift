#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ModelFormats

/// Blobs in a local folder: `files/file-….{txt,jsonl}`, `jobs/ftjob-…/` and `prepared/`. Uploads go to
/// `files/.upload-…` first, are fsynced and renamed into place.
public struct LocalBlobStore: BlobStore {
    public let root: String
    var filesFolder: String { root + "/files" }
    var jobsFolder: String { root + "/jobs" }

    public init(root: String) throws(RegistryError) {
        self.root = root
        for folder in [root, root + "/files", root + "/jobs", root + "/prepared"] {
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw .storage("cannot create \(folder): \(error.localizedDescription)")
            }
        }
    }

    public func beginUpload(kind: FileKind) throws(RegistryError) -> any UploadSink {
        try LocalUpload(folder: filesFolder, kind: kind)
    }

    public func localPath(ofFile id: String, kind: FileKind) throws(RegistryError) -> String {
        guard Names.isGeneratedID(id, prefix: "file") else { throw .invalid("'\(id)' is not a file id") }
        return "\(filesFolder)/\(id).\(kind.fileExtension)"
    }

    public func removeFile(id: String, kind: FileKind) throws(RegistryError) {
        let path = try localPath(ofFile: id, kind: kind)
        guard unlink(path) == 0 || errno == ENOENT else { throw .storage("cannot remove \(path): \(String(cString: strerror(errno)))") }
    }

    public func jobFolder(id: String) throws(RegistryError) -> String {
        guard Names.isGeneratedID(id, prefix: "ftjob") else { throw .invalid("'\(id)' is not a job id") }
        return "\(jobsFolder)/\(id)"
    }

    public func removeJobFolder(id: String) throws(RegistryError) {
        let path = try jobFolder(id: id)
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        } catch { throw .storage("cannot remove \(path): \(error.localizedDescription)") }
    }

    public func preparedFolder() throws(RegistryError) -> String { root + "/prepared" }

    public func sweep(liveFiles: Set<String>, liveJobs: Set<String>) throws(RegistryError) -> [String] {
        var removed = [String]()
        func remove(_ path: String) throws(RegistryError) {
            do { try FileManager.default.removeItem(atPath: path) } catch { throw .storage("cannot remove \(path): \(error.localizedDescription)") }
            removed.append(path)
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: filesFolder)) ?? [] {
            let id = name.split(separator: ".").first.map(String.init) ?? ""
            if name.hasPrefix(".upload-") || !liveFiles.contains(id) { try remove(filesFolder + "/" + name) }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: jobsFolder)) ?? [] {
            // FineTune's own temporary folders (`ftjob-….tmp-…`) belong to no job by this test too.
            if !liveJobs.contains(name) { try remove(jobsFolder + "/" + name) }
        }
        return removed
    }
}

/// A temporary file in the files folder, hashed as it is written.
final class LocalUpload: UploadSink {
    let folder: String
    let kind: FileKind
    let temporaryPath: String
    private let fd: Int32
    private let hasher = FileDigest.SHA256Stream()
    private(set) var bytesWritten = 0
    private var committed = false

    init(folder: String, kind: FileKind) throws(RegistryError) {
        (self.folder, self.kind) = (folder, kind)
        temporaryPath = folder + "/.upload-" + Names.newID(prefix: "tmp") + "." + kind.fileExtension
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .storage("cannot create an upload file in \(folder): \(String(cString: strerror(errno)))") }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError) {
        hasher.update(bytes)
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .storage("cannot write the upload: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        bytesWritten += bytes.count
    }

    func commit(id: String) throws(RegistryError) -> String {
        precondition(!committed, "commit() called twice")
        guard Names.isGeneratedID(id, prefix: "file") else { throw .invalid("'\(id)' is not a file id") }
        let target = "\(folder)/\(id).\(kind.fileExtension)"
        guard fsync(fd) == 0 else { throw .storage("fsync of the upload failed: \(String(cString: strerror(errno)))") }
        guard rename(temporaryPath, target) == 0 else { throw .storage("cannot move the upload into place: \(String(cString: strerror(errno)))") }
        committed = true
        let dfd = open(folder, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
        return hasher.finish()
    }

    deinit {
        close(fd)
        if !committed { unlink(temporaryPath) }
    }
}
