import AttestCore
import AttestPostgres
import AttestStore
import AttestTesting
import Foundation
import Synchronization
import Testing

/// Queries that read the entries beyond the query index from the rows of recent commits must
/// answer exactly as the index would once it has caught up.
@Suite("Recent rows beside the query index")
struct RecentRowsTests {
    // Pools with values that differ only in ways SQL tells apart: case, composed and decomposed
    // é (equal as Swift Strings, different bytes), prefixes of each other, non-ASCII.
    // Actions are dotted ASCII names (the schema), so prefixes differ in case and separators.
    static let actions = ["file.read", "file.write", "tool.call", "tool.x", "toolbox.open", "tool-x.run", "tool.edit_2", "Tool.call"]
    static let actors = ["a1", "a2", "A1", "caf\u{e9}", "cafe\u{301}", "a10"]
    static let users = ["u1", "u2", "caf\u{e9}", "a1"]
    static let outcomes = ["success", "denied", "error"]
    static let risks = ["none", "low", "medium", "high", "critical"]

    static func pick<T>(_ values: [T], _ rng: inout Fixtures.Rng) -> T { values[Int(rng.next() % UInt64(values.count))] }
    static func maybe(_ rng: inout Fixtures.Rng) -> Bool { rng.next() % 3 != 0 }

    static func event(_ i: Int, _ rng: inout Fixtures.Rng) -> AuditEvent {
        var e: [String: JSONValue] = [
            "id": .string("r-\(i)"),
            "time": .string(Timestamp(microseconds: 1_790_000_000_000_000 + Int64(rng.next() % 1_000) * 1_000_000).rfc3339),
            "action": .string(pick(actions, &rng)),
            "actor": ["type": "agent", "id": .string(pick(actors, &rng))],
        ]
        if maybe(&rng) { e["category"] = .string(pick(["tool_call", "data_change", "admin"], &rng)) }
        if maybe(&rng) { e["on_behalf_of"] = ["id": .string(pick(users, &rng))] }
        if maybe(&rng) { e["agent"] = ["id": .string(pick(["claude-code", "codex"], &rng))] }
        if maybe(&rng) { e["session"] = ["id": .string(pick(["s1", "s2", "s3"], &rng))] }
        if maybe(&rng) { e["resource"] = ["type": .string(pick(["repo", "db"], &rng)), "id": .string(pick(["r1", "r2"], &rng))] }
        if maybe(&rng) { e["outcome"] = ["status": .string(pick(outcomes, &rng))] }
        if maybe(&rng) { e["risk"] = ["level": .string(pick(risks, &rng))] }
        switch AuditEvent.validate(.object(e), receivedAt: .now()) {
        case .success(let event): return event
        case .failure(let problems): preconditionFailure("test event \(i) is invalid: \(problems)")
        }
    }

    static func query(_ rng: inout Fixtures.Rng, after bound: UInt64) -> EventQuery {
        var q = EventQuery()
        let coin = { (rng: inout Fixtures.Rng) in rng.next() % 4 == 0 }
        if coin(&rng) { q.actor = pick(actors, &rng) }
        if coin(&rng) { q.onBehalfOf = pick(users, &rng) }
        if coin(&rng) { q.agent = pick(["claude-code", "codex", "nobody"], &rng) }
        if coin(&rng) { q.action = pick(actions + ["tool*", "tool.*", "file.*", "*", "Tool*", "tool-*", "tool.e*"], &rng) }
        if coin(&rng) { q.category = pick(["tool_call", "admin"], &rng) }
        if coin(&rng) { q.resourceType = pick(["repo", "db"], &rng) }
        if coin(&rng) { q.resourceID = pick(["r1", "r2"], &rng) }
        if coin(&rng) { q.outcome = pick(outcomes, &rng) }
        if coin(&rng) { q.session = pick(["s1", "s3"], &rng) }
        if coin(&rng) { q.minRisk = Int(rng.next() % 5) }
        if coin(&rng) { q.ownedBy = pick(actors + users, &rng) }
        if coin(&rng) { q.from = Timestamp(microseconds: 1_790_000_000_000_000 + Int64(rng.next() % 1_000) * 1_000_000) }
        if coin(&rng) { q.to = Timestamp(microseconds: 1_790_000_000_000_000 + Int64(rng.next() % 1_000) * 1_000_000) }
        if rng.next() % 2 == 0 { q.order = .ascending }
        if coin(&rng) { q.after = rng.next() % (bound + 10) }
        q.limit = Int(1 + rng.next() % 12)
        return q
    }

    @Test("a page from the index and the recent rows equals the page of the caught-up index", arguments: Backend.enabled)
    func sameAnswers(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        var rng = Fixtures.Rng(seed: 7)
        var chunks: [[IndexRow]] = []
        var next = 0
        func append(_ n: Int) async throws {
            var events = (next..<(next + n)).map { Self.event($0, &rng) }
            next += n
            if n > 2 { events.append(events[1]) }  // a duplicate gets no seq and no row
            let received = Timestamp.now()
            let result = try await t.store.append(tenant: "default", events: events, receivedAt: received)
            chunks.append(zip(events, result.receipts).filter { !$0.1.duplicate }.map { IndexRow(seq: $0.1.seq, receivedAt: received, event: $0.0) })
        }
        for _ in 0..<12 { try await append(10) }
        let indexed = try await t.store.updateIndex(tenant: "default", batch: 50)
        #expect(indexed == 120)
        for _ in 0..<30 { try await append(Int(1 + rng.next() % 12)) }
        let size = chunks.last!.last!.seq + 1
        // The last two chunks the index holds are still there, as while their index transaction
        // commits: the rows used start where the index stops.
        let recent = RecentRows(chunks: Array(chunks[10...]))

        var queries: [EventQuery] = []
        var fast: [EventPage] = []
        for _ in 0..<400 {
            let q = Self.query(&rng, after: size)
            queries.append(q)
            fast.append(try #require(try await t.store.query(tenant: "default", q, recent: { recent })))
        }
        // Pages over the beyond-the-index part only (a filter matching just one event there).
        #expect(fast.contains { !$0.items.isEmpty && $0.items.allSatisfy { $0.seq >= indexed } })
        #expect(fast.contains { $0.items.contains { $0.seq < indexed } && $0.items.contains { $0.seq >= indexed } })

        #expect(try await t.store.updateIndex(tenant: "default", batch: 50) == size)
        var different = 0
        for (q, page) in zip(queries, fast) {
            let slow = try await t.store.query(tenant: "default", q)
            if slow != page {
                different += 1
                if different <= 3 {
                    Issue.record(
                        "\(q): recent rows gave \(page.items.map(\.seq)) next \(String(describing: page.nextAfter)), the index \(slow.items.map(\.seq)) next \(String(describing: slow.nextAfter))"
                    )
                }
            }
        }
        #expect(different == 0)
        // Every query found something somewhere, so the comparison is not of empty pages only.
        #expect(fast.filter { !$0.items.isEmpty }.count > 100)
    }

    @Test("rows that do not cover every entry beyond the index give no page", arguments: Backend.enabled)
    func gapsGiveNil(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        let events = Fixtures.events(30)
        let received = Timestamp.now()
        let first = try await t.store.append(tenant: "default", events: Array(events[..<10]), receivedAt: received)
        #expect(first.checkpoint.size == 10)
        _ = try await t.store.updateIndex(tenant: "default", batch: 100)
        let second = try await t.store.append(tenant: "default", events: Array(events[10...]), receivedAt: received)
        let rows = zip(events[10...], second.receipts).map { IndexRow(seq: $0.1.seq, receivedAt: received, event: $0.0) }
        var q = EventQuery()
        q.limit = 1000
        // All rows: the whole log; a missing middle row, a missing first or last row, or none: nil.
        let all = try #require(try await t.store.query(tenant: "default", q, recent: { RecentRows(chunks: [rows]) }))
        #expect(all.items.map(\.seq) == Array((0..<30).reversed()))
        let holes: [[[IndexRow]]] = [[Array(rows[..<5]), Array(rows[6...])], [Array(rows[1...])], [Array(rows[..<19])], []]
        for chunks in holes {
            #expect(try await t.store.query(tenant: "default", q, recent: { RecentRows(chunks: chunks) }) == nil)
        }
        // Once the index holds everything, no rows are needed.
        _ = try await t.store.updateIndex(tenant: "default", batch: 100)
        #expect(try await t.store.query(tenant: "default", q, recent: { RecentRows() }) == all)
    }

    @Test(
        "PostgreSQL: an index transaction committing between a query's position read and its index read counts no row twice",
        .enabled(if: PostgresTestServer.enabled, Comment(rawValue: PostgresTestServer.skipReason))
    )
    func indexerCommitsMidQuery() async throws {
        let t = try await BackendStore.make(.postgres)
        let store = try #require(t.store as? PostgresLedgerStore)
        let events = Fixtures.events(20)
        let received = Timestamp.now()
        _ = try await store.append(tenant: "default", events: Array(events[..<10]), receivedAt: received)
        #expect(try await store.updateIndex(tenant: "default", batch: 100) == 10)
        let second = try await store.append(tenant: "default", events: Array(events[10...]), receivedAt: received)
        let rows = zip(events[10...], second.receipts).map { IndexRow(seq: $0.1.seq, receivedAt: received, event: $0.0) }
        // Read committed: the index rows of 10..<20, committed by another connection after the
        // position (10) was read, are visible to the index read that follows.
        let indexedMidQuery = Mutex<UInt64?>(nil)
        store.afterIndexPosition.withLock { hook in
            hook = {
                guard indexedMidQuery.withLock({ $0 }) == nil else { return }
                let size = try await store.updateIndex(tenant: "default", batch: 100)
                indexedMidQuery.withLock { $0 = size }
            }
        }
        var q = EventQuery()
        q.limit = 1000
        let page = try #require(try await store.query(tenant: "default", q, recent: { RecentRows(chunks: [rows]) }))
        store.afterIndexPosition.withLock { $0 = nil }
        #expect(indexedMidQuery.withLock { $0 } == 20)
        #expect(page.items.map(\.seq) == Array((0..<20).reversed()))
    }

    @Test("recent rows keep commits as chunks, trim whole chunks, and drop what the index holds")
    func bookkeeping() throws {
        let event = try AuditEvent.validate(["action": "a.b", "actor": ["id": "x"]], receivedAt: .now()).get()
        func rows(_ r: Range<UInt64>) -> [IndexRow] { r.map { IndexRow(seq: $0, receivedAt: .now(), event: event) } }
        var recent = RecentRows()
        recent.append(rows(0..<5))
        recent.append([])
        recent.append(rows(5..<8))
        recent.append(rows(8..<20))
        #expect(recent.count == 20 && recent.chunks.count == 3)
        #expect(recent.flattened.map(\.seq) == Array(0..<20))
        #expect(recent.covering(from: 3, below: 12)?.map(\.seq) == Array(3..<12))
        #expect(recent.covering(from: 19, below: 20)?.map(\.seq) == [19])
        #expect(recent.covering(from: 7, below: 7) == [])
        #expect(recent.covering(from: 15, below: 21) == nil)
        recent.removeChunks(below: 6)  // the second chunk still has rows the index lacks
        #expect(recent.chunks.count == 2 && recent.count == 15)
        #expect(recent.covering(from: 4, below: 10) == nil)
        #expect(recent.covering(from: 6, below: 10)?.count == 4)
        recent.trim(to: 13)
        #expect(recent.chunks.count == 1 && recent.count == 12)
        recent.append(rows(25..<30))
        #expect(recent.covering(from: 8, below: 26) == nil)  // 20..<25 are missing
        recent.removeChunks(below: 100)
        #expect(recent.isEmpty && recent.chunks.isEmpty)
    }
}
