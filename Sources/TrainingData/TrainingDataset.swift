import Sampling
import Training

/// A file training data came from, identified by its content.
public struct TrainingFile: Sendable, Codable, Equatable {
    public var path: String
    public var sha256: String
    /// Documents and conversations it holds.
    public var records: Int

    public init(path: String, sha256: String, records: Int) {
        self.path = path
        self.sha256 = sha256
        self.records = records
    }
}

/// Training examples and where they came from.
public struct TrainingDataset: Sendable {
    public private(set) var examples: [TrainingExample]
    public let files: [TrainingFile]
    /// Per example: whether it is a conversation cut to the sequence length.
    private let truncated: [Bool]
    /// Per example: whether its answers are the base model's own (`TrainingRecord.conversation`).
    private let selfDistilled: [Bool]

    init(examples: [TrainingExample], truncated: [Bool], selfDistilled: [Bool], files: [TrainingFile]) {
        self.examples = examples
        self.truncated = truncated
        self.selfDistilled = selfDistilled
        self.files = files
    }

    /// The examples whose answers are the base model's own, as `teach` returns them (with the
    /// model's distributions as their targets: `Distillation.teach`); the others as they are.
    /// An example repeated (the general replay, repeated up to its share) is taught once.
    public func distilling(_ teach: (TrainingExample) throws -> TrainingExample) rethrows -> TrainingDataset {
        struct Key: Hashable { let tokens: [Int], lossMask: [Bool] }
        var taught = [Key: TrainingExample]()
        let out = try zip(examples, selfDistilled).map { example, own -> TrainingExample in
            guard own else { return example }
            let key = Key(tokens: example.tokens, lossMask: example.lossMask)
            if let done = taught[key] { return done }
            let done = try teach(example)
            taught[key] = done
            return done
        }
        return TrainingDataset(examples: out, truncated: truncated, selfDistilled: selfDistilled, files: files)
    }

    public var truncatedCount: Int { truncated.count(where: \.self) }
    public var tokenCount: Int { examples.reduce(0) { $0 + $1.tokens.count } }
    public var lossTokenCount: Int { examples.reduce(0) { $0 + $1.lossTokenCount } }

    /// The numbers a training report gives about its data.
    public struct Summary: Sendable, Codable, Equatable {
        public var examples: Int
        public var tokens: Int
        public var lossTokens: Int
        public var truncated: Int
        public var files: [TrainingFile]
    }

    public var summary: Summary {
        Summary(examples: examples.count, tokens: tokenCount, lossTokens: lossTokenCount, truncated: truncatedCount, files: files)
    }

    /// Holds out `fraction` of the examples (rounded, at least one kept for training), chosen
    /// by `seed`; both parts keep the original order and list the same files.
    public func split(validationFraction fraction: Double, seed: UInt64) -> (training: TrainingDataset, validation: TrainingDataset) {
        precondition((0..<1).contains(fraction), "the validation fraction must be in [0, 1)")
        let held = min(Int((fraction * Double(examples.count)).rounded()), max(examples.count - 1, 0))
        var isHeld = [Bool](repeating: false, count: examples.count)
        for i in Self.permutation(count: examples.count, seed: seed).prefix(held) { isHeld[i] = true }
        func part(_ keep: Bool) -> TrainingDataset {
            let indices = examples.indices.filter { isHeld[$0] == keep }
            return TrainingDataset(examples: indices.map { examples[$0] }, truncated: indices.map { truncated[$0] },
                                   selfDistilled: indices.map { selfDistilled[$0] }, files: files)
        }
        return (part(false), part(true))
    }

    /// `fraction` of the examples (rounded), chosen by `seed`, in their original order: the
    /// share of a parent run's data replayed in an incremental run.
    public func sample(fraction: Double, seed: UInt64) -> TrainingDataset {
        precondition((0...1).contains(fraction), "the fraction must be in [0, 1]")
        let kept = Self.permutation(count: examples.count, seed: seed).prefix(Int((fraction * Double(examples.count)).rounded())).sorted()
        return TrainingDataset(examples: kept.map { examples[$0] }, truncated: kept.map { truncated[$0] },
                               selfDistilled: kept.map { selfDistilled[$0] }, files: files)
    }

    /// The same examples, recorded as coming from `files` (a prepared file's examples are the document's).
    public func recorded(as files: [TrainingFile]) -> TrainingDataset {
        TrainingDataset(examples: examples, truncated: truncated, selfDistilled: selfDistilled, files: files)
    }

    /// These examples followed by `other`'s, with both lists of files.
    public func appending(_ other: TrainingDataset) -> TrainingDataset {
        TrainingDataset(examples: examples + other.examples, truncated: truncated + other.truncated,
                        selfDistilled: selfDistilled + other.selfDistilled, files: files + other.files)
    }

    /// The micro-batches of one epoch: every example once, in an order fixed by `seed` and
    /// `epoch`; the last batch holds the remainder.
    public func batches(size: Int, epoch: Int, seed: UInt64) -> [[TrainingExample]] {
        precondition(size > 0, "the batch size must be positive")
        // An odd constant apart from splitmix64's increment, so epochs' generators do not share states.
        let order = Self.permutation(count: examples.count, seed: seed &+ UInt64(epoch + 1) &* 0xD1B5_4A32_D192_ED03)
        return stride(from: 0, to: order.count, by: size).map { order[$0..<min($0 + size, order.count)].map { examples[$0] } }
    }

    /// A permutation of `0..<count` (Fisher–Yates). The draw is spelled out rather than
    /// `shuffle(using:)` so that a seed gives the same order whatever the standard library.
    static func permutation(count: Int, seed: UInt64) -> [Int] {
        var rng = Xoshiro256StarStar(seed: seed)
        var p = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            // Multiply-high maps 64 random bits to 0...i with a bias below (i + 1) / 2^64.
            let j = Int(rng.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            p.swapAt(i, j)
        }
        return p
    }
}
