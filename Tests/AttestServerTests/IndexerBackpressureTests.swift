import AttestCore
import AttestStore
import AttestTesting
import Foundation
import Logging
import Prometheus
import Synchronization
import Testing

@testable import AttestIngest
@testable import AttestServer

/// An index that writes only while its gate is open.
final class GatedIndex: EventReader {
    let open = Mutex(true)

    func updateIndex(tenant: String, batch: Int, prepared: [IndexRow]) async throws -> UInt64 {
        while !open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        return prepared.last.map { $0.seq + 1 } ?? 0
    }

    func updateIndex(tenant: String, batch: Int) async throws -> UInt64 { 0 }
    func query(tenant: String, _ query: EventQuery) async throws -> EventPage { throw StoreError(.notFound, "not here") }
    func event(tenant: String, id: String) async throws -> StoredEvent? { nil }
}

@Suite("The query index holds the ledger back")
struct IndexerBackpressureTests {
    static func rows(_ range: Range<UInt64>) -> [IndexRow] {
        let event = try! AuditEvent.validate(["action": "a.b", "actor": ["id": "x"]], receivedAt: .now()).get()
        return range.map { IndexRow(seq: $0, receivedAt: .now(), event: event) }
    }

    @Test("the sequencer waits while the index is more than maxLag behind, until the index moves")
    func admitWaitsForTheIndex() async throws {
        let index = GatedIndex()
        // A maxWait far longer than any test run, so that admit returning at all shows it saw the
        // index move. No upper bound on the time taken: on a loaded 2-core machine, tests running
        // beside this one have held the cooperative threads for more than 30 s (CI of b8e47a5).
        let registry = PrometheusCollectorRegistry()
        let indexer = IndexerService(
            reader: index,
            logger: Logger(label: "test"),
            metrics: PrometheusMetricsFactory(registry: registry),
            maxWait: .seconds(24 * 3600)
        )
        let loop = Task { try await indexer.run() }
        defer { loop.cancel() }
        let clock = ContinuousClock()

        // The index position is known after a first catch-up; in step, admit has nothing to wait for.
        indexer.take(CommittedBatch(tenant: "t", size: 10, rows: Self.rows(0..<10)))
        try await indexer.catchUp("t")
        #expect(indexer.lag == 0)
        await indexer.admit()

        // The index stops writing and the ledger runs ahead by more than maxLag: admit waits until
        // the index writes again.
        index.open.withLock { $0 = false }
        let ahead = 10 + IndexerService.maxLag + 5_000
        indexer.take(CommittedBatch(tenant: "t", size: ahead, rows: Self.rows(10..<ahead)))
        #expect(indexer.lag == IndexerService.maxLag + 5_000)
        #expect(registry.emitToString().contains("attest_index_lag_entries \(IndexerService.maxLag + 5_000)"), "\(registry.emitToString())")
        let started = clock.now
        let waited = Task { await indexer.admit() }
        try await Task.sleep(for: .milliseconds(300))
        index.open.withLock { $0 = true }
        await waited.value
        let took = clock.now - started
        #expect(took >= .milliseconds(300), "admit returned after \(took), before the index moved")
        #expect(indexer.lag == 0)
        #expect(registry.emitToString().contains("attest_index_lag_entries 0"))
    }

    @Test("an index that does not move holds the ledger for maxWait per transaction, then lets it go on")
    func admitGivesUp() async throws {
        let index = GatedIndex()
        let indexer = IndexerService(reader: index, logger: Logger(label: "test"), maxWait: .milliseconds(500))
        let loop = Task { try await indexer.run() }
        defer { loop.cancel() }
        indexer.take(CommittedBatch(tenant: "t", size: 10, rows: Self.rows(0..<10)))
        try await indexer.catchUp("t")
        index.open.withLock { $0 = false }
        let ahead = 10 + IndexerService.maxLag + 1
        indexer.take(CommittedBatch(tenant: "t", size: ahead, rows: Self.rows(10..<ahead)))
        let clock = ContinuousClock()
        let started = clock.now
        await indexer.admit()
        let held = clock.now - started
        // It waited maxWait, then returned although the index had not moved (its gate is still
        // shut, the lag still past maxLag): it gave up instead of waiting for the index. How much
        // longer than maxWait it took is not checked: that is the machine's load, not the code's
        // (tests beside this one have held the cooperative threads for more than 30 s in CI).
        #expect(held >= .milliseconds(500), "held for \(held)")
        #expect(!index.open.withLock { $0 })
        #expect(indexer.lag > IndexerService.maxLag)
        index.open.withLock { $0 = true }
    }
}

@Suite("Queries beside the indexer")
struct RecentRowsIndexerTests {
    @Test("the indexer keeps the rows of commits until the index holds them, and queries read them meanwhile")
    func rowsStayUntilIndexed() async throws {
        let dir = try TestEnvironment.temporaryDirectory("attest-server")
        let store = try SQLiteLedgerStore(
            path: dir.appendingPathComponent("ledger.sqlite").path,
            signers: Ed25519LogSigners(key: try Ed25519NoteSigner.generate(name: "installation")),
            options: .init(originPrefix: "attest.test")
        )
        // The indexer's loop does not run: nothing is indexed unless catchUp is called.
        let indexer = IndexerService(reader: store, logger: Logger(label: "test"))
        let events = Fixtures.events(25)
        for range in [0..<10, 10..<25] {
            let received = Timestamp.now()
            let result = try await store.append(tenant: "default", events: Array(events[range]), receivedAt: received)
            indexer.take(
                CommittedBatch(
                    tenant: "default",
                    size: result.checkpoint.size,
                    rows: zip(events[range], result.receipts).map { IndexRow(seq: $0.1.seq, receivedAt: received, event: $0.0) }
                )
            )
        }
        var q = EventQuery()
        q.limit = 1000
        q.actor = events[3].columns.actorID
        let expected = (0..<25).filter { events[$0].columns.actorID == q.actor }.map(UInt64.init).reversed()
        #expect(!expected.isEmpty)
        let page = try #require(try await store.query(tenant: "default", q, recent: { indexer.recent("default") }))
        #expect(page.items.map(\.seq) == Array(expected))
        // The index itself is empty: the page came from the rows.
        #expect(try await store.query(tenant: "default", q).items.isEmpty)
        #expect(indexer.recent("default").count == 25)

        try await indexer.catchUp("default")
        #expect(indexer.recent("default").isEmpty)
        #expect(try await store.query(tenant: "default", q).items.map(\.seq) == Array(expected))
        #expect(try await store.query(tenant: "default", q, recent: { indexer.recent("default") }) == page)
    }
}
