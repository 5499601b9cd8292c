import Foundation
import Testing
import TestSupport
@testable import TrainingData

@Suite struct TextWindowTests {
    /// Windows of 4 over the stream 0..<10, loss positions per window.
    func windows(count: Int = 10, length: Int = 4, overlap: Int) -> [([Int], [Int])] {
        TextWindows.examples(stream: Array(0..<count), length: length, overlap: overlap).map { ($0.tokens, $0.lossPositions) }
    }

    /// No overlap: each window's first token has no context; the last window is moved back
    /// to stay full, its tokens already predicted being context only.
    @Test func noOverlap() {
        let w = windows(overlap: 0)
        #expect(w.map(\.0) == [[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9]])
        #expect(w.map(\.1) == [[1, 2, 3], [1, 2, 3], [2, 3]])
    }

    /// Overlap 2 (stride 2): the shared tokens give context and are predicted once.
    @Test func overlap() {
        let w = windows(overlap: 2)
        #expect(w.map(\.0) == [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [6, 7, 8, 9]])
        #expect(w.map(\.1) == [[1, 2, 3], [2, 3], [2, 3], [2, 3]])
        #expect(windows(count: 9, overlap: 1).map(\.0) == [[0, 1, 2, 3], [3, 4, 5, 6], [5, 6, 7, 8]])
        #expect(windows(count: 9, overlap: 1).map(\.1) == [[1, 2, 3], [1, 2, 3], [2, 3]])
    }

    @Test func shortStreams() {
        #expect(windows(count: 3, overlap: 1).map(\.0) == [[0, 1, 2]])
        #expect(windows(count: 4, overlap: 1).map(\.1) == [[1, 2, 3]])
        #expect(windows(count: 0, overlap: 0).isEmpty)
    }

    /// Every token but the first is predicted exactly once whenever windows overlap.
    @Test func eachTokenPredictedOnce() {
        for (count, length, overlap) in [(100, 16, 4), (97, 10, 9), (33, 8, 1), (16, 16, 3)] {
            var predicted = [Int]()
            for e in TextWindows.examples(stream: Array(0..<count), length: length, overlap: overlap) {
                #expect(e.tokens.count == min(length, count))
                predicted += e.lossPositions.map { e.tokens[$0] }
            }
            #expect(predicted == Array(1..<count), "\(count) tokens, windows of \(length), overlap \(overlap)")
        }
    }

    /// Documents are joined with EOS after each, BOS before each when the model uses one
    /// (text ids from `transformers` and `sentencepiece`).
    @Test func documentsAreSeparatedByEOS() throws {
        let smol = try TestFiles.smolLM2(), llama = try TestFiles.llama2()
        let txt = TestFiles.write("a.txt", "Hello world"), md = TestFiles.write("b.md", "# Title\n")
        let jsonl = try TestFiles.jsonl([["text": "Hello world"], ["text": "# Title\n"]])
        for path in [[txt, md], [jsonl]] {
            let data = try TrainingDataLoader(tokenizer: smol, sequenceLength: 64).load(path)
            #expect(data.examples.map(\.tokens) == [[19556, 905, 2, 19, 7606, 198, 2]])
            #expect(data.lossTokenCount == 6)
        }
        let data = try TrainingDataLoader(tokenizer: llama, sequenceLength: 64).load([txt, md])
        #expect(data.examples.map(\.tokens) == [[1, 15043, 3186, 2, 1, 396, 18527, 13, 2]])
    }

    /// The defaults: a window is `sequenceLength` tokens, stepping by `sequenceLength - overlap`.
    @Test func loaderWindows() throws {
        let smol = try TestFiles.smolLM2()
        let path = TestFiles.write("a.txt", (1...200).map(String.init).joined(separator: " "))
        let stream = smol.encode(try String(contentsOfFile: path, encoding: .utf8)) + [2]
        let data = try TrainingDataLoader(tokenizer: smol, sequenceLength: 64, overlap: 16).load([path])
        #expect(data.examples.map(\.tokens) == TextWindows.examples(stream: stream, length: 64, overlap: 16).map(\.tokens))
        #expect(data.examples.allSatisfy { $0.tokens.count == 64 })
        #expect(Array(data.examples[1].tokens.prefix(16)) == Array(data.examples[0].tokens.suffix(16)))
        #expect(data.lossTokenCount == stream.count - 1)
    }
}
