import ArgumentParser
import Foundation
import Inference
import Sampling
import Tokenizers

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate a completion and print it.")

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var productOptions: ProductOptions

    @OptionGroup var adapterOptions: AdapterOptions

    @Option(help: "The prompt text.")
    var prompt: String

    @Flag(help: "Wrap the prompt in the model's chat template as a user message.")
    var chat = false

    @Option(help: "System message (with --chat).")
    var system: String?

    @Option(help: "Maximum tokens to generate.")
    var maxTokens = 256

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0.8

    @Option(help: "Nucleus sampling probability mass.")
    var topP: Float = 0.95

    @Option(help: "Keep only the K most likely tokens (0 = off).")
    var topK = 40

    @Option(help: "Drop tokens less likely than min-p times the most likely one.")
    var minP: Float = 0.05

    @Option(help: "Repetition penalty (1 = off).")
    var repeatPenalty: Float = 1

    @Option(help: "Random seed (same seed and prompt give the same text).")
    var seed: UInt64?

    @Option(name: .customLong("stop"), help: "A stop string (repeatable).")
    var stops: [String] = []

    @Option(help: "Context length in tokens (default: the model's).")
    var ctx: Int?

    @Flag(help: "Keep generating past end-of-generation tokens.")
    var ignoreEos = false

    @Flag(help: "Print the generated token ids as a JSON list instead of the text.")
    var tokenIds = false

    func run() throws {
        try runReportingErrors {
            let loaded = try LoadedModel.load(path: modelOptions.model, chatTemplate: modelOptions.chatTemplate, threads: modelOptions.threads, integerProducts: productOptions.integerProducts)
            var messages = [ChatMessage]()
            if let system { messages.append(ChatMessage(role: "system", content: system)) }
            messages.append(ChatMessage(role: "user", content: prompt))
            let ids = chat ? try loaded.chatPrompt(messages) : loaded.textPrompt(prompt)
            let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                              repetitionPenalty: repeatPenalty, seed: seed)
            let options = GenerationOptions(maxTokens: maxTokens, sampling: sampling, stop: stops, ignoreEndOfGeneration: ignoreEos)
            let adapter = try adapterOptions.load(model: loaded.model)
            let state = try Generator(model: loaded).generate(prompt: ids, options: options, contextLength: ctx, adapter: adapter) { step in
                if !tokenIds { FileHandle.standardOutput.write(Data(step.text.utf8)) }
                return true
            }
            print(tokenIds ? "[" + state.generated.map(String.init).joined(separator: ", ") + "]" : "")
        }
    }
}

/// Runs `body`, turning any error into a one-line message on stderr and exit status 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as any ExitCodeOrValidation {
        throw e
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

/// ArgumentParser's own errors keep their usual presentation.
protocol ExitCodeOrValidation: Error {}
extension ExitCode: ExitCodeOrValidation {}
extension ValidationError: ExitCodeOrValidation {}
