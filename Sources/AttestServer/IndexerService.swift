import AttestIngest
import AttestStore
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the query index right behind the ledger, off the acknowledgement path.
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

    let reader: any EventReader
    let logger: Logger
    let pending = Mutex<[String: [IndexRow]]>([:])
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init(reader: any EventReader, logger: Logger) {
        self.reader = reader
        self.logger = logger
        (wakeup, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Takes the rows of a commit, to be indexed soon.
    func take(_ committed: CommittedBatch) {
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
        _ = try await reader.updateIndex(tenant: tenant, batch: 10_000, prepared: rows)
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeup {
                // Let commits gather so they are indexed in one transaction (the index has its own
                // database and writer, so this never delays an append).
                try? await Task.sleep(for: Self.gather)
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
