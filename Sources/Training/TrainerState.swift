import Llama

/// Everything a trainer needs to continue exactly where it stopped, for checkpoints: the
/// configuration, the step count, the generator, the LoRA matrices and AdamW's moments.
/// The three vectors are flat, in the trainer's order: layers ascending, projections in
/// `Projection.allCases` order, A (rank × inputs) then B (outputs × rank), B's q/k rows in
/// GGUF RoPE order.
public struct TrainerState: Codable, Sendable, Equatable {
    public var configuration: TrainingConfiguration
    public var model: LlamaConfig
    public var completedSteps: Int
    /// AdamW's step count (bias correction): `completedSteps` plus any parent run's.
    public var optimizerSteps: Int
    public var generator: UInt64
    public var parameters: [Float]
    public var firstMoments: [Float]
    public var secondMoments: [Float]
}

/// One optimiser step's report.
public struct TrainingProgress: Sendable, Equatable {
    /// Optimiser steps done, this one included.
    public var step: Int
    /// Mean loss over this step's targets.
    public var loss: Float
    public var learningRate: Float
    /// Global L2 norm of the gradients, before clipping.
    public var gradientNorm: Float
    /// Tokens run through the model (forward and backward) in this step.
    public var tokens: Int
    public var seconds: Double

    public var tokensPerSecond: Double { Double(tokens) / seconds }
}
