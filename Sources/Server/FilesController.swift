import Foundation
import Hummingbird
import JobRunner
import MultipartKit
import NIOCore
import Registry
import TrainingData

/// `/v1/files`: uploads streamed to the blob store and hashed as they arrive, checked as
/// training data with the model's tokenizer, and only then recorded.
struct FilesController: Sendable {
    let serving: Serving

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.post(use: upload)
        group.get { _, _ in
            let loop = try serving.knowledge()
            return try json(ListObject(data: try registryCall { () throws(RegistryError) in try loop.registry.files() }.map(FileObject.init)))
        }
        group.get(":id") { _, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            return try json(FileObject(try registryCall { () throws(RegistryError) in try loop.registry.file(id: id) }))
        }
        group.get(":id/content") { _, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            let file = try registryCall { () throws(RegistryError) in try loop.registry.file(id: id) }
            let path = try registryCall { () throws(RegistryError) in try loop.blobs.localPath(ofFile: file.id, kind: file.kind) }
            let bytes = try await offloaded { try Data(contentsOf: URL(fileURLWithPath: path)) }
            var headers = HTTPFields()
            headers[.contentType] = file.kind == .jsonl ? "application/jsonl; charset=utf-8" : "text/plain; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(file.id).\(file.kind.fileExtension)\""
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        // What a job trains on for a document (knowledge preparation), once a job has prepared it.
        group.get(":id/prepared") { _, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            let file = try registryCall { () throws(RegistryError) in try loop.registry.file(id: id) }
            guard file.kind == .document else {
                throw APIError.invalid("\(id) is JSONL training data, used as it is: only documents are prepared.", code: "not_a_document")
            }
            let folder = try registryCall { () throws(RegistryError) in try loop.blobs.preparedFolder() }
            guard let bytes = FileManager.default.contents(atPath: "\(folder)/\(file.sha256).prepared.jsonl") else {
                throw APIError(status: .notFound, message: "\(id) has not been prepared yet: a fine-tuning job prepares it when it first trains on it.",
                               type: "invalid_request_error", code: "not_prepared")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/jsonl; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(file.id).prepared.jsonl\""
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        group.delete(":id") { _, context in
            let loop = try serving.knowledge(), id = try context.parameters.require("id")
            let file = try registryCall { () throws(RegistryError) in try loop.registry.file(id: id) }
            try registryCall { () throws(RegistryError) in try loop.registry.deleteFile(id: id) }
            // The row is gone first: a crash here leaves an orphan blob, swept at the next start.
            try? loop.blobs.removeFile(id: id, kind: file.kind)
            return try json(DeletedObject(id: id, object: "file"))
        }
    }

    @Sendable func upload(_ request: Request, _ context: ServerContext) async throws -> Response {
        let loop = try serving.knowledge()
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("multipart/form-data"),
              let boundary = Self.boundary(contentType) else {
            throw APIError.invalid("Upload the file as multipart/form-data with the fields 'file' and 'purpose'.", code: "invalid_content_type")
        }
        let form = UploadForm(blobs: loop.blobs, limit: loop.maxUploadBytes)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in form.header(name, value) }
        parser.onBody = { buffer in form.body(&buffer) }
        parser.onPartComplete = { form.partComplete() }
        // Parts other than `file` are not kept, but a body far past the file limit is refused all the same.
        var received = 0
        do {
            for try await chunk in request.body {
                received += chunk.readableBytes
                guard received <= loop.maxUploadBytes + (1 << 20) else { throw APIError.tooLarge(limit: loop.maxUploadBytes) }
                do { try parser.execute(chunk) } catch {
                    throw APIError.invalid("The multipart/form-data body is malformed.", code: "invalid_multipart")
                }
                if let error = form.error { throw error }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalid("The upload was interrupted: \(error)", code: "upload_interrupted")
        }
        let (sink, filename, kind) = try form.finished()
        let inspection: JobPlan.Inspection
        do {
            let path = sink.temporaryPath
            inspection = try await offloaded { try JobPlan.inspect(path: path, model: loop.model) }
        } catch let error as TrainingDataError {
            // Named by the client's file name and line, never by the server's path.
            throw APIError.invalid("\(filename)\(error.line.map { ", line \($0)" } ?? ""): \(error.detail)", param: "file", code: "invalid_file")
        } catch {
            throw APIError.invalid("\(filename) is not usable training data: \(error)", param: "file", code: "invalid_file")
        }
        let id = Names.newID(prefix: "file")
        let sha256 = try registryCall { () throws(RegistryError) in try sink.commit(id: id) }
        let file = StoredFile(id: id, filename: filename, purpose: "fine-tune", kind: kind, bytes: sink.bytesWritten, sha256: sha256,
                              lines: inspection.lines, examples: inspection.examples, tokens: inspection.tokens,
                              createdAt: Int(Date().timeIntervalSince1970))
        do {
            try loop.registry.insertFile(file)
        } catch {
            try? loop.blobs.removeFile(id: id, kind: kind)
            throw APIError(error)
        }
        return try json(FileObject(file))
    }

    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 200 ? nil : value
            }
        }
        return nil
    }
}

/// The state of one multipart upload as the parser walks it: the `file` part goes straight
/// to the blob store, the `purpose` part is kept (it is a few bytes).
final class UploadForm: @unchecked Sendable {
    let blobs: any BlobStore
    let limit: Int
    private(set) var error: APIError?
    private var part: (name: String?, filename: String?) = (nil, nil)
    private var sink: (any UploadSink)?
    private var filename: String?
    private var kind: FileKind?
    private var fileComplete = false
    private var purpose = [UInt8]()

    init(blobs: any BlobStore, limit: Int) {
        self.blobs = blobs
        self.limit = limit
    }

    func header(_ name: String, _ value: String) {
        guard name.lowercased() == "content-disposition" else { return }
        part = (Self.parameter("name", in: value), Self.parameter("filename", in: value))
    }

    func body(_ buffer: inout ByteBuffer) {
        guard error == nil else { return }
        switch part.name {
        case "file":
            do {
                if sink == nil { try startFile() }
                guard sink!.bytesWritten + buffer.readableBytes <= limit else {
                    error = APIError.tooLarge(limit: limit)
                    return
                }
                try buffer.withUnsafeReadableBytes { bytes throws(RegistryError) in try sink!.write(bytes) }
            } catch let e as APIError {
                error = e
            } catch {
                self.error = APIError.internalError("\(error)")
            }
        case "purpose":
            purpose += buffer.readableBytesView.prefix(max(0, 64 - purpose.count))
        default:
            break
        }
    }

    func partComplete() {
        if part.name == "file", error == nil {
            if sink == nil {
                do { try startFile() } catch let e as APIError { error = e } catch { self.error = .internalError("\(error)") }
            }
            fileComplete = true
        }
        part = (nil, nil)
    }

    /// The committed-to-be upload, once the whole body was read and it is acceptable.
    func finished() throws -> (any UploadSink, String, FileKind) {
        if let error { throw error }
        guard let sink, let filename, let kind, fileComplete else {
            throw APIError.invalid("Missing required parameter: 'file'.", param: "file", code: "missing_required_parameter")
        }
        let purpose = String(decoding: purpose, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !purpose.isEmpty else { throw APIError.invalid("Missing required parameter: 'purpose'.", param: "purpose", code: "missing_required_parameter") }
        guard purpose == "fine-tune" else {
            throw APIError.invalid("'\(purpose)' is not a supported purpose: this server accepts 'fine-tune'.", param: "purpose", code: "invalid_purpose")
        }
        guard sink.bytesWritten > 0 else { throw APIError.invalid("\(filename) is empty.", param: "file", code: "empty_file") }
        return (sink, filename, kind)
    }

    /// Checks the part's filename (display only, but it must look like a file name and say
    /// what it holds) and opens the blob it streams into.
    private func startFile() throws {
        guard let name = part.filename, !name.isEmpty else {
            throw APIError.invalid("The 'file' part needs a filename (.txt, .md or .jsonl).", param: "file", code: "invalid_filename")
        }
        guard name.utf8.count <= 255, !name.contains("/"), !name.contains("\\"), !name.contains(".."),
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.invalid("'\(name.prefix(80))' is not a plain file name: no folders, '..' or control characters.", param: "file", code: "invalid_filename")
        }
        switch (name as NSString).pathExtension.lowercased() {
        case "txt", "md": kind = .document
        case "jsonl": kind = .jsonl
        default: throw APIError.invalid("\(name): upload .txt or .md documents, or .jsonl chat data.", param: "file", code: "unsupported_file_type")
        }
        filename = name
        sink = try blobs.beginUpload(kind: kind!)
    }

    /// `name="value"` (or unquoted) inside a Content-Disposition header.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }
}

func json(_ value: some Encodable) throws -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
}
