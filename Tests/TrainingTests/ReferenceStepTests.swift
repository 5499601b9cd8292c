import Foundation
import Testing
import TestSupport
import Adapters
import Llama
import ModelFormats
@testable import Training

/// One LoRA step on the default model against transformers + PEFT (float32, the same Q4_1
/// weights dequantised): r = 8, alpha = 16 on q/v, B = 0, a 4 × 256 batch, AdamW with lr 1e-3,
/// weight decay 0.01, no clipping (../shared/testdata/reference/train-qv-step0). In float32 and
/// with the frozen products in 16-bit integers (where the CPU has them), whose rounding adds
/// noise of about the size of float32's own: measured worst B-gradient error 1.1e-3 in float32,
/// 1.4e-3 with integers, and a first AdamW step at most 2.8e-7 from PyTorch's where |g| > 1e-5.
@Suite struct ReferenceStepTests {
    static let folder = "reference/train-qv-step0"

    func peftAdapter(_ folder: String, config: LlamaConfig) throws -> AdapterWeights {
        try AdapterFile.load(path: Repo.testdata + "/" + Self.folder + "/" + folder, config: config)
    }

    @Test(arguments: [false, true])
    func oneStepMatchesPyTorchAndPEFT(integerProducts: Bool) throws {
        let gguf = try GGUFFile(path: Repo.defaultModel)
        let config = try LlamaConfig(gguf: gguf)
        let model = LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config))
        let reference = try Repo.json(Self.folder + "/batch0.json")
        let examples = (reference["input_ids"] as! [[Int]]).map { TrainingExample(tokens: $0) }
        let lora = LoRAConfiguration(rank: 8, alpha: 16, targets: [.q, .v])
        let configuration = TrainingConfiguration(lora: lora, learningRate: 1e-3, weightDecay: 0.01, maxGradientNorm: nil,
                                                  microBatchSize: 4, maxSequenceLength: 256, integerProducts: integerProducts)
        let trainer = try Trainer(model: model, configuration: configuration,
                                  parent: try peftAdapter("adapter-init", config: config))
        let report = try trainer.step([examples])
        #expect(abs(Double(report.loss) - (reference["loss_step0"] as! Double)) < 1e-4)

        // Gradients: two float32 implementations agree to about 1e-5 on logits; summing 1,020
        // tokens' contributions of both signs into one gradient amplifies that (measured: 1e-4 to
        // 3e-4 typical, 1.1e-3 at worst, in the top layers whose gradients are smallest).
        let names = (0..<config.layerCount).flatMap { l in [Projection.q, .v].map { (l, $0, "base_model.model.model.layers.\(l).\($0.huggingFacePath)") } }
        let want = try Repo.npz(Self.folder + "/grads_step0.npz")
        let grads = trainer.parameters.adapterWeights(gradients: true)
        var worst = 0.0
        for (l, p, prefix) in names {
            let a = want[prefix + ".lora_A.default.weight"]!.values, b = want[prefix + ".lora_B.default.weight"]!.values
            #expect(a.allSatisfy { $0 == 0 } && grads.layers[l][p]!.a.allSatisfy { $0 == 0 }, "B = 0 gives A no gradient")
            worst = max(worst, relativeError(grads.layers[l][p]!.b, b.map(Double.init)))
        }
        #expect(worst < 3e-3, "worst relative error of a B gradient: \(worst)")

        // AdamW: the reference gradients through our optimiser give the reference adapter.
        let before = try peftAdapter("adapter-init", config: config)
        let after = try peftAdapter("adapter-after-step1", config: config)
        func flat(_ a: AdapterWeights) -> [Float] { names.flatMap { a.layers[$0.0][$0.1]!.a + a.layers[$0.0][$0.1]!.b } }
        let referenceGradients = names.flatMap { want[$0.2 + ".lora_A.default.weight"]!.values + want[$0.2 + ".lora_B.default.weight"]!.values }
        var stepped = flat(before)
        var optimizer = AdamW(count: stepped.count, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01)
        optimizer.update(&stepped, referenceGradients, range: stepped.indices, lr: 1e-3, step: 1)
        #expect(zip(stepped, flat(after)).allSatisfy { abs($0 - $1) < 1e-9 })

        // The trainer's own step: the first AdamW step moves each B value by lr·g / (|g| + eps), so
        // where |g| > 1e-5 the gradient's small differences change it by less than 1e-7; A only decays.
        let got = flat(trainer.adapterWeights())
        let settled = zip(got, flat(after)).enumerated().filter { abs(referenceGradients[$0.offset]) > 1e-5 || referenceGradients[$0.offset] == 0 }.map(\.element)
        let tolerance: Float = integerProducts && model.weights.layers[0].q.hasIntegerProducts ? 5e-7 : 1e-7
        #expect(settled.count > got.count / 3 && settled.allSatisfy { abs($0 - $1) < tolerance })
    }
}
