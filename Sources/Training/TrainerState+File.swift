import Foundation
import Llama

extension TrainerState {
    static let magic = Array("LKTRAIN1".utf8)

    private struct Header: Codable {
        var configuration: TrainingConfiguration
        var model: LlamaConfig
        var completedSteps: Int
        var optimizerSteps: Int
        var generator: UInt64
        var count: Int
    }

    /// The state as a file: the magic, the JSON header's length (UInt64 little-endian), the
    /// header, then the parameters and both moments as little-endian Float32 — exact, and a few
    /// hundred MB for a 7B model's adapter rather than the GB that JSON numbers would take.
    public func encoded() -> [UInt8] {
        let header = Header(configuration: configuration, model: model, completedSteps: completedSteps, optimizerSteps: optimizerSteps,
                            generator: generator, count: parameters.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // equal states, equal files
        let json = Array(try! encoder.encode(header))  // plain numbers and strings: cannot fail
        var bytes = Self.magic
        bytes.reserveCapacity(bytes.count + 8 + json.count + 12 * parameters.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        // Float's in-memory layout is little-endian on every platform Swift targets here.
        for vector in [parameters, firstMoments, secondMoments] { vector.withUnsafeBytes { bytes += $0 } }
        return bytes
    }

    /// Reads what `encoded()` wrote; anything else (truncated, another file) is `stateMismatch`.
    public init(encoded bytes: [UInt8]) throws(TrainingError) {
        func bad(_ why: String) -> TrainingError { .stateMismatch("not a trainer state file: \(why)") }
        guard bytes.count >= Self.magic.count + 8, Array(bytes.prefix(Self.magic.count)) == Self.magic else { throw bad("wrong magic") }
        let length = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: Self.magic.count, as: UInt64.self)) }
        let start = Self.magic.count + 8
        guard length <= UInt64(bytes.count - start) else { throw bad("truncated header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[start..<start + Int(length)])) } catch { throw bad("\(error)") }
        let floats = start + Int(length)
        guard header.count >= 0, bytes.count - floats == 12 * header.count else { throw bad("\(bytes.count - floats) bytes of values for \(header.count) parameters") }
        func vector(_ i: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: header.count) { v, count in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(v).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[floats + 4 * i * header.count..<floats + 4 * (i + 1) * header.count]))
                }
                count = header.count
            }
        }
        self.init(configuration: header.configuration, model: header.model, completedSteps: header.completedSteps,
                  optimizerSteps: header.optimizerSteps, generator: header.generator,
                  parameters: vector(0), firstMoments: vector(1), secondMoments: vector(2))
    }
}
