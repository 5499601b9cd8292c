import Foundation

/// How much memory a run can still take.
enum SystemMemory {
    /// Linux's own estimate of what can be allocated without swapping (`MemAvailable` in
    /// /proc/meminfo); elsewhere the physical memory.
    static func availableBytes() -> Int {
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            return kib * 1024
        }
        return Int(ProcessInfo.processInfo.physicalMemory)
    }
}
