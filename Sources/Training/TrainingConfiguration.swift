import Adapters
import Foundation
import Llama

/// Which projections get a low-rank adapter, and its shape, as PEFT's `LoraConfig`.
public struct LoRAConfiguration: Codable, Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    public var useRSLoRA: Bool
    /// Adapted in every layer.
    public var targets: Set<Projection>
    /// Dropout probability on the adapter's input path (the frozen path sees the input unchanged).
    public var dropout: Float

    public init(rank: Int = 8, alpha: Float = 16, useRSLoRA: Bool = false, targets: Set<Projection> = [.q, .v], dropout: Float = 0) {
        self.rank = rank
        self.alpha = alpha
        self.useRSLoRA = useRSLoRA
        self.targets = targets
        self.dropout = dropout
    }

    /// The shape (rank, alpha, rsLoRA, targets) of an existing adapter, without dropout.
    public init(shapeOf adapter: AdapterWeights) {
        self.init(rank: adapter.rank, alpha: adapter.alpha, useRSLoRA: adapter.useRSLoRA, targets: Set(adapter.targets))
    }

    /// Whether adapters of the two configurations have the same matrices (dropout aside).
    public func sameShape(as other: LoRAConfiguration) -> Bool {
        rank == other.rank && alpha == other.alpha && useRSLoRA == other.useRSLoRA && targets == other.targets
    }

    private enum CodingKeys: String, CodingKey { case rank, alpha, useRSLoRA, targets, dropout }

    /// Targets in `Projection.allCases` order (a Set's own order varies), so that equal
    /// configurations encode to equal bytes.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rank, forKey: .rank)
        try c.encode(alpha, forKey: .alpha)
        try c.encode(useRSLoRA, forKey: .useRSLoRA)
        try c.encode(Projection.allCases.filter(targets.contains), forKey: .targets)
        try c.encode(dropout, forKey: .dropout)
    }

    /// PEFT's scaling: alpha / r, or alpha / √r with rsLoRA.
    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }
}

/// The learning rate after warm-up: held, or decayed to zero at the last step.
public enum LearningRateSchedule: String, Codable, Sendable {
    case constant, linear, cosine
}

/// Hyper-parameters of a training run: LoRA, prompt or prefix tuning, or full fine-tuning.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public var lora: LoRAConfiguration
    /// Prompt or prefix tuning instead of LoRA (`lora` is then unused); nil trains LoRA.
    public var virtualTokens: VirtualTokenConfiguration?
    /// Full fine-tuning: every weight trained in float32 from the dequantised base (`lora` unused).
    public var full: Bool
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled (AdamW) weight decay, applied as p -= lr · weightDecay · p.
    public var weightDecay: Float
    public var schedule: LearningRateSchedule
    /// Steps whose learning rate rises linearly: step s (from 0) gets lr · (s + 1) / warmupSteps.
    public var warmupSteps: Int
    /// The length of the run, which `linear` and `cosine` decay over.
    public var totalSteps: Int
    /// Gradients are scaled down to this global L2 norm when above it; nil leaves them as they are.
    public var maxGradientNorm: Float?
    /// Micro-batches whose gradients add up to one optimiser step.
    public var gradientAccumulationSteps: Int
    /// Layer i of L learns at lr · layerDecay^(L−1−i): 1 is off, below 1 slows the lower layers.
    public var layerDecay: Float
    /// Keep only each layer's input during the forward pass and recompute the rest in the
    /// backward: about a third more compute for a fraction of the activation memory.
    public var activationCheckpointing: Bool
    /// Sequences per micro-batch and tokens per sequence, at most: activations are sized for both.
    public var microBatchSize: Int
    public var maxSequenceLength: Int
    public static let defaultMaxSequenceLength = 256
    /// Seeds A's initialisation and the dropout masks.
    public var seed: UInt64
    /// Multiply the frozen Q4_0/Q4_1/Q8_0/Q4_K/Q5_K/Q6_K weights in 16-bit integers where the CPU has AVX-512
    /// VNNI (activations and gradients rounded to 16 bits per block of 32): steps about 1.4× as fast,
    /// LoRA gradients within 3.4e-3 of PEFT's (median 1e-3) where float32 ones are within 4e-4. Off:
    /// float32 throughout, and the same adapter bits on every CPU.
    public var integerProducts: Bool

    public init(lora: LoRAConfiguration = LoRAConfiguration(), learningRate: Float = 2e-4, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, schedule: LearningRateSchedule = .constant, warmupSteps: Int = 0,
                totalSteps: Int = 1000, maxGradientNorm: Float? = 1, gradientAccumulationSteps: Int = 1, layerDecay: Float = 1,
                activationCheckpointing: Bool = false, microBatchSize: Int = 4, maxSequenceLength: Int = defaultMaxSequenceLength, seed: UInt64 = 0,
                integerProducts: Bool = true, virtualTokens: VirtualTokenConfiguration? = nil, full: Bool = false) {
        self.lora = lora
        self.virtualTokens = virtualTokens
        self.full = full
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.maxGradientNorm = maxGradientNorm
        self.gradientAccumulationSteps = gradientAccumulationSteps
        self.layerDecay = layerDecay
        self.activationCheckpointing = activationCheckpointing
        self.microBatchSize = microBatchSize
        self.maxSequenceLength = maxSequenceLength
        self.seed = seed
        self.integerProducts = integerProducts
    }

    private enum CodingKeys: String, CodingKey {
        case lora, learningRate, beta1, beta2, epsilon, weightDecay, schedule, warmupSteps, totalSteps, maxGradientNorm,
             gradientAccumulationSteps, layerDecay, activationCheckpointing, microBatchSize, maxSequenceLength, seed, integerProducts,
             virtualTokens, full
    }

    /// Reports written before `integerProducts` existed were trained in float32, those before
    /// `virtualTokens` and `full` trained LoRA.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(lora: try c.decode(LoRAConfiguration.self, forKey: .lora), learningRate: try c.decode(Float.self, forKey: .learningRate),
                  beta1: try c.decode(Float.self, forKey: .beta1), beta2: try c.decode(Float.self, forKey: .beta2),
                  epsilon: try c.decode(Float.self, forKey: .epsilon), weightDecay: try c.decode(Float.self, forKey: .weightDecay),
                  schedule: try c.decode(LearningRateSchedule.self, forKey: .schedule), warmupSteps: try c.decode(Int.self, forKey: .warmupSteps),
                  totalSteps: try c.decode(Int.self, forKey: .totalSteps), maxGradientNorm: try c.decodeIfPresent(Float.self, forKey: .maxGradientNorm),
                  gradientAccumulationSteps: try c.decode(Int.self, forKey: .gradientAccumulationSteps),
                  layerDecay: try c.decode(Float.self, forKey: .layerDecay), activationCheckpointing: try c.decode(Bool.self, forKey: .activationCheckpointing),
                  microBatchSize: try c.decode(Int.self, forKey: .microBatchSize), maxSequenceLength: try c.decode(Int.self, forKey: .maxSequenceLength),
                  seed: try c.decode(UInt64.self, forKey: .seed), integerProducts: try c.decodeIfPresent(Bool.self, forKey: .integerProducts) ?? false,
                  virtualTokens: try c.decodeIfPresent(VirtualTokenConfiguration.self, forKey: .virtualTokens),
                  full: try c.decodeIfPresent(Bool.self, forKey: .full) ?? false)
    }

    public var method: TuningMethod {
        if full { return .full }
        return switch virtualTokens?.kind {
        case nil: .lora
        case .promptTuning?: .prompt
        case .prefixTuning?: .prefix
        }
    }

    /// The learning rate of optimiser step `step` (from 0), before layer decay.
    public func learningRate(atStep step: Int) -> Float {
        if step < warmupSteps { return learningRate * Float(step + 1) / Float(warmupSteps) }
        let progress = Float(step - warmupSteps) / Float(max(1, totalSteps - warmupSteps))
        switch schedule {
        case .constant: return learningRate
        case .linear: return learningRate * max(0, 1 - progress)
        case .cosine: return learningRate * 0.5 * (1 + cos(Float.pi * min(1, progress)))
        }
    }

    func validate(for model: LlamaConfig) throws(TrainingError) {
        func check(_ ok: Bool, _ why: String) throws(TrainingError) { if !ok { throw .invalidConfiguration(why) } }
        try check(lora.rank > 0, "rank must be positive")
        try check(!lora.targets.isEmpty, "no target projections")
        try check(lora.alpha.isFinite, "alpha is \(lora.alpha)")
        try check(lora.dropout >= 0 && lora.dropout < 1, "dropout must be in [0, 1)")
        try check(learningRate >= 0 && learningRate.isFinite, "learning rate must be finite and non-negative")
        try check((0..<1).contains(beta1) && (0..<1).contains(beta2), "betas must be in [0, 1)")
        try check(epsilon > 0 && weightDecay >= 0, "epsilon must be positive and weight decay non-negative")
        try check(warmupSteps >= 0 && totalSteps > 0, "warm-up steps must be non-negative and total steps positive")
        try check(maxGradientNorm.map { $0 > 0 } ?? true, "the gradient norm limit must be positive")
        try check(gradientAccumulationSteps > 0 && microBatchSize > 0, "accumulation steps and micro-batch size must be positive")
        try check(layerDecay > 0 && layerDecay <= 1, "layer decay must be in (0, 1]")
        try check(!full || virtualTokens == nil, "full fine-tuning trains the model's own weights, without virtual tokens")
        let virtual = virtualTokens?.count ?? 0
        try check(maxSequenceLength > 1 && maxSequenceLength + virtual <= model.contextLength,
                  "sequence length must be in 2...\(model.contextLength - virtual) (the model's context\(virtual > 0 ? " less the virtual tokens" : ""))")
        try virtualTokens?.validate(for: model)
    }
}

public enum TrainingError: Error, Equatable, CustomStringConvertible {
    static func gib(_ bytes: Int) -> String { String(format: "%.2f", Double(bytes) / Double(1 << 30)) }

    case invalidConfiguration(String)
    case invalidExample(String)
    case parentMismatch(String)
    case stateMismatch(String)
    /// Full fine-tuning would need `needed` bytes more than the `available` ones.
    case insufficientMemory(needed: Int, available: Int, breakdown: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(why): "invalid training configuration: \(why)"
        case let .invalidExample(why): "invalid training example: \(why)"
        case let .parentMismatch(why): "the parent adapter does not fit the training configuration: \(why)"
        case let .stateMismatch(why): "the saved trainer state does not fit this trainer: \(why)"
        case let .insufficientMemory(needed, available, breakdown):
            "full fine-tuning needs about \(Self.gib(needed)) GiB (\(breakdown)) but the machine has \(Self.gib(available)) GiB available: use LoRA, or a smaller model, batch or --seq-len"
        }
    }
}
