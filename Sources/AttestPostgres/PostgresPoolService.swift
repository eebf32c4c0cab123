import Logging
import ServiceLifecycle
import Synchronization

/// Runs a ``PostgresLedgerStore``'s connection pool from before the service group starts (the
/// store is opened while wiring) until graceful shutdown reaches it. Listed first in the service
/// group, so it stops last: after the sequencer has committed what was queued.
public final class PostgresPoolService: Service, Sendable {
    let store: PostgresLedgerStore
    let task = Mutex<Task<Void, Never>?>(nil)

    public init(store: PostgresLedgerStore) { self.store = store }

    /// Starts the pool (idempotent).
    public func start() {
        task.withLock { t in
            guard t == nil else { return }
            let store = self.store
            t = Task { await store.run() }
        }
    }

    /// Stops the pool: connections close, queries in flight fail.
    public func stop() {
        task.withLock { $0?.cancel() }
    }

    /// How long shutdown waits for the pool to close its connections.
    static let closeTimeout: Duration = .seconds(10)

    public func run() async throws {
        start()
        try? await gracefulShutdown()
        stop()
        guard let running = task.withLock({ $0 }) else { return }
        // Everything that used the pool has stopped by now. Nodes were seen hanging after SIGTERM
        // with every connection closed and no thread working (cause not found; it may or may not
        // be this wait, as the pool also closes idle connections by itself): bounded and reported.
        if await !Self.finishes(running, within: Self.closeTimeout) {
            store.logger.warning(
                "the PostgreSQL connection pool did not close within \(Self.closeTimeout) of shutdown; stopping without waiting for it"
            )
        }
    }

    /// Whether `task` finishes within `limit`; it is not waited for past that (awaiting a task's
    /// value cannot be cancelled).
    static func finishes(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
        let first = FirstAnswer()
        return await withCheckedContinuation { continuation in
            first.waiting.withLock { $0 = continuation }
            Task {
                await task.value
                first.answer(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                first.answer(false)
            }
        }
    }
}

/// A continuation resumed by the first answer only.
final class FirstAnswer: Sendable {
    let waiting = Mutex<CheckedContinuation<Bool, Never>?>(nil)
    func answer(_ value: Bool) { waiting.withLock { $0.take() }?.resume(returning: value) }
}
