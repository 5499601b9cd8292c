import Adapters
import Foundation
import Llama
import ModelFormats
import Testing
import TestSupport

/// Adapters chosen per request through the `model` field: folders of DATA_DIR/adapters are
/// imported into the registry at start, and an activation by another process (the CLI) is
/// used by the server's next request.
@Suite(.serialized) struct AdapterServingTests {
    /// A random rank-4 adapter on q/v of every layer of the default model.
    static func writeAdapter(seed: UInt64, to folder: String) throws {
        let gguf = try GGUFFile(path: try Repo.defaultModel)
        let config = try LlamaConfig(gguf: gguf)
        let rank = 4
        let layers = (0..<config.layerCount).map { l in
            Dictionary(uniqueKeysWithValues: [Projection.q, .v].enumerated().map { i, p in
                let (outputs, inputs) = p.shape(config)
                let s = seed &* 1000 &+ UInt64(l * 8 + i)
                return (p, LoRAAdapter.Pair(a: randomFloats(rank * inputs, scale: 0.5, seed: s), b: randomFloats(outputs * rank, scale: 0.5, seed: s &+ 500)))
            })
        }
        try AdapterFile.write(AdapterWeights(rank: rank, alpha: 8, layers: layers), format: .peft, to: folder, config: config)
    }

    func complete(_ port: Int, model: String) throws -> (status: Int, model: String?, text: String?, code: String?) {
        let r = try HTTP.request(port: port, "POST", "/v1/completions",
                                 json: ["model": model, "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0])
        let text = (r.json["choices"] as? [[String: Any]])?.first?["text"] as? String
        return (r.status, r.json["model"] as? String, text, (r.json["error"] as? [String: Any])?["code"] as? String)
    }

    @Test func modelFieldPicksTheAdapterVersionAndActiveSwitchesAtOnce() throws {
        let data = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: data + "/adapters/kb", withIntermediateDirectories: true)
        try Self.writeAdapter(seed: 1, to: data + "/adapters/kb/1")
        try Self.writeAdapter(seed: 2, to: data + "/adapters/kb/2")
        // A training run still writing checkpoints into version 3 is not served yet.
        try Self.writeAdapter(seed: 3, to: data + "/adapters/kb/3")
        try AtomicFileWriter.write(Array(#"{"completed": false, "steps": []}"#.utf8), to: data + "/adapters/kb/3/training.json")
        let server = try ServerProcess(["--data-dir", data])
        defer { _ = server.stop() }

        let models = try HTTP.request(port: server.port, "GET", "/v1/models")
        let ids = Set((models.json["data"] as! [[String: Any]]).map { $0["id"] as! String })
        #expect(ids.isSuperset(of: [modelID, "kb", "kb@1", "kb@2"]) && !ids.contains("kb@3"))

        let base = try complete(server.port, model: modelID)
        let v1 = try complete(server.port, model: "kb@1"), v2 = try complete(server.port, model: "kb@2")
        #expect(v1.status == 200 && v1.model == "kb@1" && v2.model == "kb@2")
        #expect(v1.text != base.text && v2.text != base.text && v1.text != v2.text, "\(String(describing: base.text)) \(String(describing: v1.text)) \(String(describing: v2.text))")
        // The name alone is the highest version until `active` says otherwise.
        let latest = try complete(server.port, model: "kb")
        #expect(latest.model == "kb@2" && latest.text == v2.text)
        let (status, output) = try Repo.runScript(try Repo.executable, ["adapters", "activate", "kb", "1", "--data-dir", data])
        #expect(status == 0, "\(output)")
        let rolledBack = try complete(server.port, model: "kb")
        #expect(rolledBack.model == "kb@1" && rolledBack.text == v1.text)
        // A repeated request reuses the prefix cache only under its own adapter.
        #expect(try complete(server.port, model: modelID).text == base.text)

        for unknown in ["nope", "kb@9", "kb@x", "kb@1@2"] {
            let r = try complete(server.port, model: unknown)
            #expect(r.status == 404 && r.code == "model_not_found", "\(unknown)")
        }
    }
}
