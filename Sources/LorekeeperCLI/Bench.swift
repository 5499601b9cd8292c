import ArgumentParser
import Foundation
import Inference
import Llama
import TensorKernels

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure prefill and decode speed; prints JSON.")

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var productOptions: ProductOptions

    @Option(help: "Prompt length in tokens.")
    var promptTokens = 512

    @Option(help: "Tokens to generate.")
    var genTokens = 128

    @Option(help: "Sequences decoding together in one batch.")
    var parallel = 1

    @Option(help: "Repetitions (the best is reported).")
    var repetitions = 3

    @Option(help: "Tokens of context before each test, as llama-bench's -d: the prompt is prefilled after them and decoding starts after them (without it, decoding continues after the prompt).")
    var depth: Int?

    func run() throws {
        try runReportingErrors {
            guard promptTokens > 0, genTokens > 0, parallel > 0, repetitions > 0 else {
                throw ValidationError("--prompt-tokens, --gen-tokens, --parallel and --repetitions must be positive")
            }
            guard (depth ?? 0) >= 0 else { throw ValidationError("--depth must not be negative") }
            let context = depth ?? 0
            let loadStart = Date()
            let loaded = try LoadedModel.load(path: modelOptions.model, threads: modelOptions.threads, integerProducts: productOptions.integerProducts)
            let loadSeconds = Date().timeIntervalSince(loadStart)
            let model = loaded.model
            // A fixed pseudo-random prompt, as llama-bench does.
            var state: UInt64 = 42
            let prompt = (0..<context + promptTokens).map { _ -> Int in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int(state >> 33) % model.config.vocabSize
            }
            var bestPrefill = 0.0, bestDecode = 0.0, leastDecodeCPU = Double.infinity
            for _ in 0..<repetitions {
                let caches = (0..<parallel).map { _ in model.makeCache(maxTokens: context + promptTokens + genTokens + 1) }
                var logits = [Float]()
                func prefill(_ range: Range<Int>) throws {
                    for cache in caches {
                        for s in stride(from: range.lowerBound, to: range.upperBound, by: Generator.prefillChunk) {
                            logits = try model.forward([.init(cache: cache, tokens: Array(prompt[s..<min(range.upperBound, s + Generator.prefillChunk)]))])
                        }
                    }
                }
                try prefill(0..<context)
                var start = Date()
                try prefill(context..<context + promptTokens)
                bestPrefill = max(bestPrefill, Double(promptTokens * parallel) / Date().timeIntervalSince(start))
                if depth != nil { for cache in caches { cache.truncate(to: context) } }
                start = Date()
                let cpuStart = ProcessUsage.current().cpuSeconds
                var next = Array(repeating: argmax(logits), count: parallel)
                for _ in 0..<genTokens {
                    logits = try model.forward(zip(caches, next).map { .init(cache: $0, tokens: [$1]) })
                    let vocab = model.config.vocabSize
                    next = (0..<parallel).map { argmax(logits[$0 * vocab..<($0 + 1) * vocab]) }
                }
                bestDecode = max(bestDecode, Double(genTokens * parallel) / Date().timeIntervalSince(start))
                leastDecodeCPU = min(leastDecodeCPU, (ProcessUsage.current().cpuSeconds - cpuStart) / Double(genTokens * parallel))
            }
            // Each decode step reads every layer's matrices and the output matrix once (and one embedding row).
            let weights = model.weights
            let stepBytes = weights.layers.reduce(weights.output.tensor.byteCount) { sum, l in
                [l.q, l.k, l.v, l.o, l.gate, l.up, l.down].reduce(sum) { $0 + $1.tensor.byteCount }
            }
            let report: [String: Any] = [
                "model": loaded.id, "threads": model.pool.threads, "parallel": parallel,
                "load_seconds": (loadSeconds * 1000).rounded() / 1000,
                "prompt_tokens": promptTokens, "decode_depth": depth ?? promptTokens, "prefill_tokens_per_second": (bestPrefill * 10).rounded() / 10,
                "gen_tokens": genTokens, "decode_tokens_per_second": (bestDecode * 10).rounded() / 10,
                // All threads' CPU time (spinning included): unlike tokens per second, barely moved by other processes.
                "decode_cpu_ms_per_token": (leastDecodeCPU * 1e4).rounded() / 10,
                // Weight bytes streamed per second while decoding: compare with bench/read_bandwidth.sh.
                "decode_weight_gb_per_second": (Double(stepBytes) * bestDecode / Double(parallel) / 1e8).rounded() / 10,
                "instruction_set": InstructionSet.current.description, "integer_products": model.integerProducts,
                "peak_rss_mb": ProcessUsage.current().peakResidentBytes / 1_048_576,
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private func argmax(_ x: some Collection<Float>) -> Int {
        var best = -Float.infinity, index = 0
        for (i, v) in x.enumerated() where v > best { best = v; index = i }
        return index
    }
}
