/// Where uploaded files and job folders (training checkpoints, finished adapters) live. The
/// registry holds their rows; this holds their bytes. Rows are committed only after the bytes
/// are durable, so a crash can leave an orphan blob (swept at start) but never a row without one.
public protocol BlobStore: Sendable {
    /// A new upload, written as it streams in and hashed on the way.
    func beginUpload(kind: FileKind) throws(RegistryError) -> any UploadSink
    /// A path training can read the file from (a local cache for a remote store).
    func localPath(ofFile id: String, kind: FileKind) throws(RegistryError) -> String
    func removeFile(id: String, kind: FileKind) throws(RegistryError)
    /// The folder a job trains into; its finished adapter is served from here.
    func jobFolder(id: String) throws(RegistryError) -> String
    func removeJobFolder(id: String) throws(RegistryError)
    /// Where training keeps each document's prepared examples, as `<SHA-256 of the document>.prepared.jsonl`.
    func preparedFolder() throws(RegistryError) -> String
    /// Removes interrupted uploads, and blobs whose rows do not exist; returns what it removed.
    func sweep(liveFiles: Set<String>, liveJobs: Set<String>) throws(RegistryError) -> [String]
}

/// An upload in progress. Dropped without `commit`, it leaves nothing behind.
public protocol UploadSink: AnyObject {
    var bytesWritten: Int { get }
    func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError)
    /// The bytes so far, for checking the content before it is committed (with the kind's extension).
    var temporaryPath: String { get }
    /// Makes the bytes durable under `id`; returns their SHA-256.
    func commit(id: String) throws(RegistryError) -> String
}
