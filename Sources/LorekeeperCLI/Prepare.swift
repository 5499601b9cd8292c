import ArgumentParser
import FineTuning
import Foundation
import Inference
import KnowledgePreparation
import ModelFormats
import Training

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the training set that knowledge preparation derives from documents, as chat JSONL.",
        discussion: """
        Each .txt/.md document becomes fact views ({"passage": ...}: sentence windows, reordered paragraphs), \
        synthesised questions and "Tell me about" overviews ({"messages": [...]}, loss on the answer), each line \
        with its "kind" and "generator"; then general-instruction examples answered by the base model itself. \
        Read or correct the file, then train on it with `lorekeeper train --data FILE` (it is not prepared again).
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("data"), help: "A .txt or .md document (repeat for several).")
    var data: [String] = []

    @Option(help: "The prepared JSONL file to write.")
    var out: String

    @Option(help: "General-instruction examples per prepared example (0: none).")
    var generalShare = PreparationSettings.defaultGeneralShare

    @Flag(help: "Rules only: do not let a large enough model write questions too.")
    var noModelQuestions = false

    @Option(help: "Tokens per training sequence, as `train --seq-len`: a grounded question that would not fit is asked plain.")
    var seqLen = TrainingConfiguration.defaultMaxSequenceLength

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give at least one --data document") }
        if let other = data.first(where: { !["txt", "md"].contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }) {
            throw ValidationError("\(other) is not a .txt or .md document")
        }
        guard (0...1).contains(generalShare) else { throw ValidationError("--general-share must be in [0, 1]") }
    }

    func run() throws {
        try runReportingErrors {
            let loaded = try LoadedModel.load(path: modelOptions.model, chatTemplate: modelOptions.chatTemplate, threads: modelOptions.threads)
            let settings = PreparationSettings(generalShare: generalShare, modelWrittenQuestions: !noModelQuestions)
            let examples = try DocumentPreparation(model: loaded).examples(documents: data, settings: settings, sequenceLength: seqLen)
            let writer = try AtomicFileWriter(path: out)
            try writer.write(PreparedExample.jsonl(examples))
            try writer.commit()
            let counts = PreparedExample.counts(examples).sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            print("wrote \(out): \(examples.count) examples (\(counts.joined(separator: ", ")))")
        }
    }
}
