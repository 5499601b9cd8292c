import Foundation
import Testing
import TestSupport
import FineTuning

/// `lorekeeper train` as a user runs it: progress lines, a clean error, and a run killed with
/// SIGKILL then resumed ending with the adapter of an uninterrupted run.
@Suite(.serialized) struct TrainCommandLineTests {
    static let arguments = ["train", "--data", "Tests/Fixtures/training/quillfeather-qa.jsonl", "--max-steps", "6", "--checkpoint-every", "2",
                            "--rank", "4", "--targets", "q_proj,v_proj", "--batch", "2", "--seq-len", "128", "--seed", "3"]

    @Test func killedRunResumesToTheSameAdapter() throws {
        let whole = temporaryDirectory() + "/whole", killed = temporaryDirectory() + "/killed"
        let run = try Repo.runLorekeeper(Self.arguments + ["--out", whole])
        try #require(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("step 6/6") && run.stderr.contains("tok/s") && run.stderr.contains("ETA"))
        #expect(run.stdout.hasPrefix("wrote \(whole): 6 steps"))

        // Killed once the step-4 save is on disk, while step 5 runs.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Repo.executable)
        p.arguments = Self.arguments + ["--out", killed]
        p.currentDirectoryURL = URL(fileURLWithPath: Repo.root)
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var seen = ""
        while !seen.contains("saved step 4") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "the run ended before it was killed: \(seen)")
        #expect(try FineTune.readReport(folder: killed).completedSteps == 4)

        let resumed = try Repo.runLorekeeper(Self.arguments + ["--out", killed, "--resume"])
        try #require(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming after step 4") && !resumed.stderr.contains("step 4/6"))
        for name in ["adapter_model.safetensors", "trainer_state.bin"] {
            #expect(FileManager.default.contents(atPath: whole + "/" + name) == FileManager.default.contents(atPath: killed + "/" + name), "\(name)")
        }
    }

    /// A separate validation file: its loss after each epoch on stderr and in training.json.
    @Test func validationFile() throws {
        let out = temporaryDirectory() + "/run"
        let r = try Repo.runLorekeeper(["train", "--data", "Tests/Fixtures/training/quillfeather.md", "--val-data", "Tests/Fixtures/training/quillfeather-qa.jsonl",
                                        "--out", out, "--no-prepare", "--epochs", "2", "--min-steps", "0", "--rank", "4", "--targets", "q,v", "--batch", "2", "--seq-len", "128"])
        try #require(r.status == 0, "\(r.stderr)")
        let report = try FineTune.readReport(folder: out)
        #expect(report.validationData?.examples == 20 && report.validationData?.files.count == 1)
        #expect(report.validation.map(\.epoch) == [1, 2] && report.validation.map(\.step) == [report.stepsPerEpoch, 2 * report.stepsPerEpoch])
        #expect(r.stderr.contains("epoch 2: validation loss") && r.stdout.contains("validation loss"))
        #expect(report.validation[1].loss < report.validation[0].loss)
    }

    @Test func badInputsGiveOneLineErrors() throws {
        let out = temporaryDirectory() + "/run"
        let bad = temporaryDirectory() + "/bad.jsonl"
        try Data("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n{not json\n".utf8)
            .write(to: URL(fileURLWithPath: bad))
        let cases: [([String], String)] = [
            (["--data", bad], "bad.jsonl:2: malformed JSON"),
            (["--data", "Tests/Fixtures/training/quillfeather.md", "--targets", "q_proj,x_proj"], "unknown target 'x_proj'"),
            (["--data", "Tests/Fixtures/training/quillfeather.md", "--replay", "0.5"], "replay needs a parent adapter"),
            (["--data", "Tests/Fixtures/training/quillfeather.md", "--parent", "/nonexistent"], "/nonexistent"),
            (["--data", "Tests/Fixtures/training/quillfeather.md", "--method", "full", "--parent", "/nonexistent"], "--method full starts from the base model's weights"),
        ]
        for (arguments, message) in cases {
            let r = try Repo.runLorekeeper(["train", "--out", out] + arguments)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}
