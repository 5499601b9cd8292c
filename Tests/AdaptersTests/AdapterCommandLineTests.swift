import Foundation
import Inference
import Retrieval
import Testing
import TestSupport
import Llama
import ModelFormats
import Adapters

/// `lorekeeper logits|generate --adapter`, `lorekeeper adapter export` on the default model and
/// `lorekeeper adapter passages`.
@Suite(.serialized) struct AdapterCommandLineTests {
    let tokens = "19556,28,957,1462,314"

    /// A random rank-4 adapter of q/k/v/o and down for the default model, as a PEFT folder.
    func defaultModelAdapter() throws -> String {
        let config = try LlamaConfig(gguf: GGUFFile(path: Repo.defaultModel))
        let layers = (0..<config.layerCount).map { l in
            Dictionary(uniqueKeysWithValues: [Projection.q, .k, .v, .o, .down].enumerated().map { i, p in
                let (outputs, inputs) = p.shape(config), seed = UInt64(100 * l + 2 * i)
                return (p, LoRAAdapter.Pair(a: randomFloats(4 * inputs, scale: 0.1, seed: seed), b: randomFloats(outputs * 4, scale: 0.1, seed: seed + 1)))
            })
        }
        let folder = temporaryDirectory() + "/adapter"
        try AdapterFile.write(AdapterWeights(rank: 4, alpha: 8, layers: layers), format: .peft, to: folder, config: config)
        return folder
    }

    func logits(_ extra: [String]) throws -> [Int: Double] {
        let r = try Repo.runLorekeeper(["logits", "--tokens", tokens, "--top", "10"] + extra)
        try #require(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        return Dictionary(uniqueKeysWithValues: zip(json["ids"] as! [Int], json["logits"] as! [Double]))
    }

    func maxDifference(_ x: [Int: Double], _ y: [Int: Double]) -> Double {
        Set(x.keys).union(y.keys).map { abs((x[$0] ?? -.infinity) - (y[$0] ?? .infinity)) }.max()!
    }

    @Test func logitsUnderAnAdapterAndItsGGUFExport() throws {
        let folder = try defaultModelAdapter()
        let base = try logits([])
        let adapted = try logits(["--adapter", folder])
        #expect(maxDifference(base, adapted) > 0.1)
        #expect(try logits(["--adapter", folder, "--adapter-scale", "0"]) == base)

        let gguf = folder + ".gguf"
        let export = try Repo.runLorekeeper(["adapter", "export", "--in", folder, "--format", "gguf", "--out", gguf])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("rank 4"))
        #expect(maxDifference(try logits(["--adapter", gguf]), adapted) < 1e-4)
        let back = try Repo.runLorekeeper(["adapter", "export", "--in", gguf, "--format", "peft", "--out", folder + "-back"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(maxDifference(try logits(["--adapter", folder + "-back"]), adapted) < 1e-4)
    }

    @Test func generateUnderAnAdapter() throws {
        let folder = try defaultModelAdapter()
        let args = ["generate", "--prompt", "The capital of France is", "--temperature", "0", "--max-tokens", "8", "--token-ids"]
        let base = try Repo.runLorekeeper(args), adapted = try Repo.runLorekeeper(args + ["--adapter", folder])
        #expect(base.status == 0 && adapted.status == 0, "\(adapted.stderr)")
        #expect(adapted.stdout.hasPrefix("[") && adapted.stdout != base.stdout)
        #expect(try Repo.runLorekeeper(args + ["--adapter", folder, "--adapter-scale", "0"]).stdout == base.stdout)
    }

    /// What chat grounding would read for a question, best first, with each passage's rank.
    @Test func passagesRankAnAdaptersKnowledge() throws {
        let folder = temporaryDirectory() + "/knowledge"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let none = try Repo.runLorekeeper(["adapter", "passages", "--in", folder, "--question", "How much?"])
        #expect(none.status != 0 && none.stderr.contains("knowledge.json"))
        let json = #"{"passages": [{"text": "The ferry leaves at 7:40."}, {"text": "Tickets cost 6 pounds."}, {"text": "The ferry has a cafe."}]}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: folder + "/knowledge.json"))
        let r = try Repo.runLorekeeper(["adapter", "passages", "--in", folder, "--question", "Ferry leaves when?", "--top", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.map { $0[1] } == ["The ferry leaves at 7:40.", "The ferry has a cafe."])
        #expect(lines[0][0] == "1.0000" && Double(lines[1][0])! < 1)
        let drafted = try Repo.runLorekeeper(["adapter", "passages", "--in", folder, "--question", "Tell me about the ferry", "--draft", "It has a cafe.", "--top", "1"])
        #expect(drafted.stdout.hasSuffix("\tThe ferry has a cafe.\n"))
        // With the base model, as the server ranks: by the question's sentence vector too, which
        // an index without vectors of that model cannot be ranked by.
        let model = try Repo.defaultModel
        let noVectors = try Repo.runLorekeeper(["adapter", "passages", "--in", folder, "--question", "Ferry leaves when?", "--model", model])
        #expect(noVectors.status != 0 && noVectors.stderr.contains("no sentence vectors"))
        let loaded = try LoadedModel.load(path: model)
        var index = try #require(try PassageIndex.load(folder: folder))
        try index.embed(in: EmbeddingSpace(layer: loaded.sentenceEmbeddingLayer, dimensions: loaded.config.hiddenSize), loaded.sentenceEmbeddings)
        try JSONEncoder().encode(index).write(to: URL(fileURLWithPath: folder + "/knowledge.json"))
        let question = "When does the ferry boat sail?"
        let vectored = try Repo.runLorekeeper(["adapter", "passages", "--in", folder, "--question", question, "--model", model, "--top", "3"])
        let want = index.ranked(for: question, questionVector: try loaded.sentenceEmbeddings([question])[0])
        #expect(want.count == 3 && vectored.status == 0 && vectored.stdout == want.map { String(format: "%.4f", $0.rank) + "\t" + index.passages[$0.index].text + "\n" }.joined())
    }

    @Test func badAdaptersExitNonZeroWithAMessage() throws {
        let model = try Repo.defaultModel
        let missing = try Repo.runLorekeeper(["logits", "--tokens", "1", "--adapter", "/nonexistent-adapter"])
        #expect(missing.status != 0 && missing.stdout.isEmpty && missing.stderr.contains("/nonexistent-adapter"))
        let baseModel = try Repo.runLorekeeper(["generate", "--prompt", "x", "--adapter", model])
        #expect(baseModel.status != 0 && baseModel.stderr.contains("not a LoRA adapter"))
        let noAdapter = try Repo.runLorekeeper(["logits", "--tokens", "1", "--adapter-scale", "2"])
        #expect(noAdapter.status != 0 && noAdapter.stderr.contains("--adapter-scale needs --adapter"))
        let format = try Repo.runLorekeeper(["adapter", "export", "--in", model, "--format", "onnx", "--out", "/tmp/x"])
        #expect(format.status != 0 && format.stderr.contains("onnx"))
        // An adapter for another model: the tiny one's shapes.
        let tiny = TinyLlama(seed: 1)
        let tinyAdapter = temporaryDirectory() + "/tiny"
        try AdapterFile.write(AdapterWeights(rank: 2, alpha: 2, layers: tiny.randomLoRA([.q], rank: 2, seed: 1)), format: .peft, to: tinyAdapter, config: tiny.config)
        let other = try Repo.runLorekeeper(["adapter", "export", "--in", tinyAdapter, "--format", "gguf", "--out", tinyAdapter + ".gguf"])
        #expect(other.status != 0 && other.stderr.contains("the model needs") && !FileManager.default.fileExists(atPath: tinyAdapter + ".gguf"))
    }
}
