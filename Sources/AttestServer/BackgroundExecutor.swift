import CAttestSystem
import Foundation

/// A task executor with one thread of its own, at a lower scheduling priority (nice 10), for
/// background work that is mostly CPU: the continuous verification.
///
/// Swift's cooperative pool has as many threads as cores (two on the benchmark machine). A
/// verification pass checks its entries in chunks of 4,096 without suspending, so on that pool it
/// held one of the two threads for tens of milliseconds at a time (seconds over a pass after a
/// long burst of ingest), and request handlers queued behind it: a query's p99 rose by about
/// 4 ms with a pass every 5 s under light ingest (BENCHMARKS.md). On this thread the work yields
/// to the request handlers whenever they need the cores, and takes what they leave; when the
/// machine is busy for long, the verification falls behind and catches up afterwards (its lag is
/// in `/readyz` and `/metrics`).
///
/// Hand-written: neither the standard library nor SwiftNIO on this machine offers a thread-backed
/// `TaskExecutor`. One per process (``shared``); its thread lives as long as the process.
final class BackgroundExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's background executor.
    static let shared = BackgroundExecutor(name: "attest-background", nice: 10)

    // `pending` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var pending: [UnownedJob] = []
    /// Whether the thread's niceness was set (false where the system refuses it).
    private(set) nonisolated(unsafe) var lowered = false

    private init(name: String, nice: Int32) {
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [unowned self] in
            self.lowered = attest_set_thread_nice(nice) == 0
            ready.signal()
            self.loop()
        }
        thread.name = name
        thread.start()
        ready.wait()
    }

    func enqueue(_ job: consuming ExecutorJob) {
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
