import Llama
import TensorKernels

/// Training throughput on random full-length sequences (every token a target): what a
/// `bench` command reports. Steps after the warm-up are timed.
public enum TrainingBench {
    public struct Result: Sendable {
        public var stepSeconds: [Double]
        /// Processor time of the whole process over the timed steps (all threads): on a busy
        /// machine, tokens per processor-second say more than tokens per second.
        public var cpuSeconds: Double
        public var tokensPerStep: Int
        public var activationBytes: Int
        /// The process's peak resident memory so far.
        public var peakResidentBytes: Int

        public var tokensPerSecond: Double { Double(tokensPerStep * stepSeconds.count) / stepSeconds.reduce(0, +) }
    }

    public static func run(model: LlamaModel, configuration: TrainingConfiguration, steps: Int, warmupSteps: Int = 1) throws -> Result {
        let trainer = try Trainer(model: model, configuration: configuration)
        var generator = SplitMix64(state: configuration.seed)
        let tokensPerStep = configuration.gradientAccumulationSteps * configuration.microBatchSize * configuration.maxSequenceLength
        var seconds = [Double](), cpuStart = 0.0
        for s in 0..<warmupSteps + steps {
            if s == warmupSteps { cpuStart = ProcessUsage.current().cpuSeconds }
            let batches = (0..<configuration.gradientAccumulationSteps).map { _ in
                (0..<configuration.microBatchSize).map { _ in
                    TrainingExample(tokens: (0..<configuration.maxSequenceLength).map { _ in Int(generator.next() % UInt64(model.config.vocabSize)) })
                }
            }
            let report = try trainer.step(batches)
            if s >= warmupSteps { seconds.append(report.seconds) }
        }
        let end = ProcessUsage.current()
        return Result(stepSeconds: seconds, cpuSeconds: end.cpuSeconds - cpuStart, tokensPerStep: tokensPerStep,
                      activationBytes: trainer.activationBytes, peakResidentBytes: end.peakResidentBytes)
    }
}
