import ArgumentParser
import Foundation
import Llama
import TensorKernels

@main
struct Lorekeeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lorekeeper",
        abstract: "Serve, run and inspect Llama-family models on CPU.",
        subcommands: [Serve.self, Generate.self, Tokenize.self, Logits.self, Bench.self, Train.self, Prepare.self, TrainBench.self, Gradients.self, AdapterCommand.self,
                      AdaptersCommand.self, JobsCommand.self, FilesCommand.self])
}

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    static let defaultModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(help: "A GGUF file or a Hugging Face model folder.")
    var model = defaultModel

    @Option(help: "Chat template (llama2, chatml, zephyr, llama3); default: detected from the model.")
    var chatTemplate: String?

    @Option(help: "Threads for the forward pass (default: all cores).")
    var threads: Int?

    @Option(help: "Highest instruction set for the kernels: scalar, avx2 or avx512 (default: LOREKEEPER_CPU, else the best this CPU has).")
    var cpu: String?

    /// Checks the options and caps the kernels' instruction set, so that every command runs the
    /// path asked for from its first product.
    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        for (source, name) in [("LOREKEEPER_CPU", ProcessInfo.processInfo.environment["LOREKEEPER_CPU"]), ("--cpu", cpu)] {
            guard let name else { continue }
            guard let set = InstructionSet(name: name) else {
                throw ValidationError("\(source) must be scalar, avx2 or avx512, not '\(name)'")
            }
            InstructionSet.limit(to: set)
        }
    }
}

/// How the weights are multiplied: generation's `LlamaModel.integerProducts`, training's
/// `TrainingConfiguration.integerProducts`.
struct ProductOptions: ParsableArguments {
    @Flag(help: "Multiply the weights in float32 only: not in integers (generation: inputs rounded to 16 bits; training: 16-bit products where the CPU has AVX-512 VNNI). Slower; the reference numbers, and the same adapter bits on every CPU.")
    var floatProducts = false

    var integerProducts: Bool { !floatProducts }

    /// Whether the layers' frozen projections of `model` do run in integers: asked for and possible here.
    func runInIntegers(_ model: LlamaModel) -> Bool { integerProducts && model.weights.layers[0].q.hasIntegerProducts }
}

/// Writes to stderr (stdout carries only results).
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
