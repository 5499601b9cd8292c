import Foundation

/// One servable adapter: its versions (each a PEFT folder or a GGUF LoRA file) and the
/// version that `NAME` alone selects.
public struct AdapterListing: Sendable, Equatable {
    public var name: String
    /// Version number → path of its adapter files.
    public var versions: [Int: String]
    public var active: Int?
    /// Version number → `AdapterDigest` its files must have (checked before loading); a
    /// version without one is loaded unchecked.
    public var digests: [Int: String]

    public init(name: String, versions: [Int: String], active: Int?, digests: [Int: String] = [:]) {
        self.name = name
        self.versions = versions
        self.active = active
        self.digests = digests
    }
}

/// Where the list of adapters comes from. Loading adapters does not care which source
/// answers: the registry (`RegistryAdapterCatalog`), or anything else that lists versions.
public protocol AdapterCatalog: Sendable {
    /// Every adapter with at least one version.
    func listings() throws -> [AdapterListing]
    /// One adapter, or nil when there is none of that name. Called for every request that
    /// names an adapter, so a newly activated version is used at once.
    func listing(named name: String) throws -> AdapterListing?
}
