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

    public func run() async throws {
        start()
        try? await gracefulShutdown()
        stop()
        await task.withLock { $0 }?.value
    }
}
