import Foundation
import Testing
import TestSupport

/// The `lorekeeper` executable as a script would use it: results alone on stdout, errors on
/// stderr with a non-zero exit status.
@Suite(.serialized) struct CommandLineTests {
    func run(_ arguments: [String], stdin: String? = nil) throws -> Repo.Run {
        try Repo.runLorekeeper(arguments, stdin: stdin)
    }

    @Test func generateAnswersParis() throws {
        _ = try Repo.defaultModel
        let r = try run(["generate", "--chat", "--prompt", "What is the capital of France?", "--temperature", "0"])
        #expect(r.status == 0)
        #expect(r.stdout == "The capital of France is Paris.\n")
    }

    @Test func tokenizeFromArgumentAndStdin() throws {
        _ = try Repo.defaultModel
        #expect(try run(["tokenize", "--text", "Hello, my name is"]).stdout == "19556 28 957 1462 314\n")
        #expect(try run(["tokenize"], stdin: "Hello, my name is").stdout == "19556 28 957 1462 314\n")
        #expect(try run(["tokenize", "--bos", "--text", "Hi"]).stdout.hasPrefix("1 "))
    }

    /// A vocabulary-only GGUF (llama.cpp's test files) tokenizes as llama.cpp does: no weights needed.
    @Test func tokenizeReadsAVocabularyOnlyFile() throws {
        let vocab = Repo.testdata + "/tokenizers/ggml-vocab-llama-spm.gguf"
        let inputs = try String(contentsOfFile: vocab + ".inp", encoding: .utf8).components(separatedBy: "\n__ggml_vocab_test__\n")
        let outputs = try String(contentsOfFile: vocab + ".out", encoding: .utf8).components(separatedBy: "\n")
        for (text, ids) in zip(inputs, outputs).prefix(6) {
            let r = try run(["tokenize", "--model", vocab], stdin: text)
            #expect(r.status == 0 && r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == ids.trimmingCharacters(in: .whitespaces),
                    "\(text): \(r.stdout) \(r.stderr)")
        }
    }

    @Test func logitsPrintsTheTopKAsJSON() throws {
        _ = try Repo.defaultModel
        let r = try run(["logits", "--tokens", "19556,28,957,1462,314", "--top", "3"])
        #expect(r.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["ids"] as? [Int] == [5325, 3906, 15487])
        let logits = json["logits"] as! [Double]
        #expect(abs(logits[0] - 4.310144901275635) < 1e-3)
    }

    @Test func badInputsExitNonZeroWithAMessage() throws {
        let missing = try run(["generate", "--model", "/nonexistent.gguf", "--prompt", "x"])
        #expect(missing.status != 0 && missing.stdout.isEmpty && missing.stderr.contains("/nonexistent.gguf"))
        let notGGUF = try run(["tokenize", "--model", Repo.root + "/Package.swift", "--text", "x"])
        #expect(notGGUF.status != 0 && notGGUF.stderr.contains("not a GGUF file"))
        _ = try Repo.defaultModel
        let badToken = try run(["logits", "--tokens", "1,999999"])
        #expect(badToken.status != 0 && badToken.stderr.contains("999999"))
        let notNumber = try run(["logits", "--tokens", "1,abc"])
        #expect(notNumber.status != 0 && notNumber.stdout.isEmpty)
    }

    @Test func benchReportsSpeedsAsJSON() throws {
        _ = try Repo.defaultModel
        let r = try run(["bench", "--prompt-tokens", "16", "--gen-tokens", "4", "--repetitions", "1"])
        #expect(r.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect((json["prefill_tokens_per_second"] as! Double) > 0)
        #expect((json["decode_tokens_per_second"] as! Double) > 0)
        #expect((json["peak_rss_mb"] as! Int) > 0)
    }
}
