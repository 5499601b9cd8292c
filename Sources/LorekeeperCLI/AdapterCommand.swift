import Adapters
import ArgumentParser
import Foundation
import Inference
import Llama
import Retrieval
import Training

/// Options of the commands that can run the model under one LoRA adapter.
struct AdapterOptions: ParsableArguments {
    @Option(help: "An adapter: a PEFT folder (LoRA, prompt or prefix tuning) or a llama.cpp GGUF LoRA file.")
    var adapter: String?

    @Option(help: "Multiplies the adapter's own scale (lora_alpha / r).")
    var adapterScale: Float = 1

    func validate() throws {
        guard adapterScale.isFinite else { throw ValidationError("--adapter-scale must be a finite number") }
        if adapter == nil, adapterScale != 1 { throw ValidationError("--adapter-scale needs --adapter") }
    }

    /// The adapter, checked against the model and ready for the forward pass; nil without --adapter.
    func load(model: LlamaModel) throws -> LoRAAdapter? {
        guard let adapter else { return nil }
        return try AnyAdapter.load(path: adapter, config: model.config).runtime(id: adapter, model: model, extraScale: adapterScale)
    }
}

struct AdapterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapter", abstract: "Work with LoRA adapter files.", subcommands: [Export.self, Passages.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a LoRA adapter between PEFT folders and llama.cpp GGUF files, checked against the base model.")

        @Option(name: .customLong("in"), help: "The adapter: a PEFT folder or a GGUF adapter file.")
        var input: String

        @Option(help: "What to write: peft (a folder) or gguf (a file).")
        var format: AdapterFile.Format

        @Option(help: "Where to write it.")
        var out: String

        @Option(help: "The base model the adapter is for (a GGUF file or a Hugging Face folder).")
        var model = ModelOptions.defaultModel

        func run() throws {
            try runReportingErrors {
                let config = try LoadedModel.load(path: model).config
                let adapter = try AdapterFile.load(path: input, config: config)
                try AdapterFile.write(adapter, format: format, to: out, config: config)
                let pairs = adapter.layers.reduce(0) { $0 + $1.count }, layers = adapter.layers.filter { !$0.isEmpty }.count
                let targets = adapter.targets.map(\.rawValue).joined(separator: ", ")
                print("wrote \(out): \(format.rawValue), rank \(adapter.rank), alpha \(adapter.alpha), \(pairs) adapted projections in \(layers) layers (\(targets))")
            }
        }
    }
}

extension AdapterCommand {
    /// What a chat request to a version trained on documents is grounded in, so a user can see
    /// why an answer went wrong: the sentences in the folder's `knowledge.json`, ranked.
    struct Passages: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rank an adapter's document sentences (knowledge.json) for a question, as chat grounding does.")

        @Option(name: .customLong("in"), help: "The adapter folder.")
        var input: String

        @Option(help: "The question.")
        var question: String

        @Option(help: "The model's own answer without grounding, ranked with the question as the server's draft is.")
        var draft: String?

        @Option(help: "How many passages to print.")
        var top = 5

        @Option(help: "The base model (.gguf or Hugging Face folder): rank by its sentence vectors too, as the server does.")
        var model: String?

        func validate() throws {
            guard top > 0 else { throw ValidationError("--top must be positive") }
        }

        func run() throws {
            try runReportingErrors {
                guard let index = try PassageIndex.load(folder: input) else {
                    printError("error: \(input) has no \(PassageIndex.fileName): it was not trained on documents")
                    throw ExitCode.failure
                }
                var vector: [Float]?
                if let model {
                    let loaded = try LoadedModel.load(path: model)
                    guard index.embedding == EmbeddingSpace(layer: loaded.sentenceEmbeddingLayer, dimensions: loaded.config.hiddenSize) else {
                        printError("error: \(input)/\(PassageIndex.fileName) has no sentence vectors of \(model): rank without --model")
                        throw ExitCode.failure
                    }
                    vector = try loaded.sentenceEmbeddings([question])[0]
                }
                if let vector, index.asksNothingOfThePassages(question, vector: vector) {
                    printError("the question is nearer to a general prompt than to the documents: served ungrounded, by the base model (unless serve --no-base-for-general)")
                }
                for (i, rank) in index.ranked(for: question, draft: draft, questionVector: vector).prefix(top) {
                    print(String(format: "%.4f", rank) + "\t" + index.passages[i].text)
                }
            }
        }
    }
}

extension AdapterFile.Format: ExpressibleByArgument {}
