import Foundation
import Testing
import TestSupport
import Llama
import ModelFormats
import TensorKernels
import Training

/// The throughput measurement of the issue: the default model, LoRA r = 8 on q/v, 4 × 256
/// tokens a step, two threads. Runs only when LOREKEEPER_TRAINING_BENCH is set (to the
/// number of timed steps); prints tokens/s and memory. LOREKEEPER_TRAINING_THREADS changes the
/// thread count (one thread's tokens per processor-second hardly depend on other load).
@Suite struct TrainingBenchTests {
    static let steps = ProcessInfo.processInfo.environment["LOREKEEPER_TRAINING_BENCH"].flatMap { Int($0) }
    static let threads = ProcessInfo.processInfo.environment["LOREKEEPER_TRAINING_THREADS"].flatMap { Int($0) } ?? 2

    @Test(.enabled(if: steps != nil)) func defaultModelThroughput() throws {
        let gguf = try GGUFFile(path: Repo.defaultModel)
        let config = try LlamaConfig(gguf: gguf)
        let model = LlamaModel(config: config, weights: try LlamaWeights(gguf: gguf, config: config), pool: ComputePool(threads: Self.threads))
        let checkpointing = ProcessInfo.processInfo.environment["LOREKEEPER_TRAINING_CHECKPOINTING"] != nil
        let configuration = TrainingConfiguration(lora: LoRAConfiguration(rank: 8, alpha: 16, targets: [.q, .v]),
                                                  activationCheckpointing: checkpointing, microBatchSize: 4, maxSequenceLength: 256)
        let r = try TrainingBench.run(model: model, configuration: configuration, steps: Self.steps!)
        let steps = r.stepSeconds.map { String(format: "%.2f", $0) }.joined(separator: " ")
        print(String(format: "training: %.1f tokens/s (best step %.1f; steps %@ s), %.1f tokens per processor-second, activations %.0f MB, peak RSS %.0f MB, checkpointing %@",
                     r.tokensPerSecond, Double(r.tokensPerStep) / r.stepSeconds.min()!, steps, Double(r.tokensPerStep * r.stepSeconds.count) / r.cpuSeconds, Double(r.activationBytes) / 1e6, Double(r.peakResidentBytes) / 1e6, "\(checkpointing)"))
    }
}
