import Foundation
import Testing
import TestSupport
@testable import TrainingData
import Training

@Suite struct DatasetTests {
    /// 10 one-window text examples, told apart by their second token.
    func tenExamples() -> TrainingDataset {
        let examples = (0..<10).map { TrainingExample(tokens: [0, $0], lossMask: [false, true]) }
        return TrainingDataset(examples: examples, truncated: (0..<10).map { $0 == 3 }, selfDistilled: (0..<10).map { $0 == 5 }, files: [])
    }

    @Test func summary() throws {
        let text = TestFiles.write("hello.txt", "hello\n")
        let chat = try TestFiles.jsonl([["prompt": "Hi", "completion": "Hello"], ["prompt": "Hey", "completion": "Hello"]])
        let data = try TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: 64).load([text, chat])
        let summary = data.summary
        #expect(summary.examples == 3 && summary.truncated == 0)
        #expect(summary.tokens == data.examples.map(\.tokens.count).reduce(0, +))
        #expect(summary.lossTokens == 2 + 2 + 2) // "\n" EOS after "hello"; "Hello" <|im_end|> twice
        // sha256sum of "hello\n".
        #expect(summary.files[0] == TrainingFile(path: text, sha256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", records: 1))
        #expect(summary.files[1].records == 2)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any]
        #expect(Set(json?.keys.map { $0 } ?? []) == ["examples", "tokens", "lossTokens", "truncated", "files"])
    }

    /// A prepared file's general lines (the base model's own answers) are what `distilling`
    /// teaches, and the mark stays with its example through split, sample and appending.
    @Test func selfDistilledExamplesAreMarkedByTheirLine() throws {
        func mark(_ e: TrainingExample) -> TrainingExample { var e = e; e.teacher = [:]; return e }
        var general = TestFiles.messages([("user", "What is 2 plus 2?"), ("assistant", "4")]), question = general
        general["kind"] = "general"
        question["kind"] = "question"
        let file = try TestFiles.jsonl([general, question, ["prompt": "Hi", "completion": "Hello"]])
        let data = try TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: 64).load([file])
        #expect(data.distilling(mark).examples.map { $0.teacher != nil } == [true, false, false])
        let ten = tenExamples(), parts = ten.split(validationFraction: 0.3, seed: 7)
        for part in [parts.training, parts.validation, ten.sample(fraction: 0.5, seed: 3), ten.appending(ten)] {
            #expect(part.distilling(mark).examples.allSatisfy { ($0.teacher != nil) == ($0.tokens[1] == 5) })
        }
    }

    @Test func splitIsSeededAndDisjoint() {
        let data = tenExamples()
        let (training, validation) = data.split(validationFraction: 0.2, seed: 7)
        #expect(training.examples.count == 8 && validation.examples.count == 2)
        #expect(Set(training.examples.map { $0.tokens[1] }).isDisjoint(with: validation.examples.map { $0.tokens[1] }))
        #expect(training.truncatedCount + validation.truncatedCount == 1)
        #expect(training.examples.map { $0.tokens[1] } == training.examples.map { $0.tokens[1] }.sorted())
        #expect(data.split(validationFraction: 0.2, seed: 7).validation.examples == validation.examples)
        let others = (0..<20).map { data.split(validationFraction: 0.2, seed: UInt64($0)).validation.examples.map { $0.tokens[1] } }
        #expect(Set(others).count > 10)
        #expect(data.split(validationFraction: 0, seed: 7).validation.examples.isEmpty)
        #expect(data.split(validationFraction: 0.99, seed: 7).training.examples.count == 1)
    }

    /// The permutation is pinned (computed by a Python transcription of xoshiro256** and the
    /// shuffle): a seed must give the same data order on every platform and release.
    @Test func permutationIsPinned() {
        #expect(TrainingDataset.permutation(count: 10, seed: 42) == [9, 1, 4, 2, 8, 7, 6, 5, 3, 0])
        #expect(TrainingDataset.permutation(count: 1, seed: 42) == [0] && TrainingDataset.permutation(count: 0, seed: 42).isEmpty)
    }

    @Test func batchesCoverEachEpochOnce() {
        let data = tenExamples()
        let epoch0 = data.batches(size: 4, epoch: 0, seed: 1)
        #expect(epoch0.map(\.count) == [4, 4, 2])
        #expect(epoch0.flatMap { $0.map { $0.tokens[1] } }.sorted() == Array(0..<10))
        #expect(data.batches(size: 4, epoch: 0, seed: 1) == epoch0)
        #expect(data.batches(size: 4, epoch: 1, seed: 1) != epoch0)
        #expect(data.batches(size: 4, epoch: 0, seed: 2) != epoch0)
    }

    /// The made-up company facts and their questions load for both chat formats, whole.
    @Test(arguments: [false, true])
    func fixtures(llama2: Bool) throws {
        let loader = llama2
            ? TrainingDataLoader(tokenizer: try TestFiles.llama2(), chatTemplate: .llama2, sequenceLength: 256)
            : TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: 256)
        let names = ["quillfeather.md", "quillfeather-qa.jsonl", "brassmoor.md", "brassmoor-qa.jsonl"]
        let data = try loader.load(names.map(TestFiles.fixture))
        #expect(data.files.map(\.records) == [1, 20, 1, 20])
        #expect(data.truncatedCount == 0)
        let windows = data.examples.count - 40
        #expect((3...6).contains(windows))
        #expect(data.examples.allSatisfy { $0.lossTokenCount > 0 })
        #expect(data.examples.suffix(40).allSatisfy { $0.tokens.count < 128 })
    }
}
