import Adapters
import ArgumentParser
import Foundation
import Inference
import Training
import TrainingData

struct Gradients: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One forward and backward pass from an adapter: the loss and every gradient, for comparison with a reference.",
        discussion: """
        Takes the first --batch examples of --data in file order (no shuffling, no dropout), prints JSON \
        {"loss", "tokens": [[ids]], "loss_mask": [[0|1]], "integer_products"} and writes the gradients of every lora_A and lora_B \
        (or of a prompt- or prefix-tuning adapter's prompt_embeddings) to --out as a PEFT folder (the gradient in place of each tensor).
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "A PEFT adapter folder or GGUF adapter: the point the gradients are taken at.")
    var adapter: String

    @Option(help: "A training file (.txt, .md or .jsonl).")
    var data: String

    @Option(help: "Examples in the batch.")
    var batch = 4

    @Option(help: "Tokens per sequence.")
    var seqLen = 256

    @Option(help: "The folder to write the gradients to, laid out as a PEFT adapter.")
    var out: String

    @OptionGroup var productOptions: ProductOptions

    func run() throws {
        try runReportingErrors {
            guard batch > 0 else { throw ValidationError("--batch must be positive") }
            let loaded = try LoadedModel.load(path: modelOptions.model, chatTemplate: modelOptions.chatTemplate, threads: modelOptions.threads)
            let weights = try AnyAdapter.load(path: adapter, config: loaded.config)
            var configuration = TrainingConfiguration(microBatchSize: batch, maxSequenceLength: seqLen, integerProducts: productOptions.integerProducts)
            switch weights {
            case let .lora(lora): configuration.lora = LoRAConfiguration(shapeOf: lora)
            case let .promptLearning(p): configuration.virtualTokens = VirtualTokenConfiguration(kind: p.method, count: p.virtualTokens)
            }
            let loader = TrainingDataLoader(tokenizer: loaded.tokenizer, chatTemplate: loaded.chatTemplate, sequenceLength: seqLen)
            let examples = Array(try loader.load([data]).examples.prefix(batch))
            let trainer = try Trainer(model: loaded.model, configuration: configuration, parent: weights)
            let (loss, gradients) = try trainer.lossAndGradients(examples)
            try gradients.write(to: out, config: loaded.config)
            let report: [String: Any] = ["loss": Double(loss), "tokens": examples.map(\.tokens), "loss_mask": examples.map { $0.lossMask.map { $0 ? 1 : 0 } },
                                         "integer_products": productOptions.runInIntegers(loaded.model)]
            print(String(decoding: try JSONSerialization.data(withJSONObject: report), as: UTF8.self))
        }
    }
}
