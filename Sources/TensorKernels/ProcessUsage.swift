#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's processor time and peak resident memory so far, for the benchmarks.
public struct ProcessUsage: Sendable {
    /// User and system time of all threads.
    public var cpuSeconds: Double
    public var peakResidentBytes: Int

    public static func current() -> ProcessUsage {
        var u = rusage()
        #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &u)
        let peak = Int(u.ru_maxrss)
        #else
        getrusage(RUSAGE_SELF.rawValue, &u)
        let peak = Int(u.ru_maxrss) * 1024
        #endif
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return ProcessUsage(cpuSeconds: seconds(u.ru_utime) + seconds(u.ru_stime), peakResidentBytes: peak)
    }
}
