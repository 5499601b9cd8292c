import ArgumentParser
import Foundation
import Inference

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the token ids of a text, space separated.")

    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Prepend the BOS token.")
    var bos = false

    @Option(help: "The text (default: read standard input).")
    var text: String?

    func run() throws {
        try runReportingErrors {
            let input = text ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let loaded = try LoadedModel.load(path: modelOptions.model, chatTemplate: modelOptions.chatTemplate, threads: modelOptions.threads)
            print(loaded.tokenizer.encode(input, addBOS: bos).map(String.init).joined(separator: " "))
        }
    }
}
