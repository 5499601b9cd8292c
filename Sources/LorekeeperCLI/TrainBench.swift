import ArgumentParser
import Foundation
import Inference
import Training

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Measure LoRA training speed on random full-length sequences; prints JSON.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "LoRA rank.")
    var rank = 8

    @Option(help: "Adapted projections, comma-separated (q_proj,...), or all.")
    var targets = "q_proj,v_proj"

    @Option(help: "Sequences per step.")
    var batch = 4

    @Option(help: "Tokens per sequence.")
    var seqLen = 256

    @Option(help: "Timed steps (after one untimed warm-up step).")
    var steps = 5

    @Flag(help: "Recompute each layer's activations in the backward pass.")
    var activationCheckpointing = false

    @OptionGroup var productOptions: ProductOptions

    func run() throws {
        try runReportingErrors {
            guard rank > 0, batch > 0, seqLen > 1, steps > 0 else { throw ValidationError("--rank, --batch, --steps must be positive, --seq-len above 1") }
            let loaded = try LoadedModel.load(path: modelOptions.model, threads: modelOptions.threads)
            let configuration = TrainingConfiguration(
                lora: LoRAConfiguration(rank: rank, alpha: Float(2 * rank), targets: try Train.parseTargets(targets)),
                activationCheckpointing: activationCheckpointing, microBatchSize: batch, maxSequenceLength: seqLen,
                integerProducts: productOptions.integerProducts)
            let r = try TrainingBench.run(model: loaded.model, configuration: configuration, steps: steps)
            let report: [String: Any] = [
                "model": loaded.id, "threads": loaded.model.pool.threads, "rank": rank, "targets": targets,
                "batch": batch, "seq_len": seqLen, "activation_checkpointing": activationCheckpointing,
                "integer_products": productOptions.runInIntegers(loaded.model),
                "tokens_per_second": (r.tokensPerSecond * 10).rounded() / 10,
                "best_step_tokens_per_second": (Double(r.tokensPerStep) / r.stepSeconds.min()! * 10).rounded() / 10,
                // All threads' processor time: steadier than wall time when other processes share the cores.
                "tokens_per_cpu_second": (Double(r.tokensPerStep * r.stepSeconds.count) / r.cpuSeconds * 10).rounded() / 10,
                "step_seconds": r.stepSeconds.map { ($0 * 1000).rounded() / 1000 },
                "activation_mb": r.activationBytes / 1_000_000, "peak_rss_mb": r.peakResidentBytes / 1_000_000,
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
