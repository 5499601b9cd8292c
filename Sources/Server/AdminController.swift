import Foundation
import Hummingbird
import NIOCore
import Registry

/// `/admin`: what OpenAI's API has no words for: adapters and their versions, activation,
/// rollback, deleting a version, and a job's progress as server-sent events.
struct AdminController: Sendable {
    let serving: Serving
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.get("adapters") { _, _ in
            let loop = try serving.knowledge()
            let names = try registryCall { () throws(RegistryError) in try loop.registry.adapters().map(\.name) }
            return try json(ListObject(data: try names.map { name in try registryCall { () throws(RegistryError) in try loop.adapterObject(name) } }))
        }
        group.get("adapters/:name") { _, context in
            let loop = try serving.knowledge(), name = try context.parameters.require("name")
            return try json(try registryCall { () throws(RegistryError) in try loop.adapterObject(name) })
        }
        group.post("adapters/:name/activate") { request, context in
            let loop = try serving.knowledge(), name = try context.parameters.require("name")
            struct Body: Decodable { var version: Int }
            var request = request
            let body = try await decodeJSONBody(Body.self, from: &request, maxBytes: maxBodyBytes)
            let via = "POST /admin/adapters/\(name)/activate"
            _ = try registryCall(param: "version") { () throws(RegistryError) in
                try loop.registry.activate(VersionReference(adapter: name, version: body.version), via: via)
            }
            return try json(try registryCall { () throws(RegistryError) in try loop.adapterObject(name) })
        }
        group.post("adapters/:name/rollback") { _, context in
            let loop = try serving.knowledge(), name = try context.parameters.require("name")
            _ = try registryCall { () throws(RegistryError) in try loop.registry.rollback(adapter: name, via: "POST /admin/adapters/\(name)/rollback") }
            return try json(try registryCall { () throws(RegistryError) in try loop.adapterObject(name) })
        }
        group.delete("adapters/:name/versions/:version") { _, context in
            let loop = try serving.knowledge(), name = try context.parameters.require("name")
            guard let number = Int(try context.parameters.require("version")) else { throw APIError.invalid("the version must be a number", param: "version") }
            let reference = VersionReference(adapter: name, version: number)
            let version = try registryCall { () throws(RegistryError) in try loop.registry.version(reference) }
            try registryCall { () throws(RegistryError) in try loop.registry.deleteVersion(reference) }
            // The row went first: the folder of a job's version goes with it (a crash in between leaves an orphan, swept at start).
            if let jobID = version.jobID { try? loop.blobs.removeJobFolder(id: jobID) }
            return try json(DeletedVersionObject(name: name, version: number))
        }
        group.get("jobs/:id/stream", use: stream)
    }

    /// A job's events as server-sent events: its past first, then new ones as they are
    /// recorded (read from the registry, so a job run by another process streams as well),
    /// ending once the job has finished.
    @Sendable func stream(_ request: Request, _ context: ServerContext) async throws -> Response {
        let loop = try serving.knowledge(), id = try context.parameters.require("id")
        _ = try registryCall { () throws(RegistryError) in try loop.registry.job(id: id) }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            func send(_ type: String, _ value: some Encodable) async throws {
                var data = Data("event: \(type)\ndata: ".utf8)
                data += try encoder.encode(value)
                data += Data("\n\n".utf8)
                try await writer.write(ByteBuffer(bytes: data))
            }
            var lastEvent: Int64 = 0, lastStatus: JobStatus?
            while true {
                let job = try loop.registry.job(id: id)
                // A watcher learns the state it joins first; after that, events come before the
                // status that follows them, so a finished job's status is always the last message.
                if lastStatus == nil, !job.status.isFinished {
                    lastStatus = job.status
                    try await send("status", StatusEvent(status: job.status.rawValue, error: nil, fine_tuned_model: nil))
                }
                for event in try loop.registry.events(jobID: id, after: lastEvent, limit: 500) {
                    lastEvent = event.id
                    switch event.kind {
                    case .metrics: try await send("progress", ProgressEvent(event))
                    case .validation: try await send("validation", ValidationEvent(step: event.step ?? 0, loss: event.loss ?? .nan))
                    case .message, .checkpoint: try await send("message", MessageEvent(level: event.level, message: event.message, created_at: event.createdAt))
                    }
                }
                if job.status != lastStatus {
                    lastStatus = job.status
                    try await send("status", StatusEvent(status: job.status.rawValue, error: job.error?.message, fine_tuned_model: job.result?.description))
                }
                if job.status.isFinished { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            try await writer.finish(nil)
        })
    }
}

struct ProgressEvent: Encodable, Sendable {
    var step: Int
    var total_steps: Int
    var epoch: Int
    var loss: Float
    var learning_rate: Double
    var tokens_per_second: Double
    var eta_seconds: Double

    init(_ e: JobEvent) {
        step = e.step ?? 0
        total_steps = Int(e.data["total_steps"] ?? 0)
        epoch = Int(e.data["epoch"] ?? 0)
        loss = e.loss ?? .nan
        learning_rate = e.data["learning_rate"] ?? 0
        tokens_per_second = e.data["tokens_per_second"] ?? 0
        eta_seconds = e.data["eta_seconds"] ?? 0
    }
}

struct ValidationEvent: Encodable, Sendable {
    var step: Int
    var loss: Float
}

struct MessageEvent: Encodable, Sendable {
    var level: String
    var message: String
    var created_at: Int
}

struct StatusEvent: Encodable, Sendable {
    var status: String
    @Nullable var error: String?
    @Nullable var fine_tuned_model: String?
}
