import CAttestSystem
import Foundation

/// A task executor with one thread of its own, at a given scheduling niceness, for background
/// work that is mostly CPU: the continuous verification (``background``, nice 10).
///
/// Swift's cooperative pool has as many threads as cores (two on the benchmark machine). A
/// verification pass checks its entries in chunks of 4,096 without suspending, so on that pool it
/// held one of the two threads for tens of milliseconds at a time (seconds over a pass after a
/// long burst of ingest), and request handlers queued behind it: a query's p99 rose by about
/// 4 ms with a pass every 5 s under light ingest (docs/PERFORMANCE.md). On this thread the work yields
/// to the request handlers whenever they need the cores, and takes what they leave; when the
/// machine is busy for long, the verification falls behind and catches up afterwards (its lag is
/// in `/readyz` and `/metrics`).
///
/// Hand-written: neither the standard library nor SwiftNIO on this machine offers a thread-backed
/// `TaskExecutor`. Each lives as long as the process.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's executor for background work (nice 10).
    public static let background = ThreadExecutor(name: "attest-bg", nice: 10)

    // `pending` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var pending: [UnownedJob] = []
    /// Whether the thread's niceness was set (false where the system refuses it).
    public private(set) nonisolated(unsafe) var lowered = false

    /// `name` (at most 15 bytes, Linux's limit) is the thread's name in `top -H`, `perf` and `/proc`.
    private init(name: String, nice: Int32) {
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [unowned self] in
            _ = attest_set_thread_name(name)
            self.lowered = attest_set_thread_nice(nice) == 0
            ready.signal()
            self.loop()
        }
        thread.start()
        ready.wait()
    }

    /// The calling thread's name as the system has it ("" where it cannot tell).
    public static func currentThreadName() -> String {
        var buf = [CChar](repeating: 0, count: 16)
        guard attest_thread_name(&buf, Int32(buf.count)) == 0 else { return "" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let jobs = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
