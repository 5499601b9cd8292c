import Foundation

/// One servable adapter: its versions (each a PEFT folder or a GGUF LoRA file) and the
/// version that `NAME` alone selects.
public struct AdapterListing: Sendable, Equatable {
    public var name: String
    /// Version number → path of its adapter files.
    public var versions: [Int: String]
    public var active: Int?

    public init(name: String, versions: [Int: String], active: Int?) {
        self.name = name
        self.versions = versions
        self.active = active
    }
}

/// Where the list of adapters comes from. Loading adapters does not care which source
/// answers: a directory tree now, the registry's database later.
public protocol AdapterCatalog: Sendable {
    /// Every adapter with at least one version.
    func listings() throws -> [AdapterListing]
    /// One adapter, or nil when there is none of that name. Called for every request that
    /// names an adapter, so a newly activated version is used at once.
    func listing(named name: String) throws -> AdapterListing?
}

/// Adapters found in `root/NAME/VERSION/` (VERSION a positive integer). The active version
/// is the number in `root/NAME/active` if that file exists, else the highest.
public struct DirectoryAdapterCatalog: AdapterCatalog {
    public let root: String

    public init(root: String) { self.root = root }

    public func listings() throws -> [AdapterListing] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return try names.sorted().compactMap { try listing(named: $0) }
    }

    public func listing(named name: String) throws -> AdapterListing? {
        guard Self.isValidName(name) else { return nil }
        let folder = root + "/" + name
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        var versions = [Int: String]()
        for entry in entries {
            guard let v = Int(entry), v > 0, String(v) == entry, !Self.isUnfinishedRun(folder + "/" + entry) else { continue }
            versions[v] = folder + "/" + entry
        }
        guard !versions.isEmpty else { return nil }
        var active = versions.keys.max()
        if let text = try? String(contentsOfFile: folder + "/active", encoding: .utf8) {
            guard let v = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), versions[v] != nil else {
                throw AdapterCatalogError.badActiveVersion(name: name, text: text)
            }
            active = v
        }
        return AdapterListing(name: name, versions: versions, active: active)
    }

    /// Whether `path` is the output folder of a `lorekeeper train` run still going (its
    /// checkpoints are whole adapters, but not the version to serve).
    static func isUnfinishedRun(_ path: String) -> Bool {
        struct Report: Decodable { var completed: Bool }
        guard let data = FileManager.default.contents(atPath: path + "/training.json") else { return false }
        return (try? JSONDecoder().decode(Report.self, from: data))?.completed == false
    }

    /// Names usable in the `model` field and as a folder name.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
    }
}

public enum AdapterCatalogError: Error, CustomStringConvertible {
    case badActiveVersion(name: String, text: String)

    public var description: String {
        switch self {
        case let .badActiveVersion(name, text): "adapter \(name): its 'active' file names no existing version ('\(text.prefix(20))')"
        }
    }
}
