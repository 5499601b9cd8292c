import CKernels

/// The instruction sets the C kernels choose between at run time (CKernels' cpu.c).
public enum InstructionSet: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case scalar = 0, avx2 = 1, avx512 = 2

    /// The name accepted by `LOREKEEPER_CPU` and `--cpu`.
    public var description: String { ["scalar", "avx2", "avx512"][Int(rawValue)] }

    public init?(name: String) {
        let level = lk_cpu_level_named(name)
        guard level >= 0 else { return nil }
        self.init(rawValue: level)
    }

    /// The best this CPU runs.
    public static var detected: InstructionSet { InstructionSet(rawValue: lk_cpu_detected())! }

    /// The set the kernels use on the calling thread.
    public static var current: InstructionSet { InstructionSet(rawValue: lk_cpu_level())! }

    /// Caps the set every thread uses (none above `detected`); returns the one now in force.
    @discardableResult
    public static func limit(to set: InstructionSet) -> InstructionSet { InstructionSet(rawValue: lk_set_cpu_level(set.rawValue))! }

    /// Runs `body` with the calling thread's kernels capped at `set` (for tests of each path;
    /// work handed to a ComputePool's other threads is not affected).
    public static func with<T>(_ set: InstructionSet, _ body: () throws -> T) rethrows -> T {
        lk_set_thread_cpu_level(set.rawValue)
        defer { lk_set_thread_cpu_level(-1) }
        return try body()
    }
}
