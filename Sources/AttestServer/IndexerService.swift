import AttestIngest
import AttestStore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Keeps the query index right behind the ledger, off the acknowledgement path as long as it keeps
/// up: past ``maxLag`` entries behind, the sequencer waits for it (``admit()``).
///
/// The sequencer hands over the index rows of every commit; the indexer writes them a quarter of a
/// second later, so that many commits share one index transaction (fewer page writes: the eight
/// query indexes are each touched all over). Entries it has no rows for (written by another
/// process, by a key rotation, or dropped past ``maxPendingRows``) are read back from the ledger.
/// It holds the rows until the index has them, so queries read them beside the index instead of
/// waiting for it (``recent(_:)``).
final class IndexerService: Service, Sendable {
    /// How long commits gather before they are indexed together.
    static let gather: Duration = .milliseconds(250)
    /// Rows held per tenant at most; past that the oldest are dropped (and read back later).
    static let maxPendingRows = 200_000
    /// Rows written in one index transaction at most. The cost of an index transaction is mostly
    /// the pages it dirties (each written to the WAL at commit and again at the checkpoint), and
    /// rows of one transaction share pages: the session and on-behalf-of indexes alone dirty a
    /// page per distinct value. Measured with the benchmark's events (5,000 sessions, 1,000 users)
    /// on a 500k-row index: 37k rows/s in transactions of 10,000, 44k of 20,000, 56k of 40,000,
    /// 59k of 80,000; in the service, batches of 100 at 8 connections ran about 30% faster with
    /// 50,000 (and ``maxLag`` 60,000) than with 10,000 (and 20,000).
    static let batch = 50_000

    /// Entries the index may lag the ledger by, per tenant, before the sequencer waits for it
    /// (``admit()``): about two seconds of ingest at full speed here, a little more than one
    /// index transaction (``batch``), so the indexer writes large transactions while the ledger
    /// goes on.
    static let maxLag: UInt64 = 60_000
    /// How long the sequencer waits for the index at most per transaction (an index that fails
    /// or is stuck must not stop the ledger): 2 s in the service.
    let maxWait: Duration

    let reader: any EventReader
    let logger: Logger
    /// Per tenant, the rows of commits not yet in the index; they leave once an index transaction
    /// holding them has committed, so queries can read them meanwhile (``recent(_:)``).
    let pending = Mutex<[String: RecentRows]>([:])
    /// Per tenant, the log size last committed and the size indexed so far.
    let progress = Mutex<[String: (committed: UInt64, indexed: UInt64)]>([:])
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    /// `attest_index_lag_entries`: ``lag`` after each commit handed over and each index transaction.
    let lagGauge: Gauge

    init(reader: any EventReader, logger: Logger, metrics: any MetricsFactory = NOOPMetricsHandler.instance, maxWait: Duration = .seconds(2)) {
        self.reader = reader
        self.logger = logger
        self.maxWait = maxWait
        lagGauge = Gauge(label: "attest_index_lag_entries", factory: metrics)
        (wakeup, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The largest lag of the index behind the ledger over the tenants whose index position is known.
    var lag: UInt64 {
        progress.withLock { all in all.values.map { $0.committed > $0.indexed ? $0.committed - $0.indexed : 0 }.max() ?? 0 }
    }

    /// Returns once the index is at most ``maxLag`` entries behind the ledger in every tenant, or
    /// after ``maxWait``. Ingest is as fast as the ledger and its index together can go: without
    /// this, a full-speed run of batches of 100 left the index 266 s behind at 10M entries, and a
    /// query (which brings the index up to date first) waited that long.
    func admit() async {
        guard lag > Self.maxLag else { return }
        let clock = ContinuousClock()
        let until = clock.now + maxWait
        wake.yield()
        while lag > Self.maxLag && clock.now < until {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Takes the rows of a commit, to be indexed soon.
    func take(_ committed: CommittedBatch) {
        progress.withLock { all in
            if var p = all[committed.tenant] {
                p.committed = max(p.committed, committed.size)
                all[committed.tenant] = p
            }
            // A tenant's lag counts once its indexed size is known (after its first catch-up).
        }
        lagGauge.record(lag)
        pending.withLock { p in
            p[committed.tenant, default: RecentRows()].append(committed.rows)
            p[committed.tenant]!.trim(to: Self.maxPendingRows)
        }
        wake.yield()
    }

    /// The rows of `tenant`'s commits that the index may not hold yet (a query reads them beside
    /// the index instead of waiting for it).
    func recent(_ tenant: String) -> RecentRows {
        pending.withLock { $0[tenant] } ?? RecentRows()
    }

    /// Indexes `tenant` now (a query whose entries are not all in ``recent(_:)`` calls this, so it
    /// never misses an acknowledged event).
    func catchUp(_ tenant: String) async throws {
        let rows = recent(tenant).flattened
        let committed = rows.last.map { $0.seq + 1 } ?? 0
        let indexed = try await reader.updateIndex(tenant: tenant, batch: Self.batch, prepared: rows)
        pending.withLock { p in
            p[tenant]?.removeChunks(below: indexed)
            if p[tenant]?.isEmpty == true { p[tenant] = nil }
        }
        progress.withLock { all in
            let p = all[tenant] ?? (committed: 0, indexed: 0)
            all[tenant] = (max(p.committed, committed, indexed), max(p.indexed, indexed))
        }
        lagGauge.record(lag)
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeup {
                // Let commits gather so they are indexed in one transaction (the index has its own
                // database and writer), unless the index is already far enough behind that the
                // sequencer may soon wait for it.
                if lag < Self.maxLag / 2 { try? await Task.sleep(for: Self.gather) }
                let tenants = pending.withLock { $0.keys.sorted() }
                for t in tenants {
                    do { try await catchUp(t) } catch { logger.error("indexing failed", metadata: ["tenant": "\(t)", "error": "\(error)"]) }
                }
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
    }
}
