import AttestCore
import AttestTesting
import Foundation
import GRDB
import Testing

@testable import AttestStore

@Suite("SQLite ledger store (SQLite only; the shared contract is in LedgerStoreTests)")
struct SQLiteLedgerStoreTests {
    @Test("commits are durable: the writer runs with synchronous=FULL, not GRDB's WAL default NORMAL")
    func durableCommits() async throws {
        let t = try TestStore()
        #expect(try await t.store.synchronousMode() == 2)
        try await t.fill(3)
        #expect(try await t.store.synchronousMode() == 2)
    }

    @Test("migration v6 moves the entries out of v1's WITHOUT ROWID table: every entry kept, still append-only and verifiable")
    func entriesRowidMigration() async throws {
        let t = try TestStore()
        try await t.fill(40, batch: 7)
        let before = try await t.store.entries(tenant: "default", from: 0, limit: 100)
        // Put the file back the way v5 left it: entries in the v1 WITHOUT ROWID table.
        try t.raw { db in
            try db.execute(
                sql: """
                    CREATE TABLE entries_v1 (
                        log_id INTEGER NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL, event_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL, sig BLOB, entry BLOB NOT NULL, PRIMARY KEY (log_id, seq)
                    ) WITHOUT ROWID;
                    INSERT INTO entries_v1 SELECT log_id, seq, hash, event_id, received_at, sig, entry FROM entries;
                    DROP TABLE entries;
                    ALTER TABLE entries_v1 RENAME TO entries;
                    CREATE UNIQUE INDEX entries_event_id ON entries (log_id, event_id);
                    CREATE TRIGGER entries_refuse_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    CREATE TRIGGER entries_refuse_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    DELETE FROM grdb_migrations WHERE identifier = 'v6-entries-rowid';
                    """
            )
        }
        func entriesSQL() throws -> String {
            try t.raw { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'entries'") ?? "" }
        }
        #expect(try entriesSQL().contains("WITHOUT ROWID"))
        let reopened = try SQLiteLedgerStore(path: t.path, signers: Ed25519LogSigners(key: t.key), options: .init(originPrefix: "attest.test"))
        #expect(try !entriesSQL().contains("WITHOUT ROWID"))
        #expect(try await reopened.entries(tenant: "default", from: 0, limit: 100) == before)
        _ = try await fillStore(reopened, 5, batch: 5, tenant: "default", from: 40)
        let report = await StoreVerifier.verify(store: reopened, tenant: "default", key: try t.verifier())
        #expect(report.ok && report.range == 0..<45)
        // Still append-only, and an event id is still taken once.
        #expect(throws: (any Error).self) { try t.raw { db in try db.execute(sql: "UPDATE entries SET entry = x'00' WHERE seq = 3") } }
        #expect(throws: (any Error).self) { try t.raw { db in try db.execute(sql: "DELETE FROM entries WHERE seq = 3") } }
        let again = try await reopened.append(tenant: "default", events: Fixtures.events(1, from: 3), receivedAt: .now())
        #expect(again.receipts.map(\.duplicate) == [true] && again.receipts[0].seq == 3)
    }

    /// The seqs of every page of `q` in the default tenant, following the cursors.
    static func allPages(_ store: SQLiteLedgerStore, _ query: EventQuery) async throws -> [UInt64] {
        var q = query
        var got: [UInt64] = []
        while true {
            let page = try await store.query(tenant: "default", q)
            got += page.items.map(\.seq)
            guard let next = page.nextAfter else { return got }
            q.after = next
        }
    }

    @Test("time-range and action-prefix pages are the same whether the recent window answers or an index does")
    func rangeWindow() async throws {
        let dir = try TestEnvironment.temporaryDirectory("attest-store")
        let key = try Ed25519NoteSigner.generate(name: "installation")
        let store = try SQLiteLedgerStore(
            path: dir.appendingPathComponent("ledger.sqlite").path,
            signers: Ed25519LogSigners(key: key),
            options: .init(originPrefix: "attest.test", rangeWindow: 5)
        )
        // 60 events one second apart, except the first ten, which happened in 2020.
        let t0: Int64 = 1_790_000_000_000_000
        var rng = Fixtures.Rng(seed: 7)
        var times: [Int64] = []
        var events: [AuditEvent] = []
        for i in 0..<60 {
            let time = i < 10 ? 1_580_000_000_000_000 + Int64(i) * 1_000_000 : t0 + Int64(i) * 1_000_000
            guard case .object(var m) = Fixtures.event(i, id: "evt-\(i)", rng: &rng) else { throw StoreError(.corrupt, "fixture") }
            m["time"] = .string(Timestamp(microseconds: time).rfc3339)
            guard case .success(let e) = AuditEvent.validate(.object(m), receivedAt: .now()) else { throw StoreError(.corrupt, "invalid") }
            times.append(time)
            events.append(e)
        }
        _ = try await store.append(tenant: "default", events: events, receivedAt: .now())
        _ = try await store.updateIndex(tenant: "default", batch: 1000)
        let ranges: [(Int64?, Int64?)] = [
            (nil, nil), (t0, nil), (nil, t0), (1_500_000_000_000_000, 1_600_000_000_000_000), (t0 + 20_000_000, t0 + 40_000_000),
            (t0 + 58_000_000, nil),
        ]
        let actions = Set(events.map(\.action))
        #expect(actions.contains("file.write") && actions.count > 2)
        for (from, to) in ranges {
            for action in [nil, "file.*", "f*", "nothing.*"] as [String?] where from != nil || to != nil || action != nil {
                for order in [EventQuery.Order.descending, .ascending] {
                    for limit in [1, 3, 7] {
                        var q = EventQuery()
                        q.from = from.map(Timestamp.init(microseconds:))
                        q.to = to.map(Timestamp.init(microseconds:))
                        q.action = action
                        q.order = order
                        q.limit = limit
                        let got = try await Self.allPages(store, q)
                        var want = (0..<60).filter { i in
                            (from.map { times[i] >= $0 } ?? true) && (to.map { times[i] < $0 } ?? true)
                                && (action.map { events[i].action.hasPrefix($0.dropLast()) } ?? true)
                        }.map(UInt64.init)
                        if order == .descending { want.reverse() }
                        #expect(
                            got == want,
                            "\(String(describing: from))..<\(String(describing: to)) \(String(describing: action)) \(order) limit \(limit)"
                        )
                    }
                }
            }
        }
    }

    @Test("an action prefix with more distinct actions than the per-action walk takes gives the same pages by the plain index query")
    func actionPrefixManyActions() async throws {
        let dir = try TestEnvironment.temporaryDirectory("attest-store")
        let store = try SQLiteLedgerStore(
            path: dir.appendingPathComponent("ledger.sqlite").path,
            signers: Ed25519LogSigners(key: try Ed25519NoteSigner.generate(name: "installation")),
            options: .init(originPrefix: "attest.test", rangeWindow: 5)
        )
        // 150 events: 80 distinct actions under "x." (more than the walk's 64), the rest "y.z", newest last.
        var rng = Fixtures.Rng(seed: 11)
        var events: [AuditEvent] = []
        for i in 0..<150 {
            guard case .object(var m) = Fixtures.event(i, id: "evt-\(i)", rng: &rng) else { throw StoreError(.corrupt, "fixture") }
            m["action"] = .string(i < 80 ? "x.a\(i)" : "y.z")
            guard case .success(let e) = AuditEvent.validate(.object(m), receivedAt: .now()) else { throw StoreError(.corrupt, "invalid") }
            events.append(e)
        }
        _ = try await store.append(tenant: "default", events: events, receivedAt: .now())
        _ = try await store.updateIndex(tenant: "default", batch: 1000)
        for (prefix, want) in [("x.*", Array(0..<80)), ("x.a1*", [1] + Array(10..<20)), ("y.*", Array(80..<150))] {
            for order in [EventQuery.Order.descending, .ascending] {
                var q = EventQuery()
                q.action = prefix
                q.order = order
                q.limit = 7
                let got = try await Self.allPages(store, q)
                let expected = want.map(UInt64.init)
                #expect(got == (order == .descending ? expected.reversed() : expected), "\(prefix) \(order)")
            }
        }
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
    @Test("short reads on the calling thread never wait: a taken connection or a locked file gives way to the pool")
    func quickReadsNeverWait() async throws {
        let t = try TestStore()
        try await t.fill(3)
        let quick = try SQLiteQuickReaders(path: t.path, count: 1)
        #expect(try quick.tryRead { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM entries") } == 3)
        // The only connection is taken (by this very read): a second read gives up at once.
        let nested = try quick.tryRead { _ in try quick.tryRead { _ in 1 } }
        #expect(nested == .some(nil))
        // Another connection holds a file exclusively (a rollback-journal file here: in WAL mode, which the
        // ledger uses, only checkpoints and recovery lock readers out, which a test cannot time): the read
        // gives up at once instead of sleeping in a busy handler.
        let plain = t.dir.appendingPathComponent("plain.sqlite").path
        let locker = try DatabaseQueue(path: plain)
        try await locker.write { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)")
        }
        let quickPlain = try SQLiteQuickReaders(path: plain, count: 2)
        let count: @Sendable (Database) throws -> Int? = { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") }
        #expect(try quickPlain.tryRead(count) == .some(3))
        let (locked, waited) = try locker.inDatabase { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            defer { try? db.execute(sql: "COMMIT") }
            let started = ContinuousClock.now
            return (try quickPlain.tryRead(count), ContinuousClock.now - started)
        }
        #expect(locked == nil)
        // A busy handler would have waited the pool's 10 s; giving up at once takes microseconds
        // (5 s leaves room for a machine that stalls the test's thread).
        #expect(waited < .seconds(5))
        #expect(try quickPlain.tryRead(count) == .some(3))
    }

    @Test("many concurrent proofs, on the calling threads and through the pool, all match the proofs from the leaves")
    func concurrentProofs() async throws {
        let t = try TestStore()
        try await t.fill(600, batch: 37)
        let leaves = try await t.store.entries(tenant: "default", from: 0, limit: 1000).map(\.hash)
        let store = t.store
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 {
                group.addTask {
                    let size = UInt64(600 - i % 7)
                    let seq = UInt64(i * 7919) % size
                    let proof = try await store.inclusionProof(tenant: "default", seq: seq, size: size)
                    return proof == (try Merkle.inclusionProof(index: seq, size: size, leaves: leaves)) ? 0 : 1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
    @Test("proof tiles: every complete block of 16 leaves and of 16 level-4 nodes has one, equal to the tree's hashes")
    func proofTiles() async throws {
        let t = try TestStore()
        var rng = Fixtures.Rng(seed: 11)
        var size = 0
        while size < 1_100 {
            let n = Int(rng.next() % 60) + 1
            try await t.fill(n, batch: n, from: size)
            size += n
        }
        let leaves = try await t.store.entries(tenant: "default", from: 0, limit: size).map(\.hash)
        func tiles() throws -> [Int64: Data] {
            try t.raw { db in
                Dictionary(
                    uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT tile_id, hashes FROM tiles").map { ($0[0] as Int64, $0[1] as Data) }
                )
            }
        }
        func expected() -> [Int64: Data] {
            var out: [Int64: Data] = [:]
            for k in 0..<(size / 16) {
                out[(1 << 44) | Int64(k)] = Data(leaves[(k * 16)..<(k * 16 + 16)].flatMap(\.bytes))
            }
            for j in 0..<(size / 256) {
                let level4 = (0..<16).map { i in Merkle.root(of: Array(leaves[((j * 16 + i) * 16)..<((j * 16 + i) * 16 + 16)])) }
                out[(1 << 44) | (4 << 40) | Int64(j)] = Data(level4.flatMap(\.bytes))
            }
            return out
        }
        let written = try tiles()
        #expect(written.count == size / 16 + size / 256)
        #expect(written == expected())
        // Migration v7 builds the same tiles for a store written before it.
        try t.raw { db in
            try db.execute(sql: "DROP TABLE tiles; DELETE FROM grdb_migrations WHERE identifier = 'v7-proof-tiles'")
        }
        let reopened = try SQLiteLedgerStore(path: t.path, signers: Ed25519LogSigners(key: t.key))
        #expect(try tiles() == written)
        let proof = try await reopened.inclusionProof(tenant: "default", seq: 777, size: UInt64(size))
        #expect(proof == (try Merkle.inclusionProof(index: 777, size: UInt64(size), leaves: leaves)))
    }

    @Test("level-4 tiles kept in memory answer proofs once read, and no more are kept past the budget")
    func proofTileCache() async throws {
        // 1,100 entries: level-4 tiles 0...3 (leaves 0..<1024). A budget of two tiles.
        let t = try TestStore(proofTileCacheBytes: 2 * ProofTileCache.bytesPerTile)
        try await t.fill(1_100, batch: 100)
        let size: UInt64 = 1_100
        let leaves = try await t.store.entries(tenant: "default", from: 0, limit: 1_100).map(\.hash)
        func proof(_ store: SQLiteLedgerStore, _ seq: UInt64) async throws -> Bool {
            try await store.inclusionProof(tenant: "default", seq: seq, size: size) == Merkle.inclusionProof(index: seq, size: size, leaves: leaves)
        }
        // Proofs in blocks 0 and 1 read their level-4 tiles and keep them; block 2's is past the budget.
        for seq: UInt64 in [5, 300, 600] { #expect(try await proof(t.store, seq)) }
        #expect(t.store.tileCache.count == 2)
        // Zero the stored level-4 tiles 0...2 (log_id 1): the kept ones still answer, the other is read again.
        try t.dropTriggers()
        try t.raw { db in
            for j: Int64 in 0...2 {
                try db.execute(sql: "UPDATE tiles SET hashes = zeroblob(512) WHERE tile_id = ?", arguments: [(1 << 44) | (4 << 40) | j])
            }
        }
        #expect(try await proof(t.store, 7))
        #expect(try await proof(t.store, 400))
        #expect(try await proof(t.store, 700) == false)
        #expect(t.store.tileCache.count == 2)
        // Without the cache (budget 0) every proof reads the stored tile, so the zeroed ones show.
        let uncached = try SQLiteLedgerStore(path: t.path, signers: Ed25519LogSigners(key: t.key), options: .init(proofTileCacheBytes: 0))
        #expect(try await proof(uncached, 7) == false)
        #expect(uncached.tileCache.count == 0)
        // A proof at the growing edge (block 4 has no level-4 tile yet) does not read tiles 0...2.
        #expect(try await proof(uncached, 1_050))
    }

    @Test("WAL checkpoints (ledger and index) run on their own thread, not in the writer's commits; with that thread stopped the writer does them")
    func walCheckpointsOffTheWriter() async throws {
        let t = try TestStore()
        let wal = t.path + "-wal"
        func walPages() -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: wal)[.size]) as? Int ?? 0) / 4_120  // 4,096-byte pages and a 24-byte frame header
        }
        // Until the WAL passes 1,000 pages the thread is not woken; past it, it checkpoints.
        var written = 0
        while t.store.walCheckpointer.counts.thread == 0 && written < 60_000 {
            try await t.fill(500, batch: 100, from: written)
            written += 500
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(t.store.walCheckpointer.counts.thread >= 1, "no checkpoint after \(written) entries (\(walPages()) WAL pages)")
        #expect(t.store.walCheckpointer.counts.writer == 0)
        // The WAL is reused after checkpoints: it never grows far past the point where the thread is woken.
        try await t.fill(6_000, batch: 200, from: written)
        written += 6_000
        #expect(walPages() < Int(WALCheckpointer.writerFrames), "\(walPages()) WAL pages")
        #expect(t.store.walCheckpointer.counts.writer == 0)
        // Stopped (as when the store goes away), the writer checkpoints in its own commits again.
        t.store.walCheckpointer.stop()
        let before = walPages()
        try await t.fill(12_000, batch: 200, from: written)
        written += 12_000
        #expect(t.store.walCheckpointer.counts.writer >= 1, "WAL \(before) -> \(walPages()) pages")
        #expect(try await t.verify().ok)
        #expect(try await t.store.entries(tenant: "default", from: 0, limit: written + 1).count == written)
        // The query index's database has its own checkpoint thread.
        #expect(try await t.store.updateIndex(tenant: "default", batch: 50_000) == UInt64(written))
        // Up to a minute for the thread to be scheduled on a loaded machine.
        for _ in 0..<6_000 where t.store.indexCheckpointer.counts.thread == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(t.store.indexCheckpointer.counts.thread >= 1)
        #expect(t.store.indexCheckpointer.counts.writer == 0)
    }

    @Test(
        "While the WAL cannot be restarted (a reader holds an old snapshot), the thread checkpoints once per 1,000 new WAL pages, not after every commit"
    )
    func walCheckpointsPerNewPages() async throws {
        let t = try TestStore()
        let wal = t.path + "-wal"
        func walPages() -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: wal)[.size]) as? Int ?? 0) / 4_120
        }
        try await t.fill(3_000, batch: 100)
        // A reader in a transaction keeps its snapshot: the WAL is not restarted while it is open.
        var config = Configuration()
        config.allowsUnsafeTransactions = true
        let reader = try DatabaseQueue(path: t.path, configuration: config)
        try reader.inDatabase { db in
            try db.execute(sql: "BEGIN")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM entries")
        }
        try await t.fill(1_500, batch: 100, from: 3_000)
        #expect(walPages() > Int(WALCheckpointer.wakeFrames), "\(walPages()) WAL pages")
        for _ in 0..<500 where t.store.walCheckpointer.counts.thread == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let before = (checkpoints: t.store.walCheckpointer.counts.thread, pages: walPages())
        // Single-event commits, a few pages each: by the WAL's size each of them was due a checkpoint.
        for i in 0..<300 { try await t.fill(1, batch: 1, from: 4_500 + i) }
        try await Task.sleep(for: .milliseconds(200))
        let written = walPages() - before.pages
        let ran = t.store.walCheckpointer.counts.thread - before.checkpoints
        #expect(written > 500, "the 300 commits wrote \(written) WAL pages")
        #expect(ran <= written / Int(WALCheckpointer.wakeFrames) + 1, "\(ran) checkpoints for 300 commits of \(written) WAL pages")
        #expect(t.store.walCheckpointer.counts.writer == 0)
        try reader.inDatabase { db in try db.execute(sql: "ROLLBACK") }
        try reader.close()
        #expect(try await t.verify().ok)
    }

    @Test(
        "RawInsert binds integers, text, blobs and NULL as GRDB would, reports a refused row with SQLite's message, and leaves the statement usable by GRDB"
    )
    func rawInsert() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (a INTEGER NOT NULL, b TEXT, c BLOB, d INTEGER, UNIQUE (a))")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)")
            let rows: [(Int64, String?, [UInt8]?, Int64?)] = [
                (1, "plain", [0, 1, 2, 255], 7),
                (2, "", [], nil),
                (3, "Kelvin \u{212A} and \u{1F600}", nil, -9_007_199_254_740_993),
                (4, nil, Array(repeating: 0xAB, count: 5_000), Int64.max),
            ]
            for r in rows {
                var row = RawInsert(insert, db)
                row.int(r.0)
                row.text(r.1)
                row.blob(r.2)
                row.int(r.3)
                try row.run()
            }
            let stored = try Row.fetchAll(db, sql: "SELECT a, b, c, d, typeof(b), typeof(c) FROM t ORDER BY a")
            #expect(stored.count == rows.count)
            for (r, s) in zip(rows, stored) {
                #expect(s[0] as Int64 == r.0)
                #expect(s[1] as String? == r.1)
                #expect((s[2] as Data?).map { Array($0) } == r.2)
                #expect(s[3] as Int64? == r.3)
            }
            // An empty string is text and an empty blob a blob, not NULL.
            #expect(stored[1][4] as String == "text")
            #expect(stored[1][5] as String == "blob")
            #expect(stored[3][4] as String == "null")
            // A refused row throws SQLite's error and leaves no row and no stale bindings behind.
            var dup = RawInsert(insert, db)
            dup.int(1)
            dup.text("again")
            dup.null()
            dup.null()
            #expect {
                try dup.run()
            } throws: { error in
                guard let e = error as? DatabaseError else { return false }
                return e.resultCode == .SQLITE_CONSTRAINT && e.message?.contains("UNIQUE") == true
            }
            // A value SQLite refuses to bind (here a fifth parameter of four) is thrown by run(),
            // which steps no row rather than one with NULL in its place.
            var extra = RawInsert(insert, db)
            extra.int(9)
            extra.text("nine")
            extra.null()
            extra.null()
            extra.int(10)
            #expect {
                try extra.run()
            } throws: { error in
                guard let e = error as? DatabaseError else { return false }
                return e.resultCode == .SQLITE_RANGE && e.message?.contains("parameter 5") == true
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE a = 9") == 0)
            // GRDB runs the same cached statement with its own arguments afterwards.
            try insert.execute(arguments: [5, "grdb", nil, nil])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 5)
            #expect(try String.fetchOne(db, sql: "SELECT b FROM t WHERE a = 5") == "grdb")
        }
    }
}
