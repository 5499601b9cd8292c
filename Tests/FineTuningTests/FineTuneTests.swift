import Adapters
import Foundation
import Testing
import TestSupport
import FineTuning
import KnowledgePreparation
import Llama
import Inference
import ModelFormats
import Tokenizers
import Training
import TrainingData

/// Short runs on the default model: the output folder, checkpoints and resume, refusals.
@Suite(.serialized) struct FineTuneTests {
    static let model: Result<LoadedModel, any Error> = Result { try LoadedModel.load(path: try Repo.defaultModel) }
    static let qa = Repo.root + "/Tests/Fixtures/training/quillfeather-qa.jsonl"
    static let text = Repo.root + "/Tests/Fixtures/training/quillfeather.md"

    /// Small and quick: rank 4 on q/v, 2 × 128 tokens a step; the document as text windows
    /// (knowledge preparation has its own tests in KnowledgePreparationTests).
    static func configuration(steps: Int = 4, _ change: (inout FineTuneConfiguration) -> Void = { _ in }) -> FineTuneConfiguration {
        var c = FineTuneConfiguration(data: [text, qa], maxSteps: steps, training: TrainingConfiguration(
            lora: LoRAConfiguration(rank: 4, alpha: 8, targets: [.q, .v]), learningRate: 1e-3, warmupSteps: 1, microBatchSize: 2, maxSequenceLength: 128, seed: 7), preparation: .off)
        change(&c)
        return c
    }

    static func file(_ folder: String, _ name: String) throws -> Data {
        try #require(FileManager.default.contents(atPath: folder + "/" + name), "\(folder)/\(name)")
    }

    @Test func outputFolderHoldsAdapterAndReport() throws {
        let model = try Self.model.get()
        let out = temporaryDirectory() + "/run"
        var events = [String]()
        let report = try FineTune(model: model, configuration: Self.configuration(steps: 3) { $0.validationFraction = 0.2 }, output: out).run { event in
            switch event {
            case .started: events.append("started")
            case let .step(s, total, eta): events.append("step \(s.step)/\(total)"); #expect(eta >= 0 && s.loss.isFinite)
            case let .validated(v): events.append("validated \(v.step)")
            case let .saved(step, completed): events.append("saved \(step) \(completed)")
            }
        }
        #expect(events == ["started", "step 1/3", "step 2/3", "step 3/3", "validated 3", "saved 3 true"])

        let files = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        #expect(files == ["adapter_config.json", "adapter_model.safetensors", "training.json", "trainer_state.bin"])
        let adapter = try AdapterFile.load(path: out, config: model.config)
        #expect(adapter.rank == 4 && adapter.alpha == 8 && Set(adapter.targets) == [.q, .v])
        let modelPath = URL(fileURLWithPath: try Repo.defaultModel).standardizedFileURL.path
        #expect(adapter.baseModel == modelPath)

        let saved = try FineTune.readReport(folder: out)
        #expect(saved == report && saved.completed && saved.completedSteps == 3 && saved.totalSteps == 3)
        #expect(saved.data.files.map(\.sha256) == [try FileDigest.sha256(path: Self.text), try FileDigest.sha256(path: Self.qa)])
        #expect(saved.data.files.map(\.path) == [Self.text, Self.qa])
        #expect(saved.validation.map(\.step) == [3] && saved.validation[0].loss.isFinite)
        let examples = saved.validationData!.examples + saved.data.examples
        #expect(saved.validationData!.examples == Int((0.2 * Double(examples)).rounded()))
        #expect(saved.steps.map(\.step) == [1, 2, 3] && saved.steps.allSatisfy { $0.tokens > 0 && $0.seconds > 0 })
        #expect(saved.steps.map(\.learningRate) == [1e-3, 1e-3, 1e-3])
        #expect(saved.wallSeconds >= saved.steps.reduce(0) { $0 + $1.seconds })
        #expect(try JSONSerialization.jsonObject(with: Self.file(out, "training.json")) is [String: Any])
    }

    /// A run cancelled after step 3 (saving it) and resumed ends as the uninterrupted run does, to the bit.
    @Test func cancelledRunResumesToTheSameAdapter() throws {
        let model = try Self.model.get()
        let configuration = Self.configuration(steps: 5) { $0.checkpointEvery = 2 }
        let whole = temporaryDirectory() + "/whole", parts = temporaryDirectory() + "/parts"
        var saves = [Int]()
        try FineTune(model: model, configuration: configuration, output: whole).run { if case let .saved(step, _) = $0 { saves.append(step) } }
        #expect(saves == [2, 4, 5])

        let first = FineTune(model: model, configuration: configuration, output: parts)
        #expect(throws: CancellationError.self) {
            try first.run { if case let .step(s, _, _) = $0, s.step == 3 { first.cancel() } }
        }
        let interrupted = try FineTune.readReport(folder: parts)
        #expect(interrupted.completedSteps == 3 && !interrupted.completed)

        var resumedSteps = [Int]()
        let report = try FineTune(model: model, configuration: configuration, output: parts).run(resume: true) {
            if case let .step(s, _, _) = $0 { resumedSteps.append(s.step) }
        }
        #expect(resumedSteps == [4, 5] && report.completed)
        for name in ["adapter_model.safetensors", "trainer_state.bin"] {
            #expect(try Self.file(whole, name) == Self.file(parts, name), "\(name)")
        }
        let reference = try FineTune.readReport(folder: whole)
        #expect(report.steps.map(\.loss) == reference.steps.map(\.loss))

        // Resuming a finished run changes nothing.
        let again = try FineTune(model: model, configuration: configuration, output: parts).run(resume: true)
        #expect(again == report)
    }

    @Test func refusals() throws {
        let model = try Self.model.get()
        let out = temporaryDirectory() + "/run"
        try FineTune(model: model, configuration: Self.configuration(steps: 1), output: out).run()
        #expect(throws: FineTuneError.outputExists(out)) { try FineTune(model: model, configuration: Self.configuration(steps: 1), output: out).run() }
        #expect(throws: FineTuneError.self) {
            try FineTune(model: model, configuration: Self.configuration(steps: 1) { $0.training.learningRate = 2e-3 }, output: out).run(resume: true)
        }
        #expect(throws: FineTuneError.self) { try FineTune(model: model, configuration: Self.configuration { $0.replayFraction = 0.5 }, output: out + "2").run() }
        // A parent of another rank than the configuration's.
        #expect(throws: TrainingError.self) {
            try FineTune(model: model, configuration: Self.configuration { $0.parent = out; $0.training.lora.rank = 8 }, output: out + "3").run()
        }
        #expect(throws: TrainingDataError.self) {
            try FineTune(model: model, configuration: Self.configuration { $0.data = [Repo.root + "/README.md", "/nonexistent.jsonl"] }, output: out + "4").run()
        }
        #expect(!FileManager.default.fileExists(atPath: out + "2") && !FileManager.default.fileExists(atPath: out + "3"))
    }

    /// Full fine-tuning writes a folder with the new model: it loads as a model of its own, with the
    /// base file's tokenizer and chat template, and answers differently from the base.
    @Test func fullFineTuningWritesAModelTheEngineLoads() throws {
        let model = try Self.model.get()
        let out = temporaryDirectory() + "/full"
        let configuration = Self.configuration(steps: 2) { $0.training.full = true; $0.training.learningRate = 1e-4; $0.modelType = .q8_0 }
        let report = try FineTune(model: model, configuration: configuration, output: out).run()
        #expect(report.completedSteps == 2 && report.configuration.training.method == .full)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["model.gguf", "training.json", "trainer_state.bin"])

        let trained = try LoadedModel.load(path: out + "/" + FineTune.modelFile)
        #expect(trained.config == model.config)
        let prompt = try model.chatPrompt([ChatMessage(role: "user", content: "Who founded Quillfeather Robotics?")])
        #expect(try trained.chatPrompt([ChatMessage(role: "user", content: "Who founded Quillfeather Robotics?")]) == prompt)
        func logits(_ m: LoadedModel) throws -> [Float] { try m.model.forward([.init(cache: m.model.makeCache(), tokens: prompt)]) }
        let (base, tuned) = (try logits(model), try logits(trained))
        #expect(zip(base, tuned).map { abs($0 - $1) }.max()! > 0.1)
        #expect(try FineTune(model: model, configuration: configuration, output: out).run(resume: true) == report)
        #expect(throws: FineTuneError.self) {
            try FineTune(model: model, configuration: Self.configuration { $0.training.full = true; $0.parent = out }, output: out + "2").run()
        }
    }

    /// A child run starts from its parent's matrices and moments, and replays its data.
    @Test func childStartsFromParent() throws {
        let model = try Self.model.get()
        let parent = temporaryDirectory() + "/v1", child = temporaryDirectory() + "/v2"
        let v1 = try FineTune(model: model, configuration: Self.configuration(steps: 3), output: parent).run()
        // At learning rate 0 the child's adapter is its parent's, to the bit.
        let v2 = try FineTune(model: model, configuration: Self.configuration(steps: 2) {
            $0.data = [Self.qa]
            $0.parent = parent
            $0.parentOptimizerState = true
            $0.replayFraction = 0.5
            $0.training.learningRate = 0
        }, output: child).run()
        #expect(v2.parent?.path == parent && v2.data.examples == 20)
        #expect(v2.replay?.examples == Int((0.5 * Double(v1.data.examples)).rounded()) && v2.replay?.files == v1.data.files)
        #expect(try Self.file(child, "adapter_model.safetensors") == Self.file(parent, "adapter_model.safetensors"))
        let state = try TrainerState(encoded: Array(Self.file(child, FineTune.stateFile)))
        #expect(state.completedSteps == 2 && state.optimizerSteps == 5)
    }
}
