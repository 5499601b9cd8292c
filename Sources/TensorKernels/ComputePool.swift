#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import Synchronization

/// A fixed set of worker threads that split one parallel loop at a time.
/// Workers spin briefly, then yield, then sleep, because a forward pass issues hundreds of short
/// loops per token and waking a sleeping thread costs more than most of them take.
public final class ComputePool: @unchecked Sendable {
    public static let shared = ComputePool(threads: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Threads taking part in a loop, the caller included.
    public let threads: Int

    /// One word so that a claim can never mix two loops: generation (bits 40...),
    /// item count (bits 20..<40) and next unclaimed item (bits 0..<20).
    private let state = Atomic<UInt64>(0)
    private let doneItems = Atomic<Int>(0)
    private var body: ((_ item: Int, _ thread: Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var callerLock = pthread_mutex_t()
    private static let fieldMask: UInt64 = (1 << 20) - 1
    private let scratch: [ThreadScratch]

    /// Per-thread working memory, grown on demand and kept for the next loop.
    private final class ThreadScratch {
        var slots: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = (0..<4).map { _ in (.allocate(capacity: 16), 16) }
    }

    /// A buffer of at least `count` floats that only `thread` uses, valid until the same
    /// thread asks for the same slot again. Slots let one loop body hold several buffers.
    public func scratch(thread: Int, slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        let s = scratch[thread]
        if s.slots[slot].capacity < count {
            s.slots[slot].pointer.deallocate()
            let capacity = max(count, s.slots[slot].capacity * 2)
            s.slots[slot] = (UnsafeMutablePointer<Float>.allocate(capacity: capacity), capacity)
        }
        return s.slots[slot].pointer
    }

    /// With `idlePriority`, the workers run at the lowest CPU priority (`SCHED_IDLE`): they take
    /// only what other threads leave, so background training never slows a decode step.
    /// The caller's thread, which takes part in every loop, should lower its own with
    /// `lowerCurrentThreadPriority()`.
    public init(threads: Int, idlePriority: Bool = false) {
        // OpenBLAS runs single-threaded inside our loops; two thread pools would fight for the cores.
        openblas_set_num_threads(1)
        self.threads = max(1, threads)
        scratch = (0..<max(1, threads)).map { _ in ThreadScratch() }
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        pthread_mutex_init(&callerLock, nil)
        for t in 1..<self.threads {
            let thread = Thread(pool: self, index: t, idle: idlePriority)
            var tid = pthread_t()
            let box = Unmanaged.passRetained(thread).toOpaque()
            pthread_create(&tid, nil, { arg in
                let t = Unmanaged<Thread>.fromOpaque(arg!).takeRetainedValue()
                if t.idle { ComputePool.lowerCurrentThreadPriority() }
                t.pool.workerLoop(index: t.index)
                return nil
            }, box)
            pthread_detach(tid)
        }
    }

    private final class Thread {
        let pool: ComputePool
        let index: Int
        let idle: Bool
        init(pool: ComputePool, index: Int, idle: Bool) { (self.pool, self.index, self.idle) = (pool, index, idle) }
    }

    /// Moves the calling thread to `SCHED_IDLE` (Linux), else to the lowest nice level.
    public static func lowerCurrentThreadPriority() {
        #if os(Linux)
        // On Linux both calls with pid 0 change the calling thread alone, not the process.
        // SCHED_IDLE is 5 in <sched.h>, hidden from Swift behind _GNU_SOURCE.
        var param = sched_param()
        if sched_setscheduler(0, 5, &param) == 0 { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #else
        _ = setpriority(PRIO_DARWIN_THREAD, 0, PRIO_DARWIN_BG)
        #endif
    }

    /// Runs `body(item, thread)` for every item in `0..<count`, spread over the threads,
    /// and returns when all are done. `thread` is in `0..<threads` (for per-thread scratch).
    /// Concurrent callers are served one loop at a time.
    public func run(_ count: Int, _ body: (_ item: Int, _ thread: Int) -> Void) {
        guard count > 0 else { return }
        precondition(UInt64(count) <= Self.fieldMask, "too many items in one parallel loop")
        pthread_mutex_lock(&callerLock)
        defer { pthread_mutex_unlock(&callerLock) }
        if count == 1 || threads == 1 {
            for i in 0..<count { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            doneItems.store(0, ordering: .relaxed)
            let generation = (state.load(ordering: .relaxed) >> 40) &+ 1
            pthread_mutex_lock(&mutex)
            state.store(generation << 40 | UInt64(count) << 20, ordering: .releasing)
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
            work(generation: generation, thread: 0)
            var spins = 0
            while doneItems.load(ordering: .acquiring) < count {
                // A worker still busy this long has probably lost its core (more runnable threads
                // than cores): yielding lets it, or whoever holds the core, get on.
                spins += 1
                if spins > Self.spinsBeforeYield { sched_yield() }
            }
            self.body = nil
        }
    }

    /// Claims and runs items of loop `generation` until none are left.
    private func work(generation: UInt64, thread: Int) {
        var done = 0
        var s = state.load(ordering: .acquiring)
        while s >> 40 == generation, s & Self.fieldMask < (s >> 20) & Self.fieldMask {
            let (claimed, now) = state.compareExchange(expected: s, desired: s + 1, ordering: .acquiringAndReleasing)
            if claimed {
                body!(Int(s & Self.fieldMask), thread)
                done += 1
                s = state.load(ordering: .acquiring)
            } else {
                s = now
            }
        }
        if done > 0 { doneItems.add(done, ordering: .releasing) }
    }

    /// Spins (tens of microseconds) before a waiting thread starts yielding its core to others.
    private static let spinsBeforeYield = 20_000
    /// Yields before an idle worker sleeps (about a millisecond when nothing else runs).
    private static let yieldsBeforeSleep = 1_000

    private func workerLoop(index: Int) {
        var seen: UInt64 = 0
        while true {
            var spins = 0
            while state.load(ordering: .acquiring) >> 40 == seen {
                spins += 1
                if spins > Self.spinsBeforeYield + Self.yieldsBeforeSleep {
                    pthread_mutex_lock(&mutex)
                    while state.load(ordering: .acquiring) >> 40 == seen { pthread_cond_wait(&wake, &mutex) }
                    pthread_mutex_unlock(&mutex)
                } else if spins > Self.spinsBeforeYield {
                    sched_yield()
                }
            }
            seen = state.load(ordering: .acquiring) >> 40
            work(generation: seen, thread: index)
        }
    }
}
