import Foundation
import Testing
import TestSupport
import Llama
import ModelFormats
@testable import Adapters

/// Adapter files read into the engine give what the merged weights W + scale·B·A give, for
/// GGUF and Hugging Face bases alike; written files read back unchanged.
@Suite struct AdapterFileTests {
    let tokens = [3, 17, 42, 49, 5, 0, 33, 8, 21]
    let rank = 3

    /// Runs `path` on both bases and compares with the float64 model merged with `pairs` at `scale`.
    func expectMergedLogits(_ bases: TinyBases, adapterAt path: String, pairs: [[Projection: LoRAAdapter.Pair]], scale: Double) throws {
        let want = bases.tiny.merging(pairs, rank: rank, scale: scale).referenceLogits(tokens)
        let weights = try AdapterFile.load(path: path, config: bases.config)
        #expect(abs(Double(weights.scale) - scale) < 1e-6)
        for (name, model) in [("GGUF", bases.gguf), ("HF", bases.huggingFace)] {
            let adapter = try weights.runtime(id: path, config: model.config)
            #expect(maxDifference(try logits(model, tokens, adapter: adapter), want) < 1e-4, "\(name) base")
        }
        // The adapter does change the output.
        #expect(maxDifference(try logits(bases.gguf, tokens, adapter: nil), want) > 0.1)
    }

    @Test func peftFolderMatchesMergedWeights() throws {
        let bases = try TinyBases(seed: 31)
        let pairs = bases.tiny.randomLoRA(Projection.allCases, rank: rank, seed: 1)
        let folder = bases.dir + "/peft"
        try PEFTFixture(pairs, rank: rank, alpha: 6).write(to: folder)
        try expectMergedLogits(bases, adapterAt: folder, pairs: pairs, scale: 2)
        // A path to either file inside the folder names the folder.
        try expectMergedLogits(bases, adapterAt: folder + "/adapter_model.safetensors", pairs: pairs, scale: 2)
        try expectMergedLogits(bases, adapterAt: folder + "/adapter_config.json", pairs: pairs, scale: 2)
    }

    @Test func ggufAdapterMatchesMergedWeights() throws {
        let bases = try TinyBases(seed: 32)
        let pairs = bases.tiny.randomLoRA(Projection.allCases, rank: rank, seed: 2)
        let path = bases.dir + "/lora.gguf"
        try GGUFFixture(pairs, rank: rank, alpha: 1.5, config: bases.config).write(to: path)
        try expectMergedLogits(bases, adapterAt: path, pairs: pairs, scale: 0.5)
    }

    /// llama.cpp applies an adapter without alpha at scale 1.
    @Test func ggufAdapterWithoutAlphaHasScaleOne() throws {
        let bases = try TinyBases(seed: 33)
        let pairs = bases.tiny.randomLoRA([.v, .down], rank: rank, seed: 3)
        var fixture = GGUFFixture(pairs, rank: rank, alpha: 0, config: bases.config)
        fixture.metadata.removeAll { $0.0 == "adapter.lora.alpha" }
        try fixture.write(to: bases.dir + "/lora.gguf")
        try expectMergedLogits(bases, adapterAt: bases.dir + "/lora.gguf", pairs: pairs, scale: 1)
    }

    @Test func rsLoRAScalesByTheSquareRootOfTheRank() throws {
        let bases = try TinyBases(seed: 34)
        let pairs = bases.tiny.randomLoRA([.q, .k, .o, .up], rank: rank, seed: 4)
        let folder = bases.dir + "/peft"
        try PEFTFixture(pairs, rank: rank, alpha: 2, rsLoRA: true).write(to: folder)
        let scale = 2 / Double(rank).squareRoot()
        try expectMergedLogits(bases, adapterAt: folder, pairs: pairs, scale: scale)
        // GGUF has no rsLoRA key: the export folds √r into alpha, keeping the scale.
        let weights = try AdapterFile.load(path: folder, config: bases.config)
        try AdapterFile.write(weights, format: .gguf, to: bases.dir + "/rs.gguf", config: bases.config)
        #expect(try GGUFFile(path: bases.dir + "/rs.gguf").metadata["adapter.lora.alpha"] == .float32(2 * Float(rank).squareRoot()))
        try expectMergedLogits(bases, adapterAt: bases.dir + "/rs.gguf", pairs: pairs, scale: scale)
    }

    /// PEFT → GGUF → PEFT keeps every value; the GGUF written is laid out as llama.cpp's converter does it.
    @Test func exportRoundTripKeepsEveryTensor() throws {
        let bases = try TinyBases(seed: 35)
        let pairs = bases.tiny.randomLoRA(Projection.allCases, rank: rank, seed: 5)
        try PEFTFixture(pairs, rank: rank, alpha: 8).write(to: bases.dir + "/in")
        let original = try AdapterFile.load(path: bases.dir + "/in", config: bases.config)
        #expect(original.baseModel == "tiny")

        try AdapterFile.write(original, format: .gguf, to: bases.dir + "/out.gguf", config: bases.config)
        let written = try GGUFFile(path: bases.dir + "/out.gguf")
        let expected = GGUFFixture(pairs, rank: rank, alpha: 8, config: bases.config)
        #expect(Set(written.tensors.map(\.name)) == Set(expected.tensors.map(\.name)))
        for t in expected.tensors {
            let view = try written.tensor(t.name)
            #expect(view.type == .f32 && view.shape == t.shape, "\(t.name)")
            #expect(Array(UnsafeBufferPointer(start: view.data.assumingMemoryBound(to: Float.self), count: view.elementCount)) == t.values, "\(t.name)")
        }

        let fromGGUF = try AdapterFile.load(path: bases.dir + "/out.gguf", config: bases.config)
        try AdapterFile.write(fromGGUF, format: .peft, to: bases.dir + "/back", config: bases.config)
        let back = try AdapterFile.load(path: bases.dir + "/back", config: bases.config)
        for result in [fromGGUF, back] {
            #expect(result.rank == rank && result.alpha == 8 && !result.useRSLoRA)
            #expect(result.layers.count == pairs.count)
            for (l, layer) in pairs.enumerated() {
                #expect(Set(result.layers[l].keys) == Set(layer.keys))
                for (p, pair) in layer { #expect(result.layers[l][p]?.a == pair.a && result.layers[l][p]?.b == pair.b, "layer \(l) \(p)") }
            }
        }
        // Our PEFT folder is PEFT's own layout: the hand-written fixture's reader-independent names.
        let safetensors = try SafeTensorsFile(path: bases.dir + "/back/adapter_model.safetensors")
        #expect(Set(safetensors.names) == Set(PEFTFixture(pairs, rank: rank, alpha: 8).tensors.keys))
        #expect(safetensors.info(PEFTFixture.name(0, .k, "B"))?.shape == [bases.config.kvDim, rank])
    }

    @Test func peftConfigIsCompleteForPEFT() throws {
        let bases = try TinyBases(seed: 36)
        var pairs = bases.tiny.randomLoRA([.q, .v], rank: rank, seed: 6)
        pairs[0] = [:]
        let weights = AdapterWeights(rank: rank, alpha: 0.1, layers: pairs, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct")
        try AdapterFile.write(weights, format: .peft, to: bases.dir + "/a", config: bases.config)
        let data = try Data(contentsOf: URL(fileURLWithPath: bases.dir + "/a/adapter_config.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["peft_type"] as? String == "LORA" && json["task_type"] as? String == "CAUSAL_LM")
        #expect(json["r"] as? Int == rank && json["lora_alpha"] as? Double == 0.1 && json["bias"] as? String == "none")
        #expect(json["target_modules"] as? [String] == ["q_proj", "v_proj"])
        #expect(json["layers_to_transform"] as? [Int] == [1])
        #expect(json["base_model_name_or_path"] as? String == "HuggingFaceTB/SmolLM2-135M-Instruct")
        // And it reads back: only layer 1 adapted.
        let back = try AdapterFile.load(path: bases.dir + "/a", config: bases.config)
        #expect(back.layers[0].isEmpty && Set(back.layers[1].keys) == [.q, .v])
    }

    /// Different projections in different layers (as a GGUF file may have them) become a PEFT
    /// target_modules regular expression.
    @Test func perLayerProjectionsRoundTripThroughPEFT() throws {
        let bases = try TinyBases(seed: 38)
        var pairs = bases.tiny.randomLoRA([.q, .gate], rank: rank, seed: 9)
        pairs[1] = bases.tiny.randomLoRA([.v], rank: rank, seed: 10)[1]
        let path = bases.dir + "/mixed.gguf"
        try GGUFFixture(pairs, rank: rank, alpha: 3, config: bases.config).write(to: path)
        try AdapterFile.write(try AdapterFile.load(path: path, config: bases.config), format: .peft, to: bases.dir + "/mixed", config: bases.config)
        let data = try Data(contentsOf: URL(fileURLWithPath: bases.dir + "/mixed/adapter_config.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["target_modules"] as? String == #"model\.layers\.(0\.(self_attn\.q_proj|mlp\.gate_proj)|1\.(self_attn\.v_proj))"#)
        let back = try AdapterFile.load(path: bases.dir + "/mixed", config: bases.config)
        #expect(Set(back.layers[0].keys) == [.q, .gate] && Set(back.layers[1].keys) == [.v])
        try expectMergedLogits(bases, adapterAt: bases.dir + "/mixed", pairs: pairs, scale: 1)
    }

    /// A second write replaces the folder whole (the old tensors are gone), and leaves no temporary files.
    @Test func writingAgainReplacesTheFolder() throws {
        let bases = try TinyBases(seed: 37)
        let folder = bases.dir + "/adapter"
        let first = AdapterWeights(rank: rank, alpha: 4, layers: bases.tiny.randomLoRA(Projection.allCases, rank: rank, seed: 7))
        try AdapterFile.write(first, format: .peft, to: folder, config: bases.config)
        let second = AdapterWeights(rank: rank, alpha: 4, layers: bases.tiny.randomLoRA([.o], rank: rank, seed: 8))
        try AdapterFile.write(second, format: .peft, to: folder + "/", config: bases.config)
        #expect(try AdapterFile.load(path: folder, config: bases.config).targets == [.o])
        #expect(try FileManager.default.contentsOfDirectory(atPath: bases.dir).filter { $0.hasPrefix("adapter") } == ["adapter"])
    }
}
