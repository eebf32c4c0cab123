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

    let store: any AnalyticsStore
    let logger: Logger
    let pending = Mutex<[String: [UsagePoint]]>([:])
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
        pending.withLock { $0[tenant, default: []].append(contentsOf: points) }
        wake.yield()
    }

    /// Writes what waits for `tenant` now (a usage query calls this, so it sees every answered record).
    func flush(_ tenant: String) async throws {
        guard let points = pending.withLock({ $0.removeValue(forKey: tenant) }) else { return }
        do {
            try await store.recordUsage(tenant: tenant, points: points)
        } catch {
            logger.warning(
                "usage analytics not recorded",
                metadata: ["tenant": "\(tenant)", "points": "\(points.count)", "error": "\(error)"]
            )
            throw error
        }
    }

    /// Writes what waits for every tenant.
    func flushAll() async {
        for tenant in pending.withLock({ $0.keys.sorted() }) {
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
