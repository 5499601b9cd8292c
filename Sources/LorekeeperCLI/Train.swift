import ArgumentParser
import Dispatch
import FineTuning
import Foundation
import Inference
import KnowledgePreparation
import Llama
import Tokenizers
import Training
import TrainingData

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a LoRA, prompt-tuning or prefix-tuning adapter, or the whole model, on text or chat data; writes a PEFT adapter folder (or the model as model.gguf) with training.json.",
        discussion: """
        Data: .txt/.md documents (prepared into knowledge examples, see `lorekeeper prepare`; with \
        --no-prepare, loss on every token) and .jsonl files of {"messages": [...]} or \
        {"prompt": ..., "completion": ...} lines (loss on the answers only). One progress line per step \
        goes to stderr. Ctrl-C (or SIGTERM) saves the run so far; --resume continues it.
        """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("data"), help: "A training file (repeat for several).")
    var data: [String] = []

    @Option(name: .customLong("val-data"), help: "A validation file (repeat for several).")
    var validationData: [String] = []

    @Option(name: .customLong("val-fraction"), help: "Hold out this fraction of the training examples for validation.")
    var validationFraction = 0.0

    @Option(help: "The output adapter folder.")
    var out: String

    @Option(help: "Start from this adapter folder (its rank, alpha and targets are kept; shape options, if given, must match).")
    var parent: String?

    @Flag(help: "Also take over the parent run's optimiser state.")
    var parentOptimizerState = false

    @Option(help: "Train this fraction of the parent's training data again (needs its training.json); default 1 with --parent, else 0.")
    var replay: Double?

    @Flag(help: "Train .txt/.md documents as plain text windows, without knowledge preparation.")
    var noPrepare = false

    @Option(help: "General-instruction replay examples per prepared example (0: none).")
    var generalShare = PreparationSettings.defaultGeneralShare

    @Flag(help: "Train the general replay on its answers' tokens, not on the base model's distributions along them.")
    var noGeneralDistillation = false

    @Option(help: "Keep each document's prepared examples in this folder as <sha256>.prepared.jsonl (and reuse them).")
    var preparedDir: String?

    @Option(help: "What to train: lora (low-rank matrices beside the projections), prompt (prompt tuning: virtual token embeddings in front of the input), prefix (prefix tuning: every layer's keys and values for virtual tokens) or full (every weight, in float32 from the dequantised base; writes <out>/model.gguf).")
    var method = TuningMethod.lora

    @Option(help: "Full fine-tuning: the written model's matrices in f16 or q8_0.")
    var outType = ModelOutputType.f16

    @Option(help: "Prompt and prefix tuning: the number of virtual tokens.")
    var virtualTokens = 20

    @Option(help: "Prompt tuning: start the virtual tokens from this text's token embeddings (default: random).")
    var initText: String?

    @Flag(help: "Prefix tuning: train the prefixes through PEFT's reparameterisation MLP (folded into the prefixes when saved).")
    var prefixProjection = false

    @Option(help: "Prefix tuning with --prefix-projection: the MLP's hidden width (default the key/value width).")
    var encoderHiddenSize: Int?

    @Option(help: "LoRA rank (default \(FineTuneConfiguration.defaultLoRA.rank), or the parent's).")
    var rank: Int?

    @Option(help: "LoRA alpha (default twice the rank, or the parent's).")
    var alpha: Float?

    @Flag(help: "rsLoRA scaling: alpha / sqrt(rank).")
    var rslora = false

    @Option(help: "Adapted projections, comma-separated: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj, or all (the default).")
    var targets: String?

    @Option(help: "LoRA dropout.")
    var dropout: Float = 0

    @Option(help: "Passes over the data (default: \(FineTuneConfiguration.defaultDocumentEpochs) where documents are prepared, at most \(FineTuneConfiguration.defaultMaxStepsPerWord) steps a word of them, else \(FineTuneConfiguration.defaultEpochs)).")
    var epochs: Int?

    @Option(help: "More epochs than --epochs when they would give fewer steps than this.")
    var minSteps = FineTuneConfiguration.defaultMinSteps

    @Option(help: "Stop after this many optimiser steps (instead of --epochs).")
    var maxSteps: Int?

    @Option(help: "Peak learning rate.")
    var lr = FineTuneConfiguration.defaultLearningRate

    @Option(help: "After warm-up: constant, linear or cosine (default: cosine when documents are prepared, else constant).")
    var schedule: LearningRateSchedule?

    @Option(help: "Warm-up steps.")
    var warmup = 2

    @Option(help: "AdamW decoupled weight decay.")
    var weightDecay: Float = 0

    @Option(help: "AdamW beta1.")
    var beta1: Float = 0.9

    @Option(help: "AdamW beta2.")
    var beta2: Float = 0.999

    @Option(help: "AdamW epsilon.")
    var eps: Float = 1e-8

    @Option(help: "Clip gradients to this global norm (0: no clipping).")
    var maxGradNorm: Float = 1

    @Option(help: "Layer i of L learns at lr * decay^(L-1-i) (1: off).")
    var layerDecay: Float = 1

    @Option(help: "Sequences per micro-batch.")
    var batch = 4

    @Option(help: "Micro-batches per optimiser step.")
    var gradAccum = 1

    @Option(help: "Tokens per sequence.")
    var seqLen = TrainingConfiguration.defaultMaxSequenceLength

    @Option(help: "Tokens each text window shares with the one before.")
    var overlap = 32

    @Option(help: "Conversations longer than --seq-len: truncate or reject.")
    var overLength = OverLengthPolicy.truncate

    @Flag(help: "Recompute each layer's activations in the backward pass (less memory, ~1/3 more compute).")
    var activationCheckpointing = false

    @OptionGroup var productOptions: ProductOptions

    @Option(help: "Seed of the initialisation, data order and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Save the output folder every N steps (0: only at the end).")
    var checkpointEvery = 0

    @Flag(help: "Continue the run saved in --out.")
    var resume = false

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give at least one --data file") }
        if let rank, rank < 1 { throw ValidationError("--rank must be positive") }
    }

    func run() throws {
        try runReportingErrors {
            let loaded = try LoadedModel.load(path: modelOptions.model, chatTemplate: modelOptions.chatTemplate, threads: modelOptions.threads)
            let fineTune = FineTune(model: loaded, configuration: try configuration(for: loaded.config, tokenizer: loaded.tokenizer), output: out)
            // SIGINT and SIGTERM save the run so far; a second one ends the process at once.
            let sources = [SIGINT, SIGTERM].map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                signal(number, SIG_IGN)
                source.setEventHandler {
                    printError("interrupted: saving the run (interrupt again to quit at once)")
                    signal(number, SIG_DFL)
                    fineTune.cancel()
                }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }
            let report: FineTuneReport
            do {
                report = try fineTune.run(resume: resume, events: Self.show)
            } catch is CancellationError {
                printError("cancelled; the run so far is in \(out): add --resume to continue it")
                throw ExitCode(130)
            }
            let last = report.steps.last.map { String(format: "final loss %.4f", $0.loss) } ?? "no steps"
            let validation = report.validation.last.map { String(format: ", validation loss %.4f", $0.loss) } ?? ""
            print(String(format: "wrote %@: %d steps, %@%@, %.0f tokens/s, %.1f s", out, report.completedSteps, last, validation,
                         report.tokensPerSecond, report.wallSeconds))
        }
    }

    func configuration(for config: LlamaConfig, tokenizer: Tokenizer) throws -> FineTuneConfiguration {
        var lora = FineTuneConfiguration.defaultLoRA, virtual: VirtualTokenConfiguration?
        if method == .full, parent != nil {
            throw ValidationError("--method full starts from the base model's weights: it takes no --parent")
        }
        let parentShape = try parent.map { try FineTune.parentShape(path: $0, config: config) }
        if let parentShape, parentShape.method != method {
            throw ValidationError("the parent adapter was trained with --method \(parentShape.method.rawValue): a child run keeps its parent's method")
        }
        if let kind = method.promptLearning {
            guard initText == nil || method == .prompt else { throw ValidationError("--init-text is for prompt tuning (--method prompt)") }
            guard !prefixProjection && encoderHiddenSize == nil || method == .prefix else {
                throw ValidationError("--prefix-projection and --encoder-hidden-size are for prefix tuning (--method prefix)")
            }
            guard parent == nil || initText == nil && !prefixProjection else {
                throw ValidationError("a child run starts from its parent's virtual tokens: --init-text and --prefix-projection do not apply")
            }
            if case let .virtualTokens(shape)? = parentShape, shape.count != virtualTokens {
                throw ValidationError("--virtual-tokens \(virtualTokens) differs from the parent adapter's \(shape.count): a child run keeps its parent's shape")
            }
            virtual = VirtualTokenConfiguration(kind: kind, count: virtualTokens,
                                                initialTokens: initText.map { tokenizer.encode($0) }, initialText: initText,
                                                projectionSize: prefixProjection ? encoderHiddenSize ?? config.kvDim : nil)
        } else if case let .lora(shape)? = parentShape {
            lora = shape
            // Given with --parent, the shape options must repeat the parent's.
            let given = [("--rank", rank.map { "\($0)" }, "\(lora.rank)"), ("--alpha", alpha.map { "\($0)" }, "\(lora.alpha)"),
                         ("--targets", try targets.map { try Self.parseTargets($0).map(\.rawValue).sorted().joined(separator: ",") },
                          lora.targets.map(\.rawValue).sorted().joined(separator: ","))]
            for case let (flag, value?, parentValue) in given where value != parentValue {
                throw ValidationError("\(flag) \(value) differs from the parent adapter's \(parentValue): a child run keeps its parent's shape")
            }
            if rslora != lora.useRSLoRA { throw ValidationError("--rslora must match the parent adapter (\(lora.useRSLoRA ? "on" : "off"))") }
        } else {
            if let rank { (lora.rank, lora.alpha) = (rank, Float(2 * rank)) }
            if let alpha { lora.alpha = alpha }
            lora.useRSLoRA = rslora
            if let targets { lora.targets = try Self.parseTargets(targets) }
        }
        lora.dropout = dropout
        let preparation = noPrepare ? PreparationSettings.off : PreparationSettings(generalShare: generalShare, distilGeneral: !noGeneralDistillation)
        let training = TrainingConfiguration(
            lora: lora, learningRate: lr, beta1: beta1, beta2: beta2, epsilon: eps, weightDecay: weightDecay,
            schedule: schedule ?? FineTuneConfiguration.defaultSchedule(data: data, preparation: preparation),
            warmupSteps: warmup, maxGradientNorm: maxGradNorm > 0 ? maxGradNorm : nil, gradientAccumulationSteps: gradAccum,
            layerDecay: layerDecay, activationCheckpointing: activationCheckpointing, microBatchSize: batch, maxSequenceLength: seqLen, seed: seed,
            integerProducts: productOptions.integerProducts, virtualTokens: virtual, full: method == .full)
        return FineTuneConfiguration(
            data: data, validationData: validationData, validationFraction: validationFraction, epochs: epochs ?? FineTuneConfiguration.defaultEpochs(data: data, preparation: preparation), minSteps: minSteps, maxSteps: maxSteps,
            maxStepsPerWord: epochs == nil ? FineTuneConfiguration.defaultMaxStepsPerWord : nil,
            overlap: overlap, overLength: overLength, parent: parent, parentOptimizerState: parentOptimizerState,
            replayFraction: replay ?? (parent == nil ? 0 : 1), checkpointEvery: checkpointEvery, training: training,
            preparation: preparation, preparedDirectory: preparedDir, modelType: outType)
    }

    static func parseTargets(_ list: String) throws -> Set<Projection> {
        if list == "all" { return Set(Projection.allCases) }
        return Set(try list.split(separator: ",").map { name in
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let p = Projection(rawValue: name) ?? Projection(rawValue: name + "_proj") else {
                throw ValidationError("unknown target '\(name)': expected \(Projection.allCases.map(\.rawValue).joined(separator: ", ")) or all")
            }
            return p
        })
    }

    static func show(_ event: FineTuneEvent) {
        switch event {
        case let .started(report):
            let d = report.data
            var line = "data: \(d.examples) examples, \(d.tokens) tokens (\(d.lossTokens) in the loss)"
            if d.truncated > 0 { line += ", \(d.truncated) conversations truncated" }
            if let p = report.preparation {
                line += "; prepared: " + p.examples.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            }
            if let r = report.replay { line += "; replaying \(r.examples) of the parent's examples" }
            if let v = report.validationData { line += "; validation: \(v.examples) examples" }
            printError(line)
            printError("\(report.totalSteps) steps (\(report.stepsPerEpoch) per epoch)"
                + (report.completedSteps > 0 ? ", resuming after step \(report.completedSteps)" : ""))
        case let .step(s, total, eta):
            printError(String(format: "step %d/%d  epoch %d  loss %.4f  lr %.2e  grad norm %.3f  %.0f tok/s  ETA %@",
                              s.step, total, s.epoch, s.loss, s.learningRate, s.gradientNorm, Double(s.tokens) / s.seconds, duration(eta)))
        case let .validated(v):
            printError(String(format: "epoch %d: validation loss %.4f", v.epoch, v.loss))
        case let .saved(step, completed):
            if !completed { printError("saved step \(step)") }
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

extension LearningRateSchedule: ExpressibleByArgument {}
extension OverLengthPolicy: ExpressibleByArgument {}
extension TuningMethod: ExpressibleByArgument {}
extension ModelOutputType: ExpressibleByArgument {}
