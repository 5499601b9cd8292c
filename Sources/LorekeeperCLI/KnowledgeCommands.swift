import ArgumentParser
import Foundation
import Inference
import JobRunner
import ModelFormats
import Registry
import SQLiteRegistry

/// Where the registry and blobs are: the same folder `lorekeeper serve --data-dir` uses.
struct DataOptions: ParsableArguments {
    @Option(help: "Where adapters, uploaded data and the registry are kept.")
    var dataDir = "./data"

    static let databaseName = "lorekeeper.sqlite"

    func registry() throws -> SQLiteRegistry {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        return try SQLiteRegistry(path: dataDir + "/" + Self.databaseName)
    }

    func blobs() throws -> LocalBlobStore { try LocalBlobStore(root: dataDir) }
}

/// Rows of a table, columns padded to their widest cell.
func printTable(_ header: [String], _ rows: [[String]]) {
    let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
    for row in [header] + rows {
        print(row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  "))
    }
}

func formatDate(_ unix: Int?) -> String {
    guard let unix else { return "-" }
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM-dd HH:mm:ss"
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: Date(timeIntervalSince1970: TimeInterval(unix))) + "Z"
}

struct AdaptersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapters", abstract: "List, inspect, activate, roll back and import adapter versions in the registry (with or without a running server).",
        subcommands: [List.self, Show.self, Activate.self, Rollback.self, Import.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every adapter, its active version and version count.")
        @OptionGroup var data: DataOptions

        func run() throws {
            let registry = try data.registry()
            let rows = try registry.adapters().map { a in
                [a.name, a.activeVersion.map { "\($0)" } ?? "-", "\(try registry.versions(of: a.name).count)", a.baseModel, formatDate(a.createdAt)]
            }
            printTable(["NAME", "ACTIVE", "VERSIONS", "BASE MODEL", "CREATED"], rows)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An adapter's versions: lineage, metrics, files and dates, and its activations.")
        @OptionGroup var data: DataOptions
        @Argument(help: "The adapter's name.") var name: String

        func run() throws {
            let registry = try data.registry()
            let adapter = try registry.adapter(named: name)
            print("\(adapter.name): base model \(adapter.baseModel) (SHA-256 \(adapter.baseModelSHA256.prefix(16))…), active version \(adapter.activeVersion.map(String.init) ?? "none")")
            let rows = try registry.versions(of: name).map { v in
                [(v.number == adapter.activeVersion ? "* " : "  ") + "\(v.number)", v.parent?.description ?? "-", v.jobID ?? "imported",
                 v.metrics?.trainLoss.map { String(format: "%.4f", $0) } ?? "-", v.metrics?.validationLoss.map { String(format: "%.4f", $0) } ?? "-",
                 v.trainingFiles.joined(separator: ","), formatDate(v.createdAt), v.path]
            }
            printTable(["VERSION", "PARENT", "JOB", "LOSS", "VAL LOSS", "FILES", "CREATED", "PATH"], rows)
            print("\nActivations:")
            printTable(["WHEN", "FROM", "TO", "VIA"], try registry.activations(of: name).map {
                [formatDate($0.at), $0.from.map(String.init) ?? "-", "\($0.to)", $0.via]
            })
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make VERSION what NAME serves (a running server uses it from its next request).")
        @OptionGroup var data: DataOptions
        @Argument(help: "The adapter's name.") var name: String
        @Argument(help: "The version number.") var version: Int

        func run() throws {
            let adapter = try data.registry().activate(VersionReference(adapter: name, version: version), via: "lorekeeper adapters activate")
            print("\(name): active version \(adapter.activeVersion ?? version)")
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate the version that was active before the current one.")
        @OptionGroup var data: DataOptions
        @Argument(help: "The adapter's name.") var name: String

        func run() throws {
            let adapter = try data.registry().rollback(adapter: name, via: "lorekeeper adapters rollback")
            print("\(name): rolled back to version \(adapter.activeVersion.map(String.init) ?? "none")")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a PEFT folder or GGUF LoRA file into the data folder and register it as NAME's next version.")
        @OptionGroup var data: DataOptions
        @OptionGroup var model: ModelOptions
        @Argument(help: "A PEFT adapter folder or a GGUF adapter file.") var path: String
        @Option(help: "The adapter to add it to (new or existing).") var name: String
        @Flag(help: "Do not make it the active version.") var noActivate = false

        func run() throws {
            guard Names.isValidAdapterName(name) else { throw ValidationError("--name must be 1 to 64 letters, digits, '-' or '_'") }
            let loaded = try LoadedModel.load(path: model.model, chatTemplate: model.chatTemplate, threads: model.threads)
            let copy = try AdapterCopy.copy(path, into: data.dataDir + "/imports")
            do {
                let version = try AdapterImport.register(path: copy, name: name, baseModel: loaded.id, baseModelSHA256: try ModelDigest.sha256(path: loaded.path),
                                                         config: loaded.config, activate: !noActivate, via: "lorekeeper adapters import",
                                                         registry: try data.registry())
                print("imported \(path) as \(version.reference)\(noActivate ? "" : " (active)")")
            } catch {
                try? FileManager.default.removeItem(atPath: copy)
                throw error
            }
        }
    }
}

/// Copies an adapter's files under a new random name, each file fsynced and the whole moved
/// into place by one rename, so that a registered version never points at a half copy.
enum AdapterCopy {
    static func copy(_ source: String, into folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { throw ValidationError("\(source): no such file or folder") }
        let target = folder + "/" + Names.newID(prefix: "adapter") + (isDirectory.boolValue ? "" : ".gguf")
        guard isDirectory.boolValue else {
            try AtomicFileWriter.write(Array(try Data(contentsOf: URL(fileURLWithPath: source))), to: target)
            return target
        }
        let temporary = target + ".partial"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        do {
            for name in try FileManager.default.contentsOfDirectory(atPath: source) where !name.hasPrefix(".") {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &isFolder), !isFolder.boolValue else { continue }
                try AtomicFileWriter.write(Array(try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))), to: temporary + "/" + name)
            }
            try FileManager.default.moveItem(atPath: temporary, toPath: target)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        return target
    }
}

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List, inspect and cancel fine-tuning jobs.",
                                                    subcommands: [List.self, Show.self, Cancel.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs, newest first.")
        @OptionGroup var data: DataOptions
        @Option(help: "At most this many.") var limit = 50

        func run() throws {
            let page = try data.registry().jobs(after: nil, limit: limit)
            printTable(["ID", "STATUS", "ADAPTER", "FROM", "STEP", "RESULT", "CREATED"], page.jobs.map { j in
                [j.id, j.status.rawValue, j.adapter, j.parent?.description ?? "base", "\(j.step)/\(j.totalSteps)", j.result?.description ?? "-",
                 formatDate(j.createdAt)]
            })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job and its events.")
        @OptionGroup var data: DataOptions
        @Argument(help: "The job's id (ftjob-…).") var id: String

        func run() throws {
            let registry = try data.registry()
            let j = try registry.job(id: id)
            print("""
                \(j.id): \(j.status.rawValue)\(j.error.map { " (\($0.code): \($0.message))" } ?? "")
                  adapter \(j.adapter), from \(j.parent?.description ?? "the base model"), result \(j.result?.description ?? "-")
                  files \(j.trainingFile)\(j.validationFile.map { ", validation \($0)" } ?? ""), step \(j.step)/\(j.totalSteps)
                  created \(formatDate(j.createdAt)), started \(formatDate(j.startedAt)), finished \(formatDate(j.finishedAt))
                """)
            var after: Int64 = 0
            while case let events = try registry.events(jobID: id, after: after, limit: 500), !events.isEmpty {
                for e in events { print("  \(formatDate(e.createdAt)) \(e.level) \(e.message)") }
                after = events.last!.id
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued job, or stop a running one at its next step (its checkpoint is kept).")
        @OptionGroup var data: DataOptions
        @Argument(help: "The job's id (ftjob-…).") var id: String

        func run() throws {
            let job = try data.registry().requestCancel(jobID: id)
            print(job.status == .cancelled ? "\(id): cancelled" : "\(id): asked to stop; the server ends it within a few seconds")
        }
    }
}

struct FilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "files", abstract: "Uploaded training files.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Uploaded files, newest first.")
        @OptionGroup var data: DataOptions

        func run() throws {
            printTable(["ID", "FILENAME", "KIND", "BYTES", "EXAMPLES", "TOKENS", "SHA-256", "CREATED"], try data.registry().files().map { f in
                [f.id, f.filename, f.kind.rawValue, "\(f.bytes)", "\(f.examples)", "\(f.tokens)", String(f.sha256.prefix(16)), formatDate(f.createdAt)]
            })
        }
    }
}
