import AttestCore
import AttestPostgres
import AttestStore
import AttestTesting
import Foundation
import Testing

/// The store contract, run on every backend: SQLite always, PostgreSQL under scripts/test.
@Suite("Ledger store (every backend)")
struct LedgerStoreTests {
    @Test("append returns receipts in order and a checkpoint signed in the same transaction", arguments: Backend.enabled)
    func appendAndReceipts(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        let result = try await t.store.append(tenant: "default", events: Fixtures.events(5), receivedAt: .now())
        #expect(result.receipts.map(\.seq) == [0, 1, 2, 3, 4])
        #expect(result.receipts.map(\.id) == (0..<5).map { "evt-\($0)" })
        #expect(!result.receipts.contains { $0.duplicate })
        #expect(result.checkpoint.size == 5)
        let signed = try SignedCheckpoint(verifying: result.checkpoint.note, with: try t.verifier())
        #expect(signed.checkpoint.root == result.checkpoint.root)
        #expect(signed.checkpoint.origin == "attest.test/default")
        #expect(Merkle.root(of: result.receipts.map(\.hash)) == result.checkpoint.root)
        let entries = try await t.store.entries(tenant: "default", from: 0, limit: 100)
        #expect(entries.map(\.hash) == result.receipts.map(\.hash))
        #expect(try await t.verify().ok)
    }

    @Test("a new log starts with a signed checkpoint of size 0", arguments: Backend.enabled)
    func emptyLog(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        let info = try await t.store.log(tenant: "acme", create: true)
        #expect(info?.origin == "attest.test/acme")
        let c = try #require(try await t.store.latestCheckpoint(tenant: "acme"))
        #expect(c.size == 0)
        #expect(c.root == Merkle.emptyRoot)
        #expect(try await t.verify("acme").ok)
        #expect(try await t.store.log(tenant: "nobody", create: false) == nil)
    }

    @Test("a repeated id returns the first receipt and adds nothing, across and within batches", arguments: Backend.enabled)
    func idempotency(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        let first = try await t.store.append(tenant: "default", events: Fixtures.events(3), receivedAt: .now())
        var events = Fixtures.events(2, from: 1)  // evt-1, evt-2 again
        events += Fixtures.events(1, from: 10)  // evt-10 new
        events += Fixtures.events(1, from: 10)  // evt-10 again in the same batch
        let second = try await t.store.append(tenant: "default", events: events, receivedAt: .now())
        #expect(second.receipts.map(\.duplicate) == [true, true, false, true])
        #expect(second.receipts[0] == Receipt(id: "evt-1", seq: 1, hash: first.receipts[1].hash, duplicate: true))
        #expect(second.receipts[2].seq == 3)
        #expect(second.receipts[3].seq == 3)
        #expect(second.checkpoint.size == 4)
        // All duplicates: no new checkpoint, the latest is returned.
        let third = try await t.store.append(tenant: "default", events: Fixtures.events(2), receivedAt: .now())
        #expect(third.receipts.allSatisfy { $0.duplicate })
        #expect(third.checkpoint == second.checkpoint)
        #expect(try await t.verify().ok)
    }

    @Test("tenants are separate logs with their own origins, seqs and keys", arguments: Backend.enabled)
    func tenants(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        try await t.fill(5, tenant: "alpha")
        try await t.fill(3, tenant: "beta")
        // The same event id in two tenants is two events.
        let a = try await t.store.append(tenant: "alpha", events: Fixtures.events(1, from: 100), receivedAt: .now())
        let b = try await t.store.append(tenant: "beta", events: Fixtures.events(1, from: 100), receivedAt: .now())
        #expect(a.receipts[0].seq == 5 && !a.receipts[0].duplicate)
        #expect(b.receipts[0].seq == 3 && !b.receipts[0].duplicate)
        #expect(try await t.store.logs().map(\.origin) == ["attest.test/alpha", "attest.test/beta"])
        #expect(try await t.verify("alpha").ok)
        #expect(try await t.verify("beta").ok)
        #expect(try await t.store.event(tenant: "beta", id: "evt-100")?.seq == 3)
        #expect(try await t.store.event(tenant: "beta", id: "evt-4") == nil)
        // One tenant's key does not verify the other's log.
        let crossed = await StoreVerifier.verify(store: t.store, tenant: "alpha", key: try t.verifier("beta"))
        #expect(crossed.failure?.code == .keyMismatch)
        await #expect(throws: StoreError.self) { try await t.store.log(tenant: "Bad Tenant", create: true) }
    }

    @Test("inclusion and consistency proofs from the store verify against signed roots, as the log grows", arguments: Backend.enabled)
    func proofs(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        let vkey = try t.verifier()
        var size = 0
        var rng = Fixtures.Rng(seed: 7)
        // Batches of varied sizes so checkpoints land on odd sizes. 300 entries reach the stored levels (>= 4);
        // 700 and 1,300 the levels SQLite keeps in memory (>= 8), which must grow with the log between proofs.
        for target in [300, 700, 1300] {
            while size < target {
                let n = Int(rng.next() % 23) + 1
                try await t.fill(n, batch: n, from: size)
                size += n
            }
            let leaves = try await t.store.entries(tenant: "default", from: 0, limit: size + 1).map(\.hash)
            #expect(leaves.count == size)
            for _ in 0..<40 {
                // Half the proofs at the newest sizes, where the in-memory levels end.
                let treeSize = rng.next() % 2 == 0 ? UInt64(size) - rng.next() % 40 : UInt64(rng.next() % UInt64(size)) + 1
                let cp = try await t.store.checkpoint(tenant: "default", size: treeSize)
                let signed = try SignedCheckpoint(verifying: cp.note, with: vkey)
                #expect(signed.checkpoint.size == treeSize)
                #expect(try await t.store.compactRange(tenant: "default", size: treeSize).root == cp.root)
                let seq = rng.next() % treeSize
                let leaf = try await t.store.entries(tenant: "default", from: seq, limit: 1)[0].hash
                #expect(leaf == leaves[Int(seq)])
                let proof = try await t.store.inclusionProof(tenant: "default", seq: seq, size: treeSize)
                #expect(proof == (try Merkle.inclusionProof(index: seq, size: treeSize, leaves: leaves)))
                #expect((try? Merkle.verifyInclusion(leafHash: leaf, index: seq, size: treeSize, proof: proof, root: cp.root).get()) != nil)
                let older = rng.next() % treeSize + 1
                let oldRoot = try await t.store.checkpoint(tenant: "default", size: older).root
                let cproof = try await t.store.consistencyProof(tenant: "default", from: older, to: treeSize)
                #expect(cproof == (try Merkle.consistencyProof(from: older, to: treeSize, leaves: leaves)))
                #expect(
                    (try? Merkle.verifyConsistency(oldSize: older, newSize: treeSize, oldRoot: oldRoot, newRoot: cp.root, proof: cproof).get()) != nil
                )
            }
        }
        await #expect(throws: StoreError.self) { try await t.store.inclusionProof(tenant: "default", seq: 5, size: 5) }
        await #expect(throws: StoreError.self) { try await t.store.inclusionProof(tenant: "default", seq: 0, size: 10_000) }
        await #expect(throws: StoreError.self) { try await t.store.consistencyProof(tenant: "default", from: 9, to: 3) }
    }

    @Test("a failed append writes nothing", arguments: Backend.enabled)
    func atomicity(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        try await t.fill(7)
        let failing = try await t.reopen(signers: FailingSigners(inner: Ed25519LogSigners(key: t.key)), prefix: "attest.test")
        await #expect(throws: (any Error).self) {
            try await failing.append(tenant: "default", events: Fixtures.events(5, from: 7), receivedAt: .now())
        }
        #expect(try await t.store.latestCheckpoint(tenant: "default")?.size == 7)
        #expect(try await t.store.entries(tenant: "default", from: 0, limit: 100).count == 7)
        #expect(try await t.store.event(tenant: "default", id: "evt-8") == nil)
        #expect(try await t.verify().ok)
    }

    @Test("the origin prefix is fixed when the store is created", arguments: Backend.enabled)
    func originPrefix(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        try await t.fill(1)
        await #expect(throws: StoreError.self) {
            _ = try await t.reopen(signers: Ed25519LogSigners(key: t.key), prefix: "other.example")
        }
        await #expect(throws: StoreError.self) {
            _ = try await t.reopen(signers: Ed25519LogSigners(key: t.key), prefix: "bad prefix")
        }
        let reopened = try await t.reopen(signers: Ed25519LogSigners(key: t.key))
        #expect(try await reopened.log(tenant: "default", create: false)?.origin == "attest.test/default")
        #expect(try await reopened.latestCheckpoint(tenant: "default")?.size == 1)
    }

    @Test("several writers on one store (nodes) append concurrently into one gapless, valid chain", arguments: Backend.enabled)
    func concurrentWriters(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        try await t.fill(1)
        var writers: [any AttestStorage] = [t.store]
        for _ in 0..<2 { writers.append(try await t.reopen(signers: Ed25519LogSigners(key: t.key))) }
        let nodes = writers
        let receipts = try await withThrowingTaskGroup(of: [Receipt].self) { group in
            for (n, store) in nodes.enumerated() {
                for client in 0..<3 {
                    group.addTask {
                        var out: [Receipt] = []
                        for round in 0..<8 {
                            let base = 1000 + n * 10_000 + client * 1000 + round * 10
                            let r = try await store.append(tenant: "default", events: Fixtures.events(1 + round % 4, from: base), receivedAt: .now())
                            out += r.receipts
                        }
                        return out
                    }
                }
            }
            var all: [Receipt] = []
            for try await r in group { all += r }
            return all
        }
        let seqs = receipts.map(\.seq).sorted()
        #expect(!receipts.contains { $0.duplicate })
        #expect(seqs == Array(1...UInt64(receipts.count)), "seqs must be unique and gapless")
        let size = try #require(try await t.store.latestCheckpoint(tenant: "default")).size
        #expect(size == UInt64(receipts.count) + 1)
        let entries = try await t.store.entries(tenant: "default", from: 0, limit: 10_000)
        for r in receipts { #expect(entries[Int(r.seq)].hash == r.hash) }
        #expect(try await t.verify().ok)
    }

    @Test("the query index follows the log and serves every filter", arguments: Backend.enabled)
    func indexAndQuery(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        try await t.fill(25)
        #expect(try await t.store.updateIndex(tenant: "default", batch: 7) == 25)
        var q = EventQuery()
        q.limit = 1000
        let all = try await t.store.query(tenant: "default", q)
        #expect(all.items.map(\.seq) == Array((0..<25).reversed()))
        func seqs(_ edit: (inout EventQuery) -> Void) async throws -> [UInt64] {
            var q = EventQuery()
            q.order = .ascending
            edit(&q)
            return try await t.store.query(tenant: "default", q).items.map(\.seq)
        }
        #expect(try await seqs { $0.actor = "agent-3" } == [3, 10, 17, 24])
        #expect(try await seqs { $0.onBehalfOf = "user-1" } == Array(stride(from: 1, to: 25, by: 3)))
        #expect(try await seqs { $0.action = "file.write" } == [2, 9, 16, 23])
        #expect(try await seqs { $0.action = "file.*" } == [2, 9, 16, 23])
        #expect(try await seqs { $0.outcome = "failure" } == [0, 11, 22])
        #expect(try await seqs { $0.category = "admin" } == [3, 10, 17, 24])
        #expect(try await seqs { $0.ownedBy = "user-2" }.count == 8)
        #expect(try await seqs { $0.agent = "claude-code" }.count == 25)
        #expect(try await seqs { $0.agent = "other" }.isEmpty)
        // Keyset pages: 25 events in pages of 10.
        var page = EventQuery()
        page.limit = 10
        let p1 = try await t.store.query(tenant: "default", page)
        #expect(p1.items.map(\.seq) == Array((15..<25).reversed()))
        page.after = p1.nextAfter
        let p2 = try await t.store.query(tenant: "default", page)
        #expect(p2.items.first?.seq == 14)
        page.after = 5
        let last = try await t.store.query(tenant: "default", page)
        #expect(last.items.map(\.seq) == [4, 3, 2, 1, 0] && last.nextAfter == nil)
        try await t.fill(5, from: 25)
        #expect(try await t.store.updateIndex(tenant: "default", batch: 10_000) == 30)
        #expect(try await t.store.query(tenant: "other", q).items.isEmpty)
    }

    @Test("the indexer takes rows handed over for the entries they cover and reads the gaps back", arguments: Backend.enabled)
    func preparedIndexRows(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        let received = Timestamp(microseconds: 1_790_000_000_000_000)
        var rows: [IndexRow] = []
        for from in stride(from: 0, to: 30, by: 10) {
            let events = Fixtures.events(10, from: from)
            let result = try await t.store.append(tenant: "default", events: events, receivedAt: received)
            for (event, receipt) in zip(events, result.receipts) {
                rows.append(IndexRow(seq: receipt.seq, receivedAt: received, event: event))
            }
        }
        // A row handed over is exactly the row read back from the stored entry.
        let stored = try await t.store.entries(tenant: "default", from: 0, limit: 30)
        #expect(try stored.map { try IndexRow(seq: $0.seq, entry: $0.bytes) } == rows)
        // Prepared rows are used as given (a marked row shows it), the gap 10..<20 is read back.
        var prepared = rows.filter { !(10..<20).contains($0.seq) }
        let marked = try IndexRow(seq: 5, entry: Self.entryBytes(stored[5], actor: "handed-over"))
        prepared[5] = marked
        #expect(try await t.store.updateIndex(tenant: "default", batch: 4, prepared: prepared) == 30)
        var q = EventQuery()
        q.order = .ascending
        q.actor = "handed-over"
        #expect(try await t.store.query(tenant: "default", q).items.map(\.seq) == [5])
        q.actor = nil
        q.limit = 1000
        #expect(try await t.store.query(tenant: "default", q).items.map(\.seq) == Array(0..<30))
        q.actor = "agent-3"
        #expect(try await t.store.query(tenant: "default", q).items.map(\.seq) == [3, 10, 17, 24])
    }

    @Test("a run of handed-over rows starts at the asked seq, stops at a gap, the limit and the end")
    func indexRowRuns() throws {
        let events = Fixtures.events(1)
        let received = Timestamp(microseconds: 1)
        let rows = [0, 1, 2, 5, 6, 7, 8].map { IndexRow(seq: $0, receivedAt: received, event: events[0]) }
        func run(_ from: UInt64, _ end: UInt64 = 100, _ limit: Int = 100) -> [UInt64] {
            IndexRow.run(in: rows, from: from, below: end, limit: limit).map(\.seq)
        }
        #expect(run(0) == [0, 1, 2])
        #expect(run(1) == [1, 2])
        #expect(run(3).isEmpty)
        #expect(run(5) == [5, 6, 7, 8])
        #expect(run(5, 100, 2) == [5, 6])
        #expect(run(5, 7) == [5, 6])
        #expect(run(8, 8).isEmpty)
        #expect(run(9).isEmpty)
        #expect(IndexRow.run(in: [], from: 0, below: 10, limit: 10).isEmpty)
    }

    /// The bytes of `entry` with its event's actor id replaced (to tell handed-over rows apart).
    static func entryBytes(_ entry: StoredEntry, actor: String) throws -> [UInt8] {
        let parsed = try LedgerEntry(parsing: JSONParser.parse(entry.bytes, limits: .ledger))
        guard case .object(var event) = parsed.event, case .object(var a)? = event["actor"] else { throw StoreError(.corrupt, "no actor") }
        a["id"] = .string(actor)
        event["actor"] = .object(a)
        return LedgerEntry(origin: parsed.origin, seq: parsed.seq, prev: parsed.prev, receivedAt: parsed.receivedAt, event: .object(event))
            .canonicalBytes
    }

    @Test("the incremental verifier continues where it stopped and reaches the signed root", arguments: Backend.enabled)
    func incrementalVerifier(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        try await t.fill(30, batch: 7)
        var verifier = try await LogVerifier(store: t.store, tenant: "default", key: try t.verifier())
        let first = try #require(try await t.store.latestCheckpoint(tenant: "default"))
        try await verifier.advance(store: t.store, upTo: first.size)
        #expect(verifier.verifiedSize == 30 && verifier.root == first.root)
        #expect(verifier.checkpointsChecked == 6)  // size 0 and five batches
        try await t.fill(20, batch: 7, from: 30)
        let second = try #require(try await t.store.latestCheckpoint(tenant: "default"))
        try await verifier.advance(store: t.store, upTo: second.size)
        #expect(verifier.verifiedSize == 50 && verifier.root == second.root)
        #expect(verifier.checkpointsChecked == 9)
        // Asking for more than is stored is a gap, named at the first missing seq.
        do {
            try await verifier.advance(store: t.store, upTo: 60)
            Issue.record("advanced beyond the stored entries")
        } catch let f as VerificationFailure {
            #expect(f.code == .sequenceGap && f.seq == 50)
        }
        // The wrong key is refused before anything is read: it is not in the log's key history.
        let other = try Ed25519NoteSigner.generate(name: "attest.test/default").verifier
        try await t.fill(1, from: 50)
        do {
            _ = try await LogVerifier(store: t.store, tenant: "default", key: other)
            Issue.record("a key outside the log's history was accepted")
        } catch let f as VerificationFailure {
            #expect(f.code == .keyMismatch)
        }
        // From the start, up to more than is stored: the rows read, then the gap after the last one.
        var fresh = try await LogVerifier(store: t.store, tenant: "default", key: try t.verifier())
        do {
            try await fresh.advance(store: t.store, upTo: 60)
            Issue.record("advanced beyond the stored entries")
        } catch let f as VerificationFailure {
            #expect(f.code == .sequenceGap && f.seq == 51, "\(f)")
        }
        #expect(fresh.verifiedSize == 51)
    }

    @Test("tokens and follower cursors", arguments: Backend.enabled)
    func tokensAndCursors(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        _ = try await t.store.log(tenant: "default", create: true)
        _ = try await t.store.log(tenant: "acme", create: true)
        let hash = Array(repeating: UInt8(7), count: 32)
        let record = TokenRecord(tenant: "acme", name: "ci", role: .ingest, subject: nil, createdAt: Timestamp(microseconds: 1_000_000))
        try await t.store.createToken(record, secretHash: hash)
        await #expect(throws: StoreError.self) { try await t.store.createToken(record, secretHash: Array(repeating: 8, count: 32)) }
        #expect(try await t.store.token(secretHash: hash) == record)
        #expect(try await t.store.token(secretHash: Array(repeating: 9, count: 32)) == nil)
        #expect(try await t.store.tokens(tenant: "acme") == [record])
        #expect(try await t.store.tokens(tenant: "default").isEmpty)
        #expect(try await t.store.token(tenant: "acme", name: "ci") == record)
        #expect(try await t.store.deleteToken(tenant: "acme", name: "ci"))
        #expect(try await !t.store.deleteToken(tenant: "acme", name: "ci"))
        #expect(try await t.store.token(secretHash: hash) == nil)
        #expect(try await t.store.cursor(follower: "siem", tenant: "acme") == 0)
        try await t.store.setCursor(follower: "siem", tenant: "acme", position: 42)
        try await t.store.setCursor(follower: "siem", tenant: "acme", position: 43)
        #expect(try await t.store.cursor(follower: "siem", tenant: "acme") == 43)
        #expect(try await t.store.cursor(follower: "siem", tenant: "default") == 0)
    }
}

/// Usage analytics next to the ledger, on every backend.
@Suite("Usage analytics store (every backend)")
struct AnalyticsStoreTests {
    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test("delta and cumulative points add up per group; restarts count from zero; tenants are apart", arguments: Backend.enabled)
    func usage(_ backend: Backend) async throws {
        let t = try await BackendStore.make(backend)
        _ = try await t.store.log(tenant: "default", create: true)
        _ = try await t.store.log(tenant: "acme", create: true)
        let day1 = Self.at("2026-12-01T10:00:00Z")
        let day2 = Self.at("2026-12-02T10:00:00Z")
        func p(
            _ m: UsageMeasure,
            _ v: Double,
            _ time: Timestamp,
            user: String,
            model: String = "m1",
            series: String = "",
            start: UInt64 = 0,
            cumulative: Bool = false
        ) -> UsagePoint {
            UsagePoint(
                series: series,
                measure: m,
                time: time,
                startNanos: start,
                value: v,
                cumulative: cumulative,
                user: user,
                agent: "claude-code",
                model: model
            )
        }
        try await t.store.recordUsage(
            tenant: "default",
            points: [
                p(.inputTokens, 100, day1, user: "alice"),
                p(.costUSD, 0.25, day1, user: "alice"),
                p(.toolCalls, 1, day1, user: "bob", model: "m2"),
                // A cumulative series: 10 (+10), then 25 (+15), 25 (+0), then 5 after a restart with a new start (+5).
                p(.outputTokens, 10, day1, user: "alice", series: "s1", start: 1, cumulative: true),
            ]
        )
        try await t.store.recordUsage(
            tenant: "default",
            points: [
                p(.outputTokens, 25, day2, user: "alice", series: "s1", start: 1, cumulative: true),
                p(.outputTokens, 25, day2, user: "alice", series: "s1", start: 1, cumulative: true),  // no change: adds nothing
                p(.outputTokens, 5, day2, user: "alice", series: "s1", start: 2, cumulative: true),
            ]
        )
        try await t.store.recordUsage(tenant: "acme", points: [p(.inputTokens, 999, day1, user: "alice")])

        let byUser = try await t.store.usage(tenant: "default", from: nil, to: nil, groupBy: .user)
        #expect(byUser.map(\.key) == ["alice", "bob"])
        #expect(byUser[0].totals == [.inputTokens: 100, .costUSD: 0.25, .outputTokens: 30])
        #expect(byUser[1].totals == [.toolCalls: 1])
        let byDay = try await t.store.usage(tenant: "default", from: nil, to: nil, groupBy: .day)
        #expect(byDay.map(\.key) == ["2026-12-01", "2026-12-02"])
        #expect(byDay[1].totals == [.outputTokens: 20])
        let byModel = try await t.store.usage(tenant: "default", from: Self.at("2026-12-02T00:00:00Z"), to: nil, groupBy: .model)
        #expect(byModel == [UsageRow(key: "m1", totals: [.outputTokens: 20])])
        let window = try await t.store.usage(tenant: "default", from: day1, to: Self.at("2026-12-01T10:00:00.000001Z"), groupBy: .agent)
        #expect(window == [UsageRow(key: "claude-code", totals: [.inputTokens: 100, .costUSD: 0.25, .outputTokens: 10, .toolCalls: 1])])
        #expect(try await t.store.usage(tenant: "acme", from: nil, to: nil, groupBy: .user) == [UsageRow(key: "alice", totals: [.inputTokens: 999])])
        // Analytics are not ledger data: the log is unchanged.
        #expect(try await t.store.latestCheckpoint(tenant: "default")?.size == 0)
    }
}
