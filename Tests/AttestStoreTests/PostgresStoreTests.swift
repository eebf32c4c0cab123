import AttestCore
import AttestPostgres
import AttestStore
import AttestTesting
import Foundation
import Logging
import PostgresNIO
import Testing

/// What only PostgreSQL does: the database itself enforces append-only and tenant isolation, for
/// the runtime role and (by trigger) for the owner too. Raw SQL, as someone with the credentials.
@Suite(.enabled(if: PostgresTestServer.enabled, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresStoreTests {
    static func message(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let e as StoreError {
            return e.reason
        } catch {
            return "\(error)"
        }
    }

    @Test("several nodes: the indexer takes this node's rows wherever they fall in the range and reads back only the other nodes' entries")
    func interleavedIndexRows() async throws {
        let t = try await BackendStore.make(.postgres)
        let received = Timestamp(microseconds: 1_790_000_000_000_000)
        var rows: [IndexRow] = []
        for from in stride(from: 0, to: 40, by: 5) {
            let events = Fixtures.events(5, from: from)
            let result = try await t.store.append(tenant: "default", events: events, receivedAt: received)
            rows += zip(events, result.receipts).map { IndexRow(seq: $0.1.seq, receivedAt: received, event: $0.0) }
        }
        let stored = try await t.store.entries(tenant: "default", from: 0, limit: 40)
        // "This node" committed every other batch of five (10..<15 among them); the others are another node's.
        var prepared = rows.filter { ($0.seq / 5) % 2 == 0 }
        // Marked rows show which were used as given: one in the first batch, one in the middle of the range.
        let marked = [2, 12].map { seq in
            (seq, try! IndexRow(seq: UInt64(seq), entry: LedgerStoreTests.entryBytes(stored[seq], actor: "handed-over")))
        }
        for (seq, row) in marked { prepared[prepared.firstIndex { $0.seq == UInt64(seq) }!] = row }
        // One index transaction over the whole range, which starts with this node's rows and has the
        // other node's in between: before, a range whose first entry was not prepared was read back
        // whole, and a range that began with prepared rows stopped at the first gap.
        #expect(try await t.store.updateIndex(tenant: "default", batch: 40, prepared: prepared) == 40)
        var q = EventQuery()
        q.order = .ascending
        q.limit = 1000
        q.actor = "handed-over"
        #expect(try await t.store.query(tenant: "default", q).items.map(\.seq) == [2, 12])
        q.actor = nil
        #expect(try await t.store.query(tenant: "default", q).items.map(\.seq) == Array(0..<40))
        // The other node's entries were read back right (their actors are the fixtures').
        q.actor = "agent-3"
        #expect(try await t.store.query(tenant: "default", q).items.map(\.seq) == [3, 10, 17, 24, 31, 38])
        #expect(try await t.verify().ok)
    }

    @Test("the runtime role may not UPDATE, DELETE or TRUNCATE any ledger table")
    func runtimeRoleIsAppendOnly() async throws {
        let t = try await BackendStore.make(.postgres)
        try await t.fill(20)
        let runtime = t.postgres!.runtime
        let tables = [
            "entries": "seq", "event_ids": "seq", "checkpoints": "note", "nodes": "hash", "logs": "tenant", "meta": "value", "cosignatures": "line",
        ]
        for (table, column) in tables.sorted(by: { $0.key < $1.key }) {
            for fixed in ["UPDATE attest.\(table) SET \(column) = \(column)", "DELETE FROM attest.\(table)", "TRUNCATE attest.\(table)"] {
                let m = await Self.message {
                    try await PostgresTestServer.execute(runtime, "SELECT set_config('attest.tenant', 'default', false)", fixed)
                }
                #expect(m?.contains("permission denied") == true, "\(fixed) as the runtime role: \(m ?? "allowed")")
            }
        }
        // Nor may it create tables or read partitions directly (which would bypass row-level security).
        let ddl = await Self.message { try await PostgresTestServer.execute(runtime, "CREATE TABLE attest.x (a int)") }
        #expect(ddl?.contains("permission denied") == true)
        let month = PostgresLedgerStore.monthKey(.now())
        let direct = await Self.message { try await PostgresTestServer.execute(runtime, "SELECT * FROM attest.entries_\(month)") }
        #expect(direct?.contains("permission denied") == true)
        #expect(try await t.verify().ok)
    }

    @Test("triggers refuse UPDATE, DELETE and TRUNCATE even for the owner, unless the maintenance path is opened")
    func ownerIsRefusedToo() async throws {
        let t = try await BackendStore.make(.postgres)
        try await t.fill(10)
        let admin = t.postgres!.admin
        for sql in [
            "UPDATE attest.entries SET event_id = 'x' WHERE seq = 3", "DELETE FROM attest.checkpoints", "TRUNCATE attest.nodes",
            "UPDATE attest.meta SET value = 'x'", "DELETE FROM attest.event_ids", "TRUNCATE attest.entries",
        ] {
            let m = await Self.message { try await PostgresTestServer.execute(admin, "SET ROLE attest_owner", sql) }
            #expect(m?.contains("append-only") == true, "\(sql) as the owner: \(m ?? "allowed")")
        }
        #expect(try await t.verify().ok)
        // The documented maintenance path works for the owner, in one transaction, and the
        // verifier then names what was changed.
        try await PostgresTestServer.execute(
            admin,
            "BEGIN",
            "SET LOCAL attest.maintenance = 'on'",
            "UPDATE attest.entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'Agent', 'Bgent'), 'UTF8') WHERE seq = 4",
            "COMMIT"
        )
        let report = try await t.verify()
        #expect(report.failure?.seq == 4, "\(report)")
        #expect(report.failure?.code == .hashMismatch)
        // The runtime role cannot open it.
        let m = await Self.message {
            try await PostgresTestServer.execute(
                t.postgres!.runtime,
                "BEGIN",
                "SET LOCAL attest.maintenance = 'on'",
                "SELECT set_config('attest.tenant', 'default', true)",
                "DELETE FROM attest.entries WHERE seq = 1",
                "COMMIT"
            )
        }
        #expect(m?.contains("permission denied") == true)
    }

    @Test("row-level security: the runtime role sees only the tenant its transaction names")
    func rowLevelSecurity() async throws {
        let t = try await BackendStore.make(.postgres)
        try await t.fill(6, tenant: "alpha")
        try await t.fill(4, tenant: "beta")
        let runtime = t.postgres!.runtime
        func count(_ tenant: String?, _ table: String) async throws -> Int64 {
            let setup = tenant.map { ["SELECT set_config('attest.tenant', '\($0)', false)"] } ?? []
            return try await PostgresTestServer.count(runtime, setup: setup, "SELECT count(*) FROM attest.\(table)")
        }
        #expect(try await count("alpha", "entries") == 6)
        #expect(try await count("beta", "entries") == 4)
        #expect(try await count(nil, "entries") == 0)
        #expect(try await count("nobody", "entries") == 0)
        #expect(try await count("alpha", "checkpoints") == 2)  // size 0 and size 6
        #expect(try await count("beta", "event_ids") == 4)
        // Inserting into another tenant's log is refused by the policy's WITH CHECK.
        let m = await Self.message {
            try await PostgresTestServer.execute(
                runtime,
                "SELECT set_config('attest.tenant', 'beta', false)",
                "INSERT INTO attest.event_ids (log_id, event_id, seq) SELECT log_id, 'forged', 99 FROM attest.logs WHERE tenant = 'alpha'"
            )
        }
        #expect(m?.contains("row-level security") == true, "\(m ?? "allowed")")
        // The owner (maintenance, backups) sees everything.
        #expect(try await PostgresTestServer.count(t.postgres!.admin, "SELECT count(*) FROM attest.entries") == 10)
    }

    @Test("db init is idempotent and versioned; a store refuses a database without the schema")
    func migrations() async throws {
        let (admin, runtime) = try await PostgresTestServer.newDatabase()
        #expect(
            try await PostgresTestServer.count(admin, "SELECT count(*) FROM attest.schema_migrations") == Int64(PostgresLedgerStore.schemaVersion)
        )
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let again = try await PostgresTestServer.initialize(admin)
        #expect(again.applied.isEmpty)
        #expect(again.runtimeURL == runtime)
        let other = try await PostgresSetup.withConnection(admin, logger: logger) { _ in "ok" }
        #expect(other == "ok")
        // The partitions for this month and the next two exist, for both partitioned tables.
        #expect(
            try await PostgresTestServer.count(
                admin,
                "SELECT count(*) FROM pg_inherits WHERE inhparent IN ('attest.entries'::regclass, 'attest.event_index'::regclass)"
            ) == 6
        )
        // A database with no schema: a clear error, not a retry loop.
        let bare = try await PostgresTestServer.emptyDatabase()
        let m = await Self.message {
            _ = try await PostgresTestServer.openStore(
                bare,
                signers: Ed25519LogSigners(key: try Ed25519NoteSigner.generate(name: "k"))
            )
        }
        #expect(m?.contains("attest db init") == true, "\(m ?? "opened")")
    }

    @Test("an append in a month without a partition makes it (and the next) first, through the definer function")
    func monthlyPartitions() async throws {
        let t = try await BackendStore.make(.postgres)
        let admin = t.postgres!.admin
        let partitions = "SELECT count(*) FROM pg_inherits WHERE inhparent = 'attest.entries'::regclass"
        #expect(try await PostgresTestServer.count(admin, partitions) == 3)
        // Seven months ahead: beyond what db init made.
        let later = Timestamp(microseconds: Timestamp.now().microseconds + 7 * 31 * 86_400 * 1_000_000)
        let result = try await t.store.append(tenant: "default", events: Fixtures.events(4), receivedAt: later)
        #expect(result.checkpoint.size == 4)
        #expect(try await PostgresTestServer.count(admin, partitions) == 5)
        let month = PostgresLedgerStore.monthKey(later)
        #expect(try await PostgresTestServer.count(admin, "SELECT count(*) FROM attest.entries_\(month)") == 4)
        #expect(try await t.verify().ok)
    }

    @Test("bad database URLs are named, passwords never shown")
    func urls() throws {
        let u = try PostgresURL("postgres://alice:s3cr%40t@db.example:6543/ledger?sslmode=require")
        #expect(u.user == "alice" && u.password == "s3cr@t" && u.host == "db.example" && u.port == 6543 && u.database == "ledger")
        #expect(u.sslMode == "require")
        #expect(!u.description.contains("s3cr"))
        #expect(try PostgresURL(u.secretString) == u)
        #expect(throws: StoreError.self) { try PostgresURL("mysql://x@y/z") }
        do {
            _ = try PostgresURL("postgres://bob:hunter2@/db?sslmode=maybe&x=1")
            Issue.record("accepted")
        } catch let e as StoreError {
            #expect(e.reason.contains("sslmode") && e.reason.contains("unknown parameter x") && e.reason.contains("no host"))
            #expect(!e.reason.contains("hunter2"))
        }
    }
}
