import AttestCore
import AttestStore
import AttestTesting
import Foundation
import GRDB
import Testing

@Suite("SQLite ledger store (SQLite only; the shared contract is in LedgerStoreTests)")
struct SQLiteLedgerStoreTests {
    @Test("commits are durable: the writer runs with synchronous=FULL, not GRDB's WAL default NORMAL")
    func durableCommits() async throws {
        let t = try TestStore()
        #expect(try await t.store.synchronousMode() == 2)
        try await t.fill(3)
        #expect(try await t.store.synchronousMode() == 2)
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
