import ArgumentParser
import Foundation
import Inference

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the token ids of a text, space separated (the model's weights are not read).")

    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Prepend the BOS token.")
    var bos = false

    @Option(help: "The text (default: read standard input).")
    var text: String?

    func run() throws {
        try runReportingErrors {
            let input = text ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            // The vocabulary alone: a vocabulary-only GGUF (llama.cpp's ggml-vocab-*.gguf) tokenizes too.
            let tokenizer = try LoadedModel.tokenizer(path: modelOptions.model)
            print(tokenizer.encode(input, addBOS: bos).map(String.init).joined(separator: " "))
        }
    }
}
