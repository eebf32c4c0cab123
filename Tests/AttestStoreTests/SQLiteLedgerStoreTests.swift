import AttestCore
import AttestStore
import AttestTesting
import Foundation
import GRDB
import Testing

@Suite("SQLite ledger store")
struct SQLiteLedgerStoreTests {
    @Test("append returns receipts in order and a checkpoint signed in the same transaction")
    func appendAndReceipts() async throws {
        let t = try TestStore()
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

    @Test("commits are durable: the writer runs with synchronous=FULL, not GRDB's WAL default NORMAL")
    func durableCommits() async throws {
        let t = try TestStore()
        #expect(try await t.store.synchronousMode() == 2)
        try await t.fill(3)
        #expect(try await t.store.synchronousMode() == 2)
    }

    @Test("a new log starts with a signed checkpoint of size 0")
    func emptyLog() async throws {
        let t = try TestStore()
        let info = try await t.store.log(tenant: "acme", create: true)
        #expect(info?.origin == "attest.test/acme")
        let c = try #require(try await t.store.latestCheckpoint(tenant: "acme"))
        #expect(c.size == 0)
        #expect(c.root == Merkle.emptyRoot)
        #expect(try await t.verify("acme").ok)
    }

    @Test("a repeated id returns the first receipt and adds nothing, across and within batches")
    func idempotency() async throws {
        let t = try TestStore()
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

    @Test("tenants are separate logs with their own origins, seqs and keys")
    func tenants() async throws {
        let t = try TestStore()
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
        // One tenant's key does not verify the other's log.
        let crossed = await StoreVerifier.verify(store: t.store, tenant: "alpha", key: try t.verifier("beta"))
        #expect(crossed.failure?.code == .keyMismatch)
        await #expect(throws: StoreError.self) { try await t.store.log(tenant: "Bad Tenant", create: true) }
    }

    @Test("inclusion and consistency proofs from the store verify against signed roots")
    func proofs() async throws {
        let t = try TestStore()
        // Batches of varied sizes so checkpoints land on odd sizes; 300 entries reach stored levels >= 4.
        var size = 0
        var rng = Fixtures.Rng(seed: 7)
        while size < 300 {
            let n = Int(rng.next() % 23) + 1
            try await t.fill(n, batch: n, from: size)
            size += n
        }
        let vkey = try t.verifier()
        for _ in 0..<60 {
            let treeSize = UInt64(rng.next() % UInt64(size)) + 1
            let cp = try await t.store.checkpoint(tenant: "default", size: treeSize)
            let signed = try SignedCheckpoint(verifying: cp.note, with: vkey)
            #expect(signed.checkpoint.size == treeSize)
            #expect(try await t.store.compactRange(tenant: "default", size: treeSize).root == cp.root)
            let seq = rng.next() % treeSize
            let leaf = try await t.store.entries(tenant: "default", from: seq, limit: 1)[0].hash
            let proof = try await t.store.inclusionProof(tenant: "default", seq: seq, size: treeSize)
            #expect((try? Merkle.verifyInclusion(leafHash: leaf, index: seq, size: treeSize, proof: proof, root: cp.root).get()) != nil)
            let older = rng.next() % treeSize + 1
            let oldRoot = try await t.store.checkpoint(tenant: "default", size: older).root
            let cproof = try await t.store.consistencyProof(tenant: "default", from: older, to: treeSize)
            #expect(
                (try? Merkle.verifyConsistency(oldSize: older, newSize: treeSize, oldRoot: oldRoot, newRoot: cp.root, proof: cproof).get()) != nil
            )
        }
        await #expect(throws: StoreError.self) { try await t.store.inclusionProof(tenant: "default", seq: 5, size: 5) }
        await #expect(throws: StoreError.self) { try await t.store.inclusionProof(tenant: "default", seq: 0, size: 10_000) }
        await #expect(throws: StoreError.self) { try await t.store.consistencyProof(tenant: "default", from: 9, to: 3) }
    }

    @Test("the database refuses UPDATE and DELETE on every ledger table")
    func appendOnly() async throws {
        let t = try TestStore()
        try await t.fill(20)
        let statements = [
            "UPDATE entries SET event_id = 'x' WHERE seq = 1", "DELETE FROM entries WHERE seq = 1",
            "UPDATE checkpoints SET note = 'x'", "DELETE FROM checkpoints",
            "UPDATE nodes SET hash = x'00'", "DELETE FROM nodes",
            "UPDATE logs SET origin = 'x'", "DELETE FROM logs",
            "UPDATE meta SET value = 'x'", "DELETE FROM meta",
        ]
        for sql in statements {
            #expect(sql.contains("FROM") || sql.contains("UPDATE"))
            do {
                try t.raw { try $0.execute(sql: sql) }
                Issue.record("\(sql) was allowed")
            } catch let e as DatabaseError {
                #expect(e.message?.contains("append-only") == true, "\(sql): \(e)")
            }
        }
        #expect(try await t.verify().ok)
    }

    @Test("a failed append writes nothing")
    func atomicity() async throws {
        let t = try TestStore()
        try await t.fill(7)
        let failing = try SQLiteLedgerStore(
            path: t.path,
            signers: FailingSigners(inner: Ed25519LogSigners(key: t.key)),
            options: .init(originPrefix: "attest.test")
        )
        await #expect(throws: (any Error).self) {
            try await failing.append(tenant: "default", events: Fixtures.events(5, from: 7), receivedAt: .now())
        }
        #expect(try await t.store.latestCheckpoint(tenant: "default")?.size == 7)
        #expect(try await t.store.entries(tenant: "default", from: 0, limit: 100).count == 7)
        #expect(try await t.verify().ok)
    }

    @Test("the origin prefix is fixed when the store is created")
    func originPrefix() async throws {
        let t = try TestStore()
        try await t.fill(1)
        #expect(throws: StoreError.self) {
            try SQLiteLedgerStore(path: t.path, signers: Ed25519LogSigners(key: t.key), options: .init(originPrefix: "other.example"))
        }
        let reopened = try SQLiteLedgerStore(path: t.path, signers: Ed25519LogSigners(key: t.key))
        #expect(reopened.originPrefix == "attest.test")
        #expect(try await reopened.latestCheckpoint(tenant: "default")?.size == 1)
        #expect(throws: StoreError.self) {
            try SQLiteLedgerStore(
                path: t.dir.appendingPathComponent("x.sqlite").path,
                signers: Ed25519LogSigners(key: t.key),
                options: .init(originPrefix: "bad prefix")
            )
        }
    }

    @Test("the query index follows the log")
    func index() async throws {
        let t = try TestStore()
        try await t.fill(25)
        #expect(try await t.store.updateIndex(tenant: "default", batch: 7) == 25)
        let rows = try DatabaseQueue(path: SQLiteLedgerStore.indexPath(forLedgerAt: t.path)).read { db in
            try Row.fetchAll(db, sql: "SELECT seq, actor_id, on_behalf_of, action, agent_id FROM event_index ORDER BY seq")
        }
        #expect(rows.count == 25)
        #expect(rows[3]["actor_id"] as String == "agent-3")
        #expect(rows[4]["on_behalf_of"] as String == "user-1")
        #expect(rows[2]["action"] as String == "file.write")
        #expect(rows[0]["agent_id"] as String == "claude-code")
        try await t.fill(5, from: 25)
        #expect(try await t.store.updateIndex(tenant: "default") == 30)
    }
}
