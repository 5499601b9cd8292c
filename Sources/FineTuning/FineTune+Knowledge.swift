import Foundation
import Inference
import KnowledgePreparation
import Llama
import ModelFormats
import Tokenizers
import Training
import TrainingData

extension FineTune {
    /// `paths` as training examples: with preparation on, each document becomes its prepared
    /// examples (recorded in the dataset as the document itself, so replay and resume check
    /// the document's SHA-256) and `settings.generalShare` of self-distilled general examples
    /// is mixed in, counted on these examples and the `replayed` ones trained beside them (a
    /// third version replays two documents: counted on the new one alone, the general share
    /// fell to a third and v3 kept 8 of 14 general answers); other files load as they are.
    /// With `settings.distilGeneral`, self-distilled examples (these and a prepared file's
    /// general lines) train on the base model's distributions along their answers.
    func loadData(_ paths: [String], _ loader: TrainingDataLoader, settings: PreparationSettings,
                  directory: String?, replayed: Int = 0) throws -> (TrainingDataset, FineTuneReport.Preparation?) {
        let (set, preparation) = try prepareData(paths, loader, settings: settings, directory: directory, replayed: replayed)
        return (settings.distilGeneral ? try set.distilling { try Distillation.teach($0, model: model.model) } : set, preparation)
    }

    private func prepareData(_ paths: [String], _ loader: TrainingDataLoader, settings: PreparationSettings,
                             directory: String?, replayed: Int) throws -> (TrainingDataset, FineTuneReport.Preparation?) {
        guard settings.enabled, paths.contains(where: TrainingDataLoader.isDocument) else { return (try loader.load(paths), nil) }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lorekeeper-prepared-\(UUID().uuidString)").path
        try Self.createDirectory(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var set: TrainingDataset?
        var documents = [FineTuneReport.Preparation.Document]()
        for path in paths {
            let part: TrainingDataset
            if TrainingDataLoader.isDocument(path) {
                let (text, sha) = try TrainingDataLoader.readDocument(path)
                let kept = directory.map { "\($0)/\(sha).prepared.jsonl" }
                let file = kept ?? "\(scratch)/\(sha).prepared.jsonl"
                let examples: [PreparedExample]
                if let data = FileManager.default.contents(atPath: file) {
                    examples = try PreparedExample.parse(jsonl: Array(data), path: file)
                } else {
                    examples = try DocumentPreparation(model: model).prepare(text, path: path, settings: settings, sequenceLength: loader.sequenceLength)
                    try Self.writeAtomically(PreparedExample.jsonl(examples), to: file)
                }
                part = try loader.load([file]).recorded(as: [TrainingFile(path: path, sha256: sha, records: examples.count)])
                documents.append(.init(path: path, sha256: sha, prepared: kept, examples: PreparedExample.counts(examples),
                                       words: text.split(whereSeparator: \.isWhitespace).count))
            } else {
                part = try loader.load([path])
            }
            set = set?.appending(part) ?? part
        }
        let prepared = documents.reduce(0) { $0 + $1.examples.values.reduce(0, +) }
        let wanted = GeneralReplay.count(share: settings.generalShare, prepared: prepared + replayed)
        // The base model answers only so many of the pool's prompts right (the default model 61 of
        // 180), so they are repeated up to the share: a third version replays two documents and
        // wanted four times that, and with only the 61 it kept 15 of its 20 general answers.
        let own = try DocumentPreparation(model: model).generalExamples(count: wanted)
        let general = own.isEmpty ? [] : (0..<wanted).map { own[$0 % own.count] }
        if !general.isEmpty {
            let file = "\(scratch)/general.jsonl"
            try Self.writeAtomically(PreparedExample.jsonl(general), to: file)
            set = set!.appending(try loader.load([file]).recorded(as: []))
        }
        var totals = documents.reduce(into: [String: Int]()) { t, d in t.merge(d.examples, uniquingKeysWith: +) }
        if !general.isEmpty { totals[PreparedExample.Kind.general.rawValue] = general.count }
        return (set!, FineTuneReport.Preparation(documents: documents, general: general.count, examples: totals))
    }

    static func createDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw FineTuneError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// Temporary name, fsync, rename: a reader never sees half a prepared file.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try createDirectory((path as NSString).deletingLastPathComponent)
        do {
            let writer = try AtomicFileWriter(path: path)
            try writer.write(bytes)
            try writer.commit()
        } catch {
            throw FineTuneError.cannotWrite(path: path, reason: "\(error)")
        }
    }
}
