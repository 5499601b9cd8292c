import Foundation
import Adapters
import Llama
import TensorKernels

/// What a run trains.
public enum TuningMethod: String, Codable, Sendable, CaseIterable {
    /// Low-rank matrices beside the projections.
    case lora
    /// Virtual token embeddings in front of the input.
    case prompt
    /// Every layer's keys and values for virtual tokens in front of the sequence.
    case prefix
    /// Every weight of the model, written out as a new model file.
    case full

    /// The prompt-learning method PEFT calls it; nil for LoRA and full fine-tuning.
    public var promptLearning: VirtualTokenConfiguration.Kind? {
        switch self {
        case .lora, .full: nil
        case .prompt: .promptTuning
        case .prefix: .prefixTuning
        }
    }
}

/// Prompt tuning and prefix tuning (PEFT's PROMPT_TUNING and PREFIX_TUNING): `count` trained
/// virtual tokens in front of every sequence, the frozen model otherwise unchanged.
public struct VirtualTokenConfiguration: Codable, Sendable, Equatable {
    public typealias Kind = PromptLearningWeights.Method

    public var kind: Kind
    public var count: Int
    /// Prompt tuning: token ids whose embeddings start the virtual tokens, repeated or cut to
    /// `count` (PEFT's TEXT init); nil draws them from N(0, 1), as PEFT's RANDOM init does.
    public var initialTokens: [Int]?
    /// The text those tokens came from, recorded in `adapter_config.json`.
    public var initialText: String?
    /// Prefix tuning: the hidden width of PEFT's reparameterisation MLP (`prefix_projection`,
    /// `encoder_hidden_size`), used while training and folded into the prefixes when saved;
    /// nil trains the prefixes directly.
    public var projectionSize: Int?

    public init(kind: Kind, count: Int, initialTokens: [Int]? = nil, initialText: String? = nil, projectionSize: Int? = nil) {
        self.kind = kind
        self.count = count
        self.initialTokens = initialTokens
        self.initialText = initialText
        self.projectionSize = projectionSize
    }

    func validate(for model: LlamaConfig) throws(TrainingError) {
        func check(_ ok: Bool, _ why: String) throws(TrainingError) { if !ok { throw .invalidConfiguration(why) } }
        try check(count > 0, "the number of virtual tokens must be positive")
        try check(initialTokens == nil || kind == .promptTuning, "only prompt tuning starts from a text")
        try check(initialTokens.map { !$0.isEmpty && $0.allSatisfy { (0..<model.vocabSize).contains($0) } } ?? true,
                  "the initial text must have tokens, all in the vocabulary")
        try check(projectionSize == nil || kind == .prefixTuning, "only prefix tuning has a projection")
        try check(projectionSize.map { $0 > 0 } ?? true, "the projection size must be positive")
    }
}

/// The trained values of prompt or prefix tuning, flat, with their gradients beside them.
/// Prompt tuning: `count` embeddings (count × hiddenSize). Prefix tuning: per virtual token the
/// keys and values of every layer, PEFT's layout (`PromptLearningWeights.prefix`); with a
/// projection, PEFT's `PrefixEncoder` in training: an embedding E (count × kvDim), W1 (P × kvDim),
/// b1 (P), W2 (width × P) and b2 (width), and the prefixes are b2 + W2·tanh(b1 + W1·E) per token.
final class VirtualTokenParameters: TrainableParameters {
    let configuration: VirtualTokenConfiguration
    let config: LlamaConfig
    let count: Int
    let values: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    /// Floats per virtual token of what the model reads: an embedding, or every layer's key and value.
    let width: Int
    /// Prefix tuning: the prefixes the forward reads and the gradient the backward adds into
    /// (the parameters themselves, or the MLP's output and its gradient).
    private(set) var prefixes, prefixGradients: UnsafeMutablePointer<Float>
    private let hidden: UnsafeMutablePointer<Float>?

    init(config: LlamaConfig, configuration: VirtualTokenConfiguration) {
        self.config = config
        self.configuration = configuration
        let n = configuration.count, d = Self.embeddingWidth(configuration, config)
        width = configuration.kind == .promptTuning ? d : PromptLearningWeights.prefixWidth(config)
        if let p = configuration.projectionSize {
            count = n * d + p * d + p + width * p + width
            hidden = .allocate(capacity: n * p)
        } else {
            count = n * width
            hidden = nil
        }
        values = .allocate(capacity: count)
        values.initialize(repeating: 0, count: count)
        gradients = .allocate(capacity: count)
        gradients.initialize(repeating: 0, count: count)
        if hidden != nil {
            prefixes = .allocate(capacity: n * width)
            prefixGradients = .allocate(capacity: n * width)
        } else {
            (prefixes, prefixGradients) = (values, gradients)
        }
    }

    deinit {
        if let hidden {
            hidden.deallocate()
            prefixes.deallocate()
            prefixGradients.deallocate()
        }
        values.deallocate()
        gradients.deallocate()
    }

    var groups: [(layer: Int?, range: Range<Int>)] { [(nil, 0..<count)] }

    /// The width of the embeddings: prompt tuning's are the model's, the projection's PEFT's `token_dim`.
    private static func embeddingWidth(_ configuration: VirtualTokenConfiguration, _ config: LlamaConfig) -> Int {
        configuration.kind == .promptTuning ? config.hiddenSize : config.kvDim
    }
    private var d: Int { Self.embeddingWidth(configuration, config) }

    /// Where the MLP's pieces sit in `values` (and `gradients`).
    private var mlp: (p: Int, w1: Int, b1: Int, w2: Int, b2: Int)? {
        configuration.projectionSize.map { p in
            let w1 = configuration.count * d, b1 = w1 + p * d, w2 = b1 + p
            return (p, w1, b1, w2, w2 + width * p)
        }
    }

    /// PEFT's initialisation: embeddings from N(0, 1) (torch.nn.Embedding) or from the text's
    /// token embeddings; the MLP's linear layers as torch.nn.Linear (uniform, bound 1/√fan_in).
    func initialise(_ rng: inout SplitMix64, tokenEmbedding: WeightMatrix) {
        let n = configuration.count
        let embeddings = mlp == nil ? count : n * d
        if let tokens = configuration.initialTokens {
            for i in 0..<n { tokenEmbedding.dequantizeRow(tokens[i % tokens.count], into: values + i * d) }
        } else {
            for i in 0..<embeddings { values[i] = rng.nextNormal() }
        }
        guard let m = mlp else { return }
        func uniform(_ range: Range<Int>, fanIn: Int) {
            let bound = 1 / Float(fanIn).squareRoot()
            for i in range { values[i] = (2 * rng.nextFloat() - 1) * bound }
        }
        uniform(m.w1..<m.w2, fanIn: d)
        uniform(m.w2..<count, fanIn: m.p)
    }

    /// Prefix tuning with a projection: the prefixes from the current parameters, before a forward.
    func computePrefixes(pool: ComputePool) {
        guard let m = mlp, let hidden else { return }
        let n = configuration.count
        for i in 0..<n { (hidden + i * m.p).update(from: values + m.b1, count: m.p) }
        pool.sgemm(transB: true, m: n, n: m.p, k: d, values, lda: d, values + m.w1, ldb: d, beta: 1, hidden, ldc: m.p)
        for i in 0..<n * m.p { hidden[i] = tanh(hidden[i]) }
        for i in 0..<n { (prefixes + i * width).update(from: values + m.b2, count: width) }
        pool.sgemm(transB: true, m: n, n: width, k: m.p, hidden, lda: m.p, values + m.w2, ldb: m.p, beta: 1, prefixes, ldc: width)
        prefixGradients.update(repeating: 0, count: n * width)
    }

    /// Prefix tuning with a projection: adds the MLP's gradients from `prefixGradients`, after a backward.
    func backwardPrefixes(pool: ComputePool) {
        guard let m = mlp, let hidden else { return }
        let n = configuration.count
        // dW2 += dPᵀ·H, db2 += Σ dP, dH = dP·W2, dZ = dH ⊙ (1 − H²), dW1 += dZᵀ·E, db1 += Σ dZ, dE += dZ·W1.
        pool.sgemm(transA: true, m: width, n: m.p, k: n, prefixGradients, lda: width, hidden, ldb: m.p, beta: 1, gradients + m.w2, ldc: m.p)
        let dz = UnsafeMutablePointer<Float>.allocate(capacity: n * m.p)
        defer { dz.deallocate() }
        pool.sgemm(m: n, n: m.p, k: width, prefixGradients, lda: width, values + m.w2, ldb: m.p, beta: 0, dz, ldc: m.p)
        for i in 0..<n {
            for j in 0..<width { gradients[m.b2 + j] += prefixGradients[i * width + j] }
            for j in 0..<m.p {
                let h = hidden[i * m.p + j]
                dz[i * m.p + j] *= 1 - h * h
                gradients[m.b1 + j] += dz[i * m.p + j]
            }
        }
        pool.sgemm(transA: true, m: m.p, n: d, k: n, dz, lda: m.p, values, ldb: d, beta: 1, gradients + m.w1, ldc: d)
        pool.sgemm(m: n, n: d, k: m.p, dz, lda: m.p, values + m.w1, ldb: d, beta: 1, gradients, ldc: d)
    }

    /// The adapter as PEFT saves it: the embeddings, or the prefixes (the MLP folded away). With
    /// `gradients`, the loss's gradient with respect to those same values.
    func weights(gradients: Bool = false, pool: ComputePool) -> PromptLearningWeights {
        let n = configuration.count
        if !gradients { computePrefixes(pool: pool) }
        let source = configuration.kind == .promptTuning || mlp == nil ? (gradients ? self.gradients : values)
                                                                      : (gradients ? prefixGradients : prefixes)
        return PromptLearningWeights(method: configuration.kind, virtualTokens: n, config: config,
                                     embeddings: Array(UnsafeBufferPointer(start: source, count: n * width)),
                                     initialText: configuration.initialText, projectionSize: configuration.projectionSize)
    }

    /// Starts from a saved adapter's embeddings or prefixes (a projection, if configured, starts afresh).
    func load(_ parent: PromptLearningWeights) throws(TrainingError) {
        guard parent.method == configuration.kind, parent.virtualTokens == configuration.count, mlp == nil,
              parent.embeddings.count == count else {
            throw .parentMismatch("\(parent.method.rawValue) with \(parent.virtualTokens) virtual tokens; the training configuration has \(configuration.kind.rawValue) with \(configuration.count)\(mlp == nil ? "" : " and a projection")")
        }
        values.update(from: parent.embeddings, count: count)
    }
}

extension SplitMix64 {
    /// Standard normal, by Box–Muller.
    mutating func nextNormal() -> Float {
        let u = max(nextFloat(), .leastNormalMagnitude), v = nextFloat()
        return (-2 * log(u)).squareRoot() * cos(2 * Float.pi * v)
    }
}
