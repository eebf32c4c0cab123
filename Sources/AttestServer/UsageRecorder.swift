import AttestStore
import Logging
import ServiceLifecycle
import Synchronization

/// Writes the usage analytics of OTLP log records and spans (one point per matched record) a
/// quarter of a second behind the events, many requests in one transaction.
///
/// Each OTLP request used to write its points in a transaction of its own, after its events were
/// appended: with batches of 100 records at 32 connections, those transactions outnumbered the
/// ledger's own commits thirty to one and took about a sixth of the server's CPU (a commit each,
/// with its fsync, on the ledger's one writer). Usage analytics are not ledger data: the points
/// are decided when the events are durable (a retried request's duplicates add nothing), queries
/// of usage write what is waiting first, and shutdown writes everything. What a crash loses is at
/// most the last quarter of a second of these counts, never an event. Metric data points are
/// still written before their request is answered (an exporter retries them on failure).
final class UsageRecorder: Service, Sendable {
    /// How long points gather before they are written together.
    static let gather: Duration = .milliseconds(250)

    /// One tenant's points: those waiting, and the writes under way (numbered in the order their
    /// points were taken), with the flushes waiting for earlier writes to end.
    struct Tenant {
        var pending: [UsagePoint] = []
        var nextWrite: UInt64 = 0
        var writing: Set<UInt64> = []
        var waiters: [(upTo: UInt64, resume: CheckedContinuation<Void, Never>)] = []

        /// True when no write numbered below `upTo` is still under way.
        func done(upTo: UInt64) -> Bool { writing.allSatisfy { $0 >= upTo } }
    }

    let store: any AnalyticsStore
    let logger: Logger
    let tenants = Mutex<[String: Tenant]>([:])
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init(store: any AnalyticsStore, logger: Logger) {
        self.store = store
        self.logger = logger
        (wakeup, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Takes the points of a request whose events are durable, to be written soon.
    func record(tenant: String, points: [UsagePoint]) {
        guard !points.isEmpty else { return }
        tenants.withLock { $0[tenant, default: Tenant()].pending.append(contentsOf: points) }
        wake.yield()
    }

    /// Writes what waits for `tenant` now, and returns once every point recorded before the call is
    /// written (or its write has failed and been logged). A usage query calls this, so it sees
    /// every answered record: points the background loop took a moment earlier and is still
    /// writing are waited for too, not only those still waiting.
    func flush(_ tenant: String) async throws {
        let (points, number, upTo) = tenants.withLock { all -> ([UsagePoint], UInt64?, UInt64) in
            var t = all[tenant, default: Tenant()]
            defer { all[tenant] = t }
            guard !t.pending.isEmpty else { return ([], nil, t.nextWrite) }
            let number = t.nextWrite
            t.nextWrite += 1
            t.writing.insert(number)
            defer { t.pending = [] }
            return (t.pending, number, t.nextWrite)
        }
        var failure: (any Error)?
        if let number {
            do {
                try await store.recordUsage(tenant: tenant, points: points)
            } catch {
                logger.warning(
                    "usage analytics not recorded",
                    metadata: ["tenant": "\(tenant)", "points": "\(points.count)", "error": "\(error)"]
                )
                failure = error
            }
            finished(tenant, number)
        }
        await waitForWrites(tenant, below: upTo)
        if let failure { throw failure }
    }

    /// Marks write `number` as ended and wakes the flushes that no longer wait for anything.
    private func finished(_ tenant: String, _ number: UInt64) {
        let ready = tenants.withLock { all -> [CheckedContinuation<Void, Never>] in
            guard var t = all[tenant] else { return [] }
            t.writing.remove(number)
            var ready: [CheckedContinuation<Void, Never>] = []
            var still: [(upTo: UInt64, resume: CheckedContinuation<Void, Never>)] = []
            for waiter in t.waiters {
                if t.done(upTo: waiter.upTo) { ready.append(waiter.resume) } else { still.append(waiter) }
            }
            t.waiters = still
            all[tenant] = t
            return ready
        }
        for r in ready { r.resume() }
    }

    /// Returns when no write of `tenant` numbered below `upTo` is under way.
    private func waitForWrites(_ tenant: String, below upTo: UInt64) async {
        await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
            let now = tenants.withLock { all -> Bool in
                guard var t = all[tenant], !t.done(upTo: upTo) else { return true }
                t.waiters.append((upTo, resume))
                all[tenant] = t
                return false
            }
            if now { resume.resume() }
        }
    }

    /// Writes what waits for every tenant.
    func flushAll() async {
        for tenant in tenants.withLock({ $0.keys.sorted() }) {
            try? await flush(tenant)
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeup {
                try? await Task.sleep(for: Self.gather)
                await flushAll()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        await flushAll()
    }
}
