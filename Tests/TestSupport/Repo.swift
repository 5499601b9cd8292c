import Foundation

/// Paths relative to the repository root, found from this file's location.
public enum Repo {
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url = url.deletingLastPathComponent()
        }
        return url.path
    }()

    public static let testdata = root + "/../shared/testdata"

    /// The default model; its absence is a failure (run scripts/fetch-model.sh), never a skip.
    public static var defaultModel: String {
        get throws {
            let path = root + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
            guard FileManager.default.fileExists(atPath: path) else {
                throw TestSetupError("default model missing at \(path): run scripts/fetch-model.sh")
            }
            return path
        }
    }

    /// The `lorekeeper` executable of this build: the test bundle sits in the same build folder.
    public static var executable: String {
        get throws {
            let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for candidate in [dir, dir.deletingLastPathComponent()] {
                let path = candidate.appendingPathComponent("lorekeeper").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            throw TestSetupError("lorekeeper executable not found next to \(dir.path): build it first")
        }
    }

    public struct Run { public let status: Int32; public let stdout: String; public let stderr: String }

    /// Runs this build's `lorekeeper` in the repository root, as a script would: stdout and stderr apart.
    public static func runLorekeeper(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try executable)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs a script of the repository (bench/, Tests/Python/) with stdout and stderr merged.
    public static func runScript(_ interpreter: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [interpreter] + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    public static func json(_ relativeToTestdata: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: testdata + "/" + relativeToTestdata))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A float32 little-endian .npy array, flattened.
    public static func npy(_ relativeToTestdata: String) throws -> (shape: [Int], values: [Float]) {
        try parseNPY(Data(contentsOf: URL(fileURLWithPath: testdata + "/" + relativeToTestdata)), name: relativeToTestdata)
    }

    /// The float32 arrays of an uncompressed .npz (numpy.savez) by name, without the `.npy` suffix.
    public static func npz(_ relativeToTestdata: String) throws -> [String: (shape: [Int], values: [Float])] {
        let data = try Data(contentsOf: URL(fileURLWithPath: testdata + "/" + relativeToTestdata))
        func read(_ at: Int, _ bytes: Int) -> Int { (0..<bytes).reduce(0) { $0 | Int(data[at + $1]) << (8 * $1) } }
        var arrays = [String: (shape: [Int], values: [Float])](), at = 0
        // Zip local file headers: signature, then (at +8) method, (+18) size, (+26) name and extra lengths;
        // numpy writes zip64 entries, whose size is in the extra field (id, length, uncompressed size).
        while at + 30 <= data.count, read(at, 4) == 0x0403_4b50 {
            let nameLength = read(at + 26, 2), extra = at + 30 + nameLength, start = extra + read(at + 28, 2)
            let size = read(at + 18, 4) == 0xFFFF_FFFF ? read(extra + 4, 8) : read(at + 18, 4)
            let name = String(decoding: data[at + 30..<at + 30 + nameLength], as: UTF8.self)
            guard read(at + 8, 2) == 0 else { throw TestSetupError("\(relativeToTestdata): \(name) is compressed") }
            arrays[String(name.dropLast(4))] = try parseNPY(data.subdata(in: start..<start + size), name: name)
            at = start + size
        }
        return arrays
    }

    private static func parseNPY(_ data: Data, name: String) throws -> (shape: [Int], values: [Float]) {
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<10 + headerLength], as: UTF8.self)
        guard header.contains("'<f4'") else { throw TestSetupError("\(name): not float32 little-endian: \(header)") }
        let shapeText = header.split(separator: "(")[1].split(separator: ")")[0]
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let values = data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (shape, values)
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// One folder per test process holds every test's scratch folder, and goes when the process
/// exits: the full fine-tuning tests alone write 1.7 GB a run, and left behind they filled the disk.
private let scratchRoot: String = {
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "lorekeeper-tests-\(getpid())") }
    return NSTemporaryDirectory() + "lorekeeper-tests-\(getpid())"
}()

public func temporaryDirectory(_ prefix: String = "test") -> String {
    let d = scratchRoot + "/\(prefix)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// A small seeded generator for test data (SplitMix64).
public struct SplitMix: RandomNumberGenerator {
    var s: UInt64
    public init(_ seed: UInt64) { s = seed }
    public mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `n` floats uniform in (−scale, scale).
public func randomFloats(_ n: Int, scale: Float = 1, seed: UInt64) -> [Float] {
    var g = SplitMix(seed)
    return (0..<n).map { _ in (Float(g.next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
}
