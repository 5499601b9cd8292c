import Adapters
import Foundation
import Llama
import Retrieval
import Synchronization
import Training

/// An adapter version as served: its weights and the passages its chat answers are grounded in.
struct ServedAdapter: Sendable {
    let weights: LoRAAdapter
    let knowledge: PassageIndex?

    static func knowledge(at path: String) throws -> PassageIndex? {
        do { return try PassageIndex.load(folder: path) } catch {
            throw AdapterCacheError.unreadableKnowledge(path: path + "/" + PassageIndex.fileName, reason: "\(error)")
        }
    }
}

/// Adapters loaded for serving, keyed by `name@version`; beyond a byte budget the least
/// recently used are dropped (requests still running keep theirs alive). Loads run on their
/// own thread, never on the event loops or the scheduler's thread, so running decodes do not
/// wait for them; concurrent requests for one version share a single load.
final class AdapterCache: Sendable {
    let model: LlamaModel
    let budgetBytes: Int

    private struct Entry {
        let load: Task<ServedAdapter, any Error>
        var bytes = 0
        var lastUse: UInt64
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())

    init(model: LlamaModel, budgetBytes: Int) {
        self.model = model
        self.budgetBytes = budgetBytes
    }

    /// With `sha256`, the files are checked against it before loading (`AdapterDigest`).
    func adapter(name: String, version: Int, path: String, sha256: String? = nil) async throws -> ServedAdapter {
        let id = "\(name)@\(version)", model = model
        // The path is part of the key: a version re-imported elsewhere is a new load.
        let key = id + "|" + path
        let load = state.withLock { s in
            s.clock += 1
            if s.entries[key] != nil {
                s.entries[key]!.lastUse = s.clock
                return s.entries[key]!.load
            }
            let task = Task<ServedAdapter, any Error> {
                try await withCheckedThrowingContinuation { done in
                    Thread.detachNewThread {
                        done.resume(with: Result {
                            if let sha256, case let found = try AdapterDigest.sha256(path: path), found != sha256 {
                                throw AdapterCacheError.changedOnDisk(id: id, expected: sha256, found: found)
                            }
                            return ServedAdapter(weights: try AnyAdapter.load(path: path, config: model.config).runtime(id: id, model: model),
                                                 knowledge: try ServedAdapter.knowledge(at: path))
                        })
                    }
                }
            }
            s.entries[key] = Entry(load: task, lastUse: s.clock)
            return task
        }
        do {
            let adapter = try await load.value
            settle(key, bytes: adapter.weights.byteCount)
            return adapter
        } catch {
            // A failed load is not kept: fixing the files and asking again retries.
            state.withLock { s in _ = s.entries.removeValue(forKey: key) }
            throw error
        }
    }

    /// Loaded adapters and the bytes they hold.
    var loaded: (count: Int, bytes: Int) {
        state.withLock { s in (s.entries.values.filter { $0.bytes > 0 }.count, s.entries.values.reduce(0) { $0 + $1.bytes }) }
    }

    private func settle(_ key: String, bytes: Int) {
        state.withLock { s in
            s.entries[key]?.bytes = bytes
            var total = s.entries.values.reduce(0) { $0 + $1.bytes }
            while total > budgetBytes,
                  let oldest = s.entries.filter({ $0.key != key && $0.value.bytes > 0 }).min(by: { $0.value.lastUse < $1.value.lastUse }) {
                total -= oldest.value.bytes
                s.entries[oldest.key] = nil
            }
        }
    }
}

enum AdapterCacheError: Error, CustomStringConvertible {
    case changedOnDisk(id: String, expected: String, found: String)
    case unreadableKnowledge(path: String, reason: String)

    var description: String {
        switch self {
        case let .changedOnDisk(id, expected, found): "the files of \(id) changed on disk since it was registered (SHA-256 \(found), registered \(expected))"
        case let .unreadableKnowledge(path, reason): "\(path) is not a passage index: \(reason)"
        }
    }
}
