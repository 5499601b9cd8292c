import ArgumentParser
import Foundation
import Inference

struct Logits: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the top logits of the last position as JSON {\"ids\":[…],\"logits\":[…]}.")

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var adapterOptions: AdapterOptions

    @Option(help: "Comma-separated token ids.")
    var tokens: String

    @Option(help: "How many of the largest logits to print.")
    var top = 20

    @Flag(help: "Multiply in integers as generation does (inputs rounded to 16 bits), not in float32 (the reference numbers).")
    var integerProducts = false

    func run() throws {
        try runReportingErrors {
            let ids = try tokens.split(separator: ",").map { part -> Int in
                guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--tokens: '\(part)' is not a token id") }
                return id
            }
            guard !ids.isEmpty else { throw ValidationError("--tokens is empty") }
            guard top > 0 else { throw ValidationError("--top must be positive") }
            let loaded = try LoadedModel.load(path: modelOptions.model, threads: modelOptions.threads, integerProducts: integerProducts)
            let adapter = try adapterOptions.load(model: loaded.model)
            let cache = try loaded.model.makeCache(maxTokens: ids.count + (adapter?.prefix?.count ?? 0), adapter: adapter)
            var logits = [Float]()
            for start in stride(from: 0, to: ids.count, by: Generator.prefillChunk) {
                let chunk = Array(ids[start..<min(ids.count, start + Generator.prefillChunk)])
                logits = try loaded.model.forward([.init(cache: cache, tokens: chunk, adapter: adapter)])
            }
            let best = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(top)
            let json: [String: Any] = ["ids": Array(best), "logits": best.map { Double(logits[$0]) }]
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
