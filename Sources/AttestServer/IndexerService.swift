import AttestIngest
import AttestStore
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the query index right behind the ledger, off the acknowledgement path as long as it keeps
/// up: past ``maxLag`` entries behind, the sequencer waits for it (``admit()``).
///
/// The sequencer hands over the index rows of every commit; the indexer writes them a quarter of a
/// second later, so that many commits share one index transaction (fewer page writes: the eight
/// query indexes are each touched all over). Entries it has no rows for (written by another
/// process, by a key rotation, or dropped past ``maxPendingRows``) are read back from the ledger.
final class IndexerService: Service, Sendable {
    /// How long commits gather before they are indexed together.
    static let gather: Duration = .milliseconds(250)
    /// Rows held per tenant at most; past that the oldest are dropped (and read back later).
    static let maxPendingRows = 50_000

    /// Entries the index may lag the ledger by, per tenant, before the sequencer waits for it
    /// (``admit()``): about half a second of ingest at full speed here.
    static let maxLag: UInt64 = 20_000
    /// How long the sequencer waits for the index at most per transaction (an index that fails
    /// or is stuck must not stop the ledger): 2 s in the service.
    let maxWait: Duration

    let reader: any EventReader
    let logger: Logger
    let pending = Mutex<[String: [IndexRow]]>([:])
    /// Per tenant, the log size last committed and the size indexed so far.
    let progress = Mutex<[String: (committed: UInt64, indexed: UInt64)]>([:])
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init(reader: any EventReader, logger: Logger, maxWait: Duration = .seconds(2)) {
        self.reader = reader
        self.logger = logger
        self.maxWait = maxWait
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
        pending.withLock { p in
            var rows = p.removeValue(forKey: committed.tenant) ?? []
            rows.append(contentsOf: committed.rows)
            if rows.count > Self.maxPendingRows { rows.removeFirst(rows.count - Self.maxPendingRows) }
            p[committed.tenant] = rows
        }
        wake.yield()
    }

    /// Indexes `tenant` now (queries call this so they never miss an acknowledged event).
    func catchUp(_ tenant: String) async throws {
        let rows = pending.withLock { $0.removeValue(forKey: tenant) } ?? []
        let committed = rows.last.map { $0.seq + 1 } ?? 0
        let indexed = try await reader.updateIndex(tenant: tenant, batch: 10_000, prepared: rows)
        progress.withLock { all in
            let p = all[tenant] ?? (committed: 0, indexed: 0)
            all[tenant] = (max(p.committed, committed, indexed), max(p.indexed, indexed))
        }
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
