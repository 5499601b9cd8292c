import Adapters
import FineTuning
import Foundation
import Llama
import Registry
import Training

/// Registers adapter files made elsewhere as versions: a PEFT folder or GGUF adapter given to
/// `lorekeeper adapters import`, and the folders of the layout before the registry
/// (`adapters/NAME/VERSION`, with an optional `adapters/NAME/active`), imported at start.
public enum AdapterImport {
    /// Checks that `path` is an adapter for `config`, then registers it as `name`'s next version.
    public static func register(path: String, name: String, baseModel: String, baseModelSHA256: String, config: LlamaConfig,
                                activate: Bool, via: String, registry: any Registry) throws -> AdapterVersion {
        guard Names.isValidAdapterName(name) else { throw RegistryError.invalid("'\(name)' is not a valid adapter name: use 1 to 64 letters, digits, '-' or '_'") }
        let method: TuningMethod
        switch try AnyAdapter.load(path: path, config: config) {
        case .lora: method = .lora
        case let .promptLearning(weights): method = weights.method == .promptTuning ? .prompt : .prefix
        }
        let report = try? FineTune.readReport(folder: path)
        let metrics = report.map {
            VersionMetrics(trainLoss: $0.steps.last?.loss, validationLoss: $0.validation.last?.loss, tokens: $0.steps.reduce(0) { $0 + $1.tokens },
                           seconds: $0.wallSeconds)
        }
        let now = Int(Date().timeIntervalSince1970)
        let version = AdapterVersion(adapter: name, number: 0, parent: nil, jobID: nil, trainingFiles: [], hyperparameters: nil, metrics: metrics,
                                     method: method.rawValue, path: URL(fileURLWithPath: path).standardizedFileURL.path, sha256: try AdapterDigest.sha256(path: path), createdAt: now)
        return try registry.registerVersion(version, adapter: Adapter(name: name, baseModel: baseModel, baseModelSHA256: baseModelSHA256, createdAt: now),
                                            activate: activate, via: via)
    }

    /// Whether `path` holds a training run's checkpoint rather than its finished adapter.
    static func isUnfinishedRun(_ path: String) -> Bool {
        struct Report: Decodable { var completed: Bool }
        guard let data = FileManager.default.contents(atPath: path + "/" + FineTune.reportFile) else { return false }
        return (try? JSONDecoder().decode(Report.self, from: data))?.completed == false
    }

    /// Imports every `root/NAME/VERSION` folder of an adapter the registry does not know yet,
    /// in version order, and activates the one `root/NAME/active` names (else the highest).
    /// Returns what it imported and what it could not.
    public static func importLegacy(root: String, baseModel: String, baseModelSHA256: String, config: LlamaConfig,
                                    registry: any Registry) -> (imported: [String], skipped: [String]) {
        var imported = [String](), skipped = [String]()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
        for name in names where Names.isValidAdapterName(name) {
            if (try? registry.adapter(named: name)) != nil { continue }
            let folder = root + "/" + name
            let numbers = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap { entry -> Int? in
                guard let n = Int(entry), n > 0, String(n) == entry else { return nil }
                return isUnfinishedRun(folder + "/" + entry) ? nil : n
            }.sorted()
            guard !numbers.isEmpty else { continue }
            let active = (try? String(contentsOfFile: folder + "/active", encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            var registered = [Int: Int]()
            for n in numbers {
                do {
                    let v = try register(path: folder + "/\(n)", name: name, baseModel: baseModel, baseModelSHA256: baseModelSHA256, config: config,
                                         activate: false, via: "import at start", registry: registry)
                    registered[n] = v.number
                    imported.append("\(folder)/\(n) as \(v.reference)")
                } catch {
                    skipped.append("\(folder)/\(n): \(error)")
                }
            }
            if let target = active.flatMap({ registered[$0] }) ?? registered[numbers.last!] ?? registered.values.max() {
                _ = try? registry.activate(VersionReference(adapter: name, version: target), via: "import at start")
            }
        }
        return (imported, skipped)
    }
}
