import Foundation
import Testing
import TestSupport
import FineTuning
import Inference
import KnowledgePreparation
import ModelFormats
import Retrieval
import Training
import TrainingData

/// Knowledge preparation inside `FineTune.run` on the default model: the prepared file kept
/// by SHA-256 and reused, the report's counts, old reports still decoding.
@Suite(.serialized) struct PreparedFineTuneTests {
    static let model: Result<LoadedModel, any Error> = Result { try LoadedModel.load(path: try Repo.defaultModel) }
    static let document = Repo.root + "/Tests/Fixtures/knowledge/manual-corvane.md"

    static func configuration(_ directory: String?) -> FineTuneConfiguration {
        FineTuneConfiguration(data: [document], maxSteps: 2, training: TrainingConfiguration(
            lora: LoRAConfiguration(rank: 4, alpha: 8, targets: [.q, .v]), learningRate: 1e-3, warmupSteps: 1, microBatchSize: 2,
            maxSequenceLength: 128, seed: 3), preparation: PreparationSettings(generalShare: 0.05), preparedDirectory: directory)
    }

    @Test func keepsPreparedExamplesBySHA256AndCountsThem() throws {
        let model = try Self.model.get()
        let kept = temporaryDirectory() + "/prepared", out = temporaryDirectory() + "/run"
        let report = try FineTune(model: model, configuration: Self.configuration(kept), output: out).run()

        let sha = try FileDigest.sha256(path: Self.document)
        let file = kept + "/\(sha).prepared.jsonl"
        #expect(try FileManager.default.contentsOfDirectory(atPath: kept) == ["\(sha).prepared.jsonl"])
        let examples = try PreparedExample.parse(jsonl: Array(try #require(FileManager.default.contents(atPath: file))), path: file)
        let preparation = try #require(report.preparation)
        #expect(preparation.documents.map(\.path) == [Self.document] && preparation.documents[0].prepared == file)
        #expect(preparation.documents[0].examples == PreparedExample.counts(examples))
        for kind in ["fact-view", "paragraph-view", "question", "overview"] { #expect(preparation.examples[kind, default: 0] > 0, "\(kind)") }
        // The whole share, of the base model's right answers (repeated where it has too few).
        #expect(preparation.general == GeneralReplay.count(share: 0.05, prepared: examples.count))
        #expect(preparation.examples["general"] == preparation.general)
        // The dataset names the document (so replay and resume check it), holding every example.
        #expect(report.data.files.map(\.sha256) == [sha] && report.data.examples == examples.count + preparation.general)
        #expect(try FineTune.readReport(folder: out).preparation == preparation)

        // A kept file is reused as it is: a user's corrections are what trains.
        let corrected = Array(examples.filter { $0.kind == .question }.prefix(3))
        try Data(PreparedExample.jsonl(corrected)).write(to: URL(fileURLWithPath: file))
        let again = try FineTune(model: model, configuration: Self.configuration(kept), output: out + "2").run()
        #expect(again.preparation?.documents[0].examples == ["question": 3])
        #expect(again.data.examples == 3 + (again.preparation?.general ?? -1))
    }

    /// Default epochs over a document's prepared examples stop at `maxStepsPerWord` steps for
    /// each of its words, however many examples its sentences give.
    @Test func stepsAreCappedByTheDocumentsWords() throws {
        let model = try Self.model.get()
        var configuration = Self.configuration(nil)
        (configuration.maxSteps, configuration.minSteps, configuration.epochs, configuration.maxStepsPerWord) = (nil, 0, 7, 0.01)
        let report = try FineTune(model: model, configuration: configuration, output: temporaryDirectory() + "/run").run()
        let words = try String(contentsOfFile: Self.document, encoding: .utf8).split(whereSeparator: \.isWhitespace).count
        #expect(report.preparation?.documents.map(\.words) == [words])
        #expect(report.totalSteps == Int((0.01 * Double(words)).rounded()) && report.totalSteps < 7 * report.stepsPerEpoch)
    }

    /// Preparation writes the same examples again (rules, then the base model's greedy answers), so
    /// a prepared run cancelled after step 2 resumes to the uninterrupted run's adapter, to the bit.
    @Test func preparedRunResumesToTheSameAdapter() throws {
        let model = try Self.model.get()
        var configuration = Self.configuration(nil)
        (configuration.maxSteps, configuration.checkpointEvery) = (3, 1)
        let whole = temporaryDirectory() + "/whole", parts = temporaryDirectory() + "/parts"
        try FineTune(model: model, configuration: configuration, output: whole).run()
        let first = FineTune(model: model, configuration: configuration, output: parts)
        #expect(throws: CancellationError.self) {
            try first.run { if case let .step(s, _, _) = $0, s.step == 2 { first.cancel() } }
        }
        var resumed = [Int]()
        let report = try FineTune(model: model, configuration: configuration, output: parts).run(resume: true) {
            if case let .step(s, _, _) = $0 { resumed.append(s.step) }
        }
        #expect(resumed == [3] && report.completed)
        for name in ["adapter_model.safetensors", "trainer_state.bin"] {
            #expect(FileManager.default.contents(atPath: whole + "/" + name) == FileManager.default.contents(atPath: parts + "/" + name), "\(name)")
        }
    }

    /// A child replays its parent's documents prepared again, without the parent's general examples.
    @Test func childReplaysTheParentsPreparedDocuments() throws {
        let model = try Self.model.get()
        let v1 = temporaryDirectory() + "/v1", v2 = temporaryDirectory() + "/v2"
        let parent = try FineTune(model: model, configuration: Self.configuration(nil), output: v1).run()
        var configuration = Self.configuration(nil)
        configuration.data = [Repo.root + "/Tests/Fixtures/knowledge/place-ashgrove.md"]
        (configuration.parent, configuration.replayFraction) = (v1, 1)
        let child = try FineTune(model: model, configuration: configuration, output: v2).run()
        let prepared = try #require(parent.preparation)
        #expect(child.replay?.files.map(\.sha256) == [try FileDigest.sha256(path: Self.document)])
        #expect(child.replay?.examples == parent.data.examples - prepared.general)
        #expect(child.preparation?.documents.map(\.path) == configuration.data)
        // Each version answers chat from its own documents' sentences and its ancestors'.
        func index(_ folder: String) throws -> PassageIndex { try #require(try PassageIndex.load(folder: folder)) }
        func passages(_ folder: String) throws -> [PassageIndex.Passage] {
            try index(folder).passages.map { .init($0.text, heading: $0.heading, title: $0.title, questions: $0.questions) }
        }
        func sentences(_ path: String) throws -> [PassageIndex.Passage] {
            let document = DocumentText(parsing: try String(contentsOfFile: path, encoding: .utf8))
            let questions = KnowledgePreparer.ruleQuestions(document).map { $0.map { $0.messages![0].content } }
            return zip(document.paragraphs.flatMap { p in p.sentences.map { ($0, p.heading) } }, questions).map {
                .init($0.0, heading: $0.1, title: document.title, questions: $1)
            }
        }
        #expect(try passages(v1).allSatisfy { $0.title == "Corvane KX-40 Bread Maker: Quick Manual" })
        #expect(try passages(v1) == sentences(Self.document))
        #expect(try passages(v2) == sentences(Self.document) + sentences(configuration.data[0]))
        // Each passage carries the base model's vectors of its sentence and questions (float16 in
        // the file); the child keeps its parent's and adds its own.
        let space = EmbeddingSpace(layer: model.sentenceEmbeddingLayer, dimensions: model.config.hiddenSize)
        #expect(try index(v1).embedding == space && index(v2).embedding == space)
        let first = try index(v1).passages[0], want = try model.sentenceEmbeddings(first.embeddedTexts)
        let stored = try #require(first.vectors?.rows)
        #expect(stored.count == want.count && zip(stored, want).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) <= 2e-3 * max(1, abs($1)) } })
        #expect(try Array(index(v2).passages.prefix(index(v1).passages.count)) == index(v1).passages)
        #expect(try index(v2).passages.allSatisfy { $0.vectors?.rows.count == $0.embeddedTexts.count })
    }

    @Test func offTrainsDocumentsAsTextWindows() throws {
        let model = try Self.model.get()
        var configuration = Self.configuration(nil)
        configuration.preparation = .off
        let out = temporaryDirectory() + "/run"
        let report = try FineTune(model: model, configuration: configuration, output: out).run()
        let windows = try TrainingDataLoader(tokenizer: model.tokenizer, sequenceLength: 128, overlap: 32).load([Self.document])
        #expect(report.preparation == nil && report.data.examples == windows.examples.count)
        #expect(!FileManager.default.fileExists(atPath: out + "/" + PassageIndex.fileName))
    }

    /// `training.json` files written before preparation existed decode, as runs that trained documents as text.
    @Test func oldConfigurationsDecodeWithPreparationOff() throws {
        let encoded = try JSONEncoder().encode(Self.configuration("/kept"))
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object["preparation"] != nil && object["preparedDirectory"] as? String == "/kept")
        object["preparation"] = nil
        object["preparedDirectory"] = nil
        let old = try JSONDecoder().decode(FineTuneConfiguration.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.preparation == .off && old.preparedDirectory == nil && old.data == [Self.document])
        #expect(try JSONDecoder().decode(FineTuneConfiguration.self, from: encoded) == Self.configuration("/kept"))
    }

    /// Prepared documents train fewer passes and on a decaying rate; chat data and documents as
    /// text windows keep the Q&A defaults.
    @Test func preparedDocumentsHaveTheirOwnLengthAndSchedule() {
        #expect(FineTuneConfiguration.defaultEpochs(data: ["a.jsonl", "b.md"]) == FineTuneConfiguration.defaultDocumentEpochs)
        #expect(FineTuneConfiguration.defaultEpochs(data: ["a.jsonl"]) == FineTuneConfiguration.defaultEpochs)
        #expect(FineTuneConfiguration.defaultEpochs(data: ["b.txt"], preparation: .off) == FineTuneConfiguration.defaultEpochs)
        #expect(FineTuneConfiguration.defaultSchedule(data: ["b.txt"]) == .cosine && FineTuneConfiguration.defaultSchedule(data: ["a.jsonl"]) == .constant)
    }

    @Test func rejectsAGeneralShareOutsideZeroToOne() throws {
        var configuration = Self.configuration(nil)
        configuration.preparation.generalShare = 1.5
        #expect(throws: FineTuneError.invalidConfiguration("the general replay share must be in [0, 1]")) {
            try FineTune(model: try Self.model.get(), configuration: configuration, output: temporaryDirectory() + "/run").run()
        }
    }
}
