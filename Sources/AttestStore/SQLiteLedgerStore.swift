import AttestCore
import Foundation
import GRDB
import Synchronization

/// The embedded ledger store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit is
/// on disk before `append` returns.
public final class SQLiteLedgerStore: LedgerStore {
    /// Options fixed when the store is opened.
    public struct Options: Sendable {
        /// Also sign each entry hash (FORMAT: per-entry signatures).
        public var signEntries: Bool
        /// The installation's origin prefix; logs are named `PREFIX/TENANT`. Only used when the
        /// store is created; an existing store keeps its own and refuses a different one.
        public var originPrefix: String?
        /// How many entries, from where the page starts, a query with only ranges (time, action prefix) first
        /// scans in seq order before it falls back to the time or action index (see `query`).
        public var rangeWindow: Int
        /// Memory for level-4 proof tiles kept once read (``ProofTileCache``): about 1 KB per 256
        /// entries, so the default 64 MiB covers logs of about 16 million entries in all; 0 turns it off.
        public var proofTileCacheBytes: Int
        public init(signEntries: Bool = false, originPrefix: String? = nil, rangeWindow: Int = 20_000, proofTileCacheBytes: Int = 64 << 20) {
            self.signEntries = signEntries
            self.originPrefix = originPrefix
            self.rangeWindow = rangeWindow
            self.proofTileCacheBytes = proofTileCacheBytes
        }
    }

    /// Merkle nodes of this level and above are stored; lower ones are recomputed from ≤ 16 leaves.
    public static let minStoredLevel: UInt8 = 4
    /// Merkle nodes of this level and above are also kept in memory once read (``MerkleNodeCache``).
    public static let cachedLevel: UInt8 = 8

    let pool: DatabasePool
    /// Connections for short reads on the calling thread (``readQuick(_:)``).
    let quick: SQLiteQuickReaders
    let nodeCache = MerkleNodeCache(minLevel: SQLiteLedgerStore.cachedLevel)
    /// Level-4 proof tiles kept once read, within ``Options/proofTileCacheBytes``.
    let tileCache: ProofTileCache
    /// Runs the ledger's WAL checkpoints off the writer.
    let walCheckpointer: WALCheckpointer
    /// The same for the query index's database, whose writer is the indexer.
    let indexCheckpointer: WALCheckpointer
    /// Per tenant, its log's id and a size it is known to have reached (``logAndSize(_:_:atLeast:)``).
    let knownLogs = Mutex<[String: (id: Int64, size: UInt64)]>([:])
    /// Per tenant, its log's origin once read (``log(tenant:create:)``): a log is never deleted and
    /// its origin never changes, so every request after the first finds it here instead of reading
    /// the `logs` table in a read transaction of its own (two per ingest request, about 5% of the
    /// server's CPU with single events). Verification reads the table (``storedLog(tenant:)``).
    let logOrigins = Mutex<[String: String]>([:])
    /// The query index database (`<ledger>-index.sqlite`), written by the indexer only.
    let indexPool: DatabasePool
    let signers: any LogSigners
    let options: Options
    /// The installation's origin prefix.
    public let originPrefix: String

    /// Where the query index of the ledger at `path` lives: `ledger.sqlite` → `ledger-index.sqlite`.
    public static func indexPath(forLedgerAt path: String) -> String {
        path.hasSuffix(".sqlite") ? String(path.dropLast(7)) + "-index.sqlite" : path + "-index"
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL), for tests and diagnostics.
    public func synchronousMode() async throws -> Int {
        try await write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Opens (creating if needed) the store at `path`.
    public init(path: String, signers: any LogSigners, options: Options = Options()) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB opens WAL pools with synchronous=NORMAL, which does not sync the WAL on commit.
            // A ledger acknowledges only what is on disk: FULL makes every commit fsync the WAL.
            // The pool has one writer connection, so setting it there covers every write.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                guard try Int.fetchOne(db, sql: "PRAGMA synchronous") == 2 else {
                    throw StoreError(.unavailable, "SQLite refused synchronous=FULL")
                }
            }
            try SQLiteSchema.migrator.migrate(pool)
            walCheckpointer = try WALCheckpointer(path: path)
            indexPool = try DatabasePool(path: Self.indexPath(forLedgerAt: path), configuration: config)
            try indexPool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -32768") }
            try SQLiteSchema.indexMigrator.migrate(indexPool)
            indexCheckpointer = try WALCheckpointer(path: Self.indexPath(forLedgerAt: path))
            quick = try SQLiteQuickReaders(path: path, count: ProcessInfo.processInfo.activeProcessorCount)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.unavailable, "cannot open the ledger database at \(path): \(Self.describe(error))")
        }
        self.signers = signers
        self.options = options
        self.tileCache = ProofTileCache(maxBytes: options.proofTileCacheBytes)
        let wanted = options.originPrefix
        if let p = wanted, !Self.isValidPrefix(p) {
            throw StoreError(.invalidArgument, "origin prefix \"\(p)\" is not valid: use letters, digits, '.', '-', '_' and '/', no spaces or '+'")
        }
        originPrefix = try pool.write { db -> String in
            if let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'origin_prefix'")) {
                if let wanted, wanted != stored {
                    throw StoreError(.conflict, "this store's origin prefix is \"\(stored)\"; it cannot be changed to \"\(wanted)\"")
                }
                return stored
            }
            let prefix = wanted ?? "attest.local/" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('origin_prefix', ?), ('format', 'attest/v1')", arguments: [prefix])
            return prefix
        }
        // Last, once nothing can fail: WAL checkpoints on a thread of their own instead of inside
        // the writer's commits (WALCheckpointer); the store's deinit stops the thread.
        pool.writeWithoutTransaction { db in walCheckpointer.attach(writer: db) }
        indexPool.writeWithoutTransaction { db in indexCheckpointer.attach(writer: db) }
    }

    deinit {
        walCheckpointer.stop()
        indexCheckpointer.stop()
    }

    /// Whether `p` is a valid origin prefix.
    public static func isValidPrefix(_ p: String) -> Bool {
        !p.isEmpty && p.utf8.count <= 200 && NoteKeyName.isValid(p)
            && p.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "./-_:".unicodeScalars.contains($0)) }
    }

    /// Whether `tenant` is a valid tenant name: 1–63 of `a-z 0-9 _ -`, starting with a letter or digit.
    public static func isValidTenant(_ tenant: String) -> Bool {
        guard let first = tenant.utf8.first, tenant.utf8.count <= 63 else { return false }
        func ok(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        return ok(first) && tenant.utf8.allSatisfy { ok($0) || $0 == 95 || $0 == 45 }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }

    /// Runs a write transaction, mapping database errors to ``StoreError``.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { db in try Self.inWriteTransaction(db, body) }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.unavailable, "database write failed: \(Self.describe(error))")
        }
    }

    /// `body` in one `BEGIN IMMEDIATE` transaction begun and committed by cached statements, rolled
    /// back when `body` or the commit fails. GRDB's `write` does the same but parses its `BEGIN` and
    /// `COMMIT` anew each time (about 4% of a single-event append's CPU).
    static func inWriteTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            let value = try body(db)
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return value
        } catch {
            // After some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled back; the
            // first error is the one reported.
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
            throw error
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.unavailable, "database read failed: \(Self.describe(error))")
        }
    }

    /// ``read(_:)`` for reads of a few rows: on the calling thread when a quick connection is free
    /// (``SQLiteQuickReaders``), else through the pool. `body` may run twice if the first attempt meets
    /// a lock, so it must only read.
    func readQuick<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            if let value = try quick.tryRead(body) { return value }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.unavailable, "database read failed: \(Self.describe(error))")
        }
        return try await read(body)
    }

    // MARK: Logs

    public func logs() async throws -> [LogInfo] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT tenant, origin FROM logs ORDER BY tenant")).map {
                LogInfo(tenant: $0[0], origin: $0[1])
            }
        }
    }

    public func log(tenant: String, create: Bool) async throws -> LogInfo? {
        guard Self.isValidTenant(tenant) else {
            throw StoreError(.invalidArgument, "tenant \"\(tenant)\" is not valid: 1-63 of a-z 0-9 _ -, starting with a letter or digit")
        }
        if let origin = logOrigins.withLock({ $0[tenant] }) { return LogInfo(tenant: tenant, origin: origin) }
        if let found = try await storedLog(tenant: tenant) {
            logOrigins.withLock { $0[tenant] = found.origin }
            return found
        }
        guard create else { return nil }
        let origin = originPrefix + "/" + tenant
        let signer = try signers.signer(forOrigin: origin)
        return try await write { db in
            if let found = try Self.logRow(db, tenant: tenant) { return LogInfo(tenant: tenant, origin: found.origin) }
            let now = Timestamp.now()
            try db.execute(sql: "INSERT INTO logs (tenant, origin, created_at) VALUES (?, ?, ?)", arguments: [tenant, origin, now.microseconds])
            let logID = db.lastInsertedRowID
            try db.execute(
                sql: "INSERT INTO log_keys (log_id, from_size, verifier_key, rotation_seq, created_at) VALUES (?, 0, ?, NULL, ?)",
                arguments: [logID, signer.verifierKey, now.microseconds]
            )
            // Size 0 gets a signed checkpoint too, so a new log is verifiable from the start.
            let empty = Checkpoint(origin: origin, size: 0, root: Merkle.emptyRoot)
            let note = try SignedCheckpoint(signing: empty, with: signer).serialized
            try db.execute(
                sql: "INSERT INTO checkpoints (log_id, size, root, note, frontier, created_at) VALUES (?, 0, ?, ?, ?, ?)",
                arguments: [logID, Merkle.emptyRoot.data, note, Data(), now.microseconds]
            )
            return LogInfo(tenant: tenant, origin: origin)
        }
    }

    public func storedLog(tenant: String) async throws -> LogInfo? {
        try await readQuick { db in try Self.logRow(db, tenant: tenant).map { LogInfo(tenant: tenant, origin: $0.origin) } }
    }

    static func logRow(_ db: Database, tenant: String) throws -> (id: Int64, origin: String)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT log_id, origin FROM logs WHERE tenant = ?"), arguments: [tenant]) else {
            return nil
        }
        return (row[0], row[1])
    }

    func logID(_ db: Database, _ tenant: String) throws -> (id: Int64, origin: String) {
        guard let row = try Self.logRow(db, tenant: tenant) else {
            throw StoreError(.notFound, "no log for tenant \"\(tenant)\"")
        }
        return row
    }

    // MARK: Append

    public func append(tenant: String, events: [AuditEvent], receivedAt: Timestamp) async throws -> AppendResult {
        try await appendBatch(tenant: tenant, receivedAt: receivedAt, handover: nil) { _, _ in events }
    }

    public func rotateKey(tenant: String, to newSigner: any NoteSigner, receivedAt: Timestamp) async throws -> KeyRotationResult {
        let rotation = Mutex<KeyRotation?>(nil)
        let result = try await appendBatch(tenant: tenant, receivedAt: receivedAt, handover: newSigner) { origin, seq in
            let old = try self.signers.signer(forOrigin: origin)
            let r = try KeyRotation.make(origin: origin, seq: seq, old: old, new: newSigner)
            rotation.withLock { $0 = r }
            guard let event = AuditEvent(stored: r.event(time: receivedAt)) else { throw StoreError(.corrupt, "rotation event does not parse") }
            return [event]
        }
        guard let r = rotation.withLock({ $0 }) else { throw StoreError(.corrupt, "no rotation was made") }
        return KeyRotationResult(rotation: r, checkpoint: result.checkpoint)
    }

    public func keyHistory(tenant: String) async throws -> [LogKey] {
        try await readQuick { db in
            let (logID, _) = try self.logID(db, tenant)
            return try Self.keyHistory(db, logID: logID)
        }
    }

    static func keyHistory(_ db: Database, logID: Int64) throws -> [LogKey] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT from_size, verifier_key, rotation_seq FROM log_keys WHERE log_id = ? ORDER BY from_size"),
            arguments: [logID]
        ).map { LogKey(fromSize: UInt64($0[0] as Int64), verifierKey: $0[1], rotationSeq: ($0[2] as Int64?).map(UInt64.init)) }
    }

    /// Appends the events `makeEvents(origin, size)` gives for the log's current size in one
    /// transaction. With `handover`, the batch is a key rotation: its checkpoint is also signed by
    /// the new key and the new key is recorded as in effect from the new size.
    func appendBatch(
        tenant: String,
        receivedAt: Timestamp,
        handover: (any NoteSigner)?,
        makeEvents: @Sendable @escaping (String, UInt64) throws -> [AuditEvent]
    ) async throws -> AppendResult {
        guard let info = try await log(tenant: tenant, create: true) else { throw StoreError(.notFound, "no log") }
        let signer = try signers.signer(forOrigin: info.origin)
        let signEntries = options.signEntries
        return try await write { db in
            let (logID, origin) = try self.logID(db, tenant)
            guard
                let head = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT size, frontier FROM checkpoints WHERE log_id = ? ORDER BY size DESC LIMIT 1"),
                    arguments: [logID]
                )
            else { throw StoreError(.corrupt, "log \(tenant) has no checkpoint") }
            let size = UInt64(head[0] as Int64)
            // Only the key in effect may sign: after a rotation, a process still holding the old key
            // must not extend the log (its checkpoints would not verify).
            let current = try String.fetchOne(
                db.cachedStatement(sql: "SELECT verifier_key FROM log_keys WHERE log_id = ? ORDER BY from_size DESC LIMIT 1"),
                arguments: [logID]
            )
            try LogKey.check(inEffect: current, signer: signer, origin: origin, handover: handover)
            let events = try makeEvents(origin, size)
            var tree = try CompactRange(size: size, encoded: Array(head[1] as Data))
            var prev = Hash256.zero
            if size > 0 {
                guard
                    let data = try Data.fetchOne(
                        db.cachedStatement(sql: "SELECT hash FROM entries WHERE log_id = ? AND seq = ?"),
                        arguments: [logID, Int64(size - 1)]
                    ),
                    let h = Hash256(bytes: data)
                else { throw StoreError(.corrupt, "log \(tenant) is missing entry \(size - 1)") }
                prev = h
            }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO entries (log_id, seq, hash, event_id, received_at, sig, entry) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (log_id, event_id) DO NOTHING
                    """
            )
            let insertNode = try db.cachedStatement(sql: "INSERT INTO nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)")
            let lookup = try db.cachedStatement(sql: "SELECT seq, hash FROM entries WHERE log_id = ? AND event_id = ?")
            var receipts: [Receipt] = []
            receipts.reserveCapacity(events.count)
            // What the proof tiles completed by this append are built from.
            let firstSeq = tree.size
            var fresh: [Hash256] = []
            fresh.reserveCapacity(events.count)
            var level4: [UInt64: Hash256] = [:]
            var tiles: [(level: UInt8, index: UInt64)] = []
            for event in events {
                let seq = tree.size
                let bytes = LedgerEntry.canonicalBytes(
                    origin: origin,
                    seq: seq,
                    prev: prev,
                    receivedAt: receivedAt,
                    eventBytes: event.canonicalBytes ?? event.value.canonicalBytes
                )
                let hash = LedgerEntry.hash(canonicalBytes: bytes)
                let sig: [UInt8]? = signEntries ? Array(try signer.sign(LedgerEntry.signatureMessage(for: hash))) : nil
                var row = RawInsert(insert, db)
                row.int(logID)
                row.int(Int64(seq))
                hash.withUnsafeBytes { row.blob($0) }
                row.text(event.id)
                row.int(receivedAt.microseconds)
                row.blob(sig)
                row.blob(bytes)
                try row.run()
                if db.changesCount == 0 {
                    guard let row = try Row.fetchOne(lookup, arguments: [logID, event.id]), let h = Hash256(bytes: row[1] as Data) else {
                        throw StoreError(.corrupt, "event \(event.id) conflicts but cannot be read")
                    }
                    receipts.append(Receipt(id: event.id, seq: UInt64(row[0] as Int64), hash: h, duplicate: true))
                    continue
                }
                var nodeError: (any Error)?
                fresh.append(hash)
                tree.append(hash) { id, h in
                    guard id.level >= Self.minStoredLevel, nodeError == nil else { return }
                    do {
                        var row = RawInsert(insertNode, db)
                        row.int(logID)
                        row.int(Int64(id.level))
                        row.int(Int64(id.index))
                        h.withUnsafeBytes { row.blob($0) }
                        try row.run()
                    } catch { nodeError = error }
                    // A level-4 node completes a leaf tile; a level-8 node a level-4 tile.
                    if id.level == 4 {
                        level4[id.index] = h
                        tiles.append((0, id.index))
                    } else if id.level == 8 {
                        tiles.append((4, id.index))
                    }
                }
                if let nodeError { throw nodeError }
                prev = hash
                receipts.append(Receipt(id: event.id, seq: seq, hash: hash, duplicate: false))
            }
            try Self.writeTiles(db, logID: logID, completed: tiles, firstSeq: firstSeq, fresh: fresh, level4: level4)
            if tree.size == size {
                guard let latest = try Self.fetchCheckpoints(db, logID: logID, sizes: size...size, limit: 1).first else {
                    throw StoreError(.corrupt, "log \(tenant) lost its checkpoint")
                }
                return AppendResult(receipts: receipts, checkpoint: latest)
            }
            let root = tree.root
            let body = Checkpoint(origin: origin, size: tree.size, root: root).text
            // The handover checkpoint is signed by the new key (in effect from here) and the old one.
            let note = try SignedNote.sign(body, with: handover.map { [$0, signer] } ?? [signer]).serialized
            let now = Timestamp.now()
            try db.cachedStatement(sql: "INSERT INTO checkpoints (log_id, size, root, note, frontier, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [logID, Int64(tree.size), root.data, note, Data(tree.encoded), now.microseconds])
            if let handover {
                let insertKey = "INSERT INTO log_keys (log_id, from_size, verifier_key, rotation_seq, created_at) VALUES (?, ?, ?, ?, ?)"
                if current == nil {
                    try db.execute(sql: insertKey, arguments: [logID, 0, signer.verifierKey, nil, now.microseconds])
                }
                try db.execute(sql: insertKey, arguments: [logID, Int64(tree.size), handover.verifierKey, Int64(size), now.microseconds])
            }
            return AppendResult(receipts: receipts, checkpoint: StoredCheckpoint(size: tree.size, root: root, note: note, createdAt: now))
        }
    }

    // MARK: Reads

    static func fetchCheckpoints(_ db: Database, logID: Int64, sizes: ClosedRange<UInt64>, limit: Int) throws -> [StoredCheckpoint] {
        let upper = Int64(clamping: sizes.upperBound)
        return try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT size, root, note, created_at FROM checkpoints WHERE log_id = ? AND size BETWEEN ? AND ? ORDER BY size LIMIT ?"
            ),
            arguments: [logID, Int64(clamping: sizes.lowerBound), upper, limit]
        ).map { row in
            guard let root = Hash256(bytes: row[1] as Data) else { throw StoreError(.corrupt, "checkpoint root is not 32 bytes") }
            return StoredCheckpoint(size: UInt64(row[0] as Int64), root: root, note: row[2], createdAt: Timestamp(microseconds: row[3]))
        }
    }

    public func latestCheckpoint(tenant: String) async throws -> StoredCheckpoint? {
        try await readQuick { db in
            guard let (logID, _) = try Self.logRow(db, tenant: tenant) else { return nil }
            guard let size = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(size) FROM checkpoints WHERE log_id = ?"), arguments: [logID])
            else {
                return nil
            }
            return try Self.fetchCheckpoints(db, logID: logID, sizes: UInt64(size)...UInt64(size), limit: 1).first
        }
    }

    public func checkpoints(tenant: String, sizes range: ClosedRange<UInt64>, limit: Int) async throws -> [StoredCheckpoint] {
        try await read { db in
            let (logID, _) = try self.logID(db, tenant)
            return try Self.fetchCheckpoints(db, logID: logID, sizes: range, limit: limit)
        }
    }

    public func entries(tenant: String, from start: UInt64, limit: Int) async throws -> [StoredEntry] {
        let body: @Sendable (Database) throws -> [StoredEntry] = { db in
            let (logID, _) = try self.logID(db, tenant)
            var out: [StoredEntry] = []
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT seq, hash, sig, entry FROM entries WHERE log_id = ? AND seq >= ? ORDER BY seq LIMIT ?"),
                arguments: [logID, Int64(clamping: start), limit]
            )
            while let row = try rows.next() {
                let hashData: Data = row[1]
                guard let h = Hash256(bytes: hashData) else {
                    throw StoreError(.corrupt, "entry \(row[0] as Int64) has a hash of \(hashData.count) bytes")
                }
                let sig: Data? = row[2]
                out.append(StoredEntry(seq: UInt64(row[0] as Int64), hash: h, bytes: Array(row[3] as Data), signature: sig.map { Array($0) }))
            }
            return out
        }
        // A few entries (a proof's leaf, a follower's small page) are a short read.
        return limit <= 16 ? try await readQuick(body) : try await read(body)
    }

    public func nodes(tenant: String, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256] {
        try await readQuick { db in
            let (logID, _) = try self.logID(db, tenant)
            return try Self.storedNodes(db, logID: logID, ids: ids.filter { $0.level >= Self.minStoredLevel })
        }
    }

    static func storedNodes(_ db: Database, logID: Int64, ids: [Merkle.NodeID]) throws -> [Merkle.NodeID: Hash256] {
        let stmt = try db.cachedStatement(sql: "SELECT hash FROM nodes WHERE log_id = ? AND level = ? AND idx = ?")
        var out: [Merkle.NodeID: Hash256] = [:]
        for id in ids {
            if let data = try Data.fetchOne(stmt, arguments: [logID, Int64(id.level), Int64(id.index)]), let h = Hash256(bytes: data) {
                out[id] = h
            }
        }
        return out
    }

    /// Hashes of the given perfect subtrees, in the order of `ids`: from memory for levels of
    /// ``cachedLevel`` and up; from proof tiles (SQLiteLedgerStore+Tiles.swift) below, one row per block
    /// of 16 leaves or 16 level-4 nodes; for a block without a tile (the log's growing edge), from the
    /// checkpoint's frontier, stored nodes and entry hashes. Every ID must lie within the log's current
    /// size. A proof asks for a few dozen nodes, so this works on arrays, without dictionaries.
    func resolveNodes(_ db: Database, logID: Int64, size: UInt64, ids: [Merkle.NodeID]) throws -> [Hash256] {
        var out = [Hash256?](repeating: nil, count: ids.count)
        try nodeCache.fill(db, logID: logID, ids: ids, into: &out)
        // Levels 4..<8 from level-4 tiles, levels 0..<4 from leaf tiles; a proof needs one or two of each.
        var tiles: [(id: Int64, data: Data?)] = []
        for k in ids.indices where out[k] == nil {
            let id = ids[k]
            let tileLevel: UInt8 = id.level >= Self.minStoredLevel ? 4 : 0
            let tileIndex = id.leafRange.lowerBound >> (UInt64(tileLevel) + 4)  // a tile spans 2^(tileLevel + 4) leaves
            let key = Self.tileID(logID: logID, level: tileLevel, index: tileIndex)
            if tileLevel == 4, let kept = tileCache.node(key, tileIndex: tileIndex, id) {
                out[k] = kept
                continue
            }
            let data: Data?
            if let memo = tiles.first(where: { $0.id == key }) {
                data = memo.data
            } else {
                data = try Self.tileData(db, logID: logID, level: tileLevel, index: tileIndex)
                if tileLevel == 4, let data { tileCache.keep(key, data) }
                tiles.append((key, data))
            }
            guard let data else { continue }
            let span = 1 << Int(id.level - tileLevel)  // nodes of the tile's level under `id`
            let first = Int((id.index << UInt64(id.level - tileLevel)) - tileIndex * UInt64(Self.tileWidth))
            out[k] = data.withUnsafeBytes { Merkle.root(ofPackedHashes: $0, first: first, count: span) }
        }
        let missing = ids.indices.filter { out[$0] == nil }
        if !missing.isEmpty {
            // The right edge of the tree at `size`, where blocks are incomplete: from the checkpoint's frontier.
            var untiled = missing.map { ids[$0] }
            var found: [Merkle.NodeID: Hash256] = [:]
            if let edge = try nodeCache.edge(db, logID: logID, size: size) {
                untiled = untiled.filter { id in
                    guard let h = edge[id] else { return true }
                    found[id] = h
                    return false
                }
            }
            try found.merge(Self.untiledNodes(db, logID: logID, ids: untiled)) { a, _ in a }
            for k in missing { out[k] = found[ids[k]] }
        }
        return try zip(ids, out).map { id, h in
            guard let h else { throw StoreError(.corrupt, "Merkle node level \(id.level) index \(id.index) is not stored") }
            return h
        }
    }

    /// Hashes of perfect subtrees below ``cachedLevel`` read without tiles: stored nodes from
    /// ``minStoredLevel``, and below it one read of entry hashes per block of 16 leaves.
    static func untiledNodes(_ db: Database, logID: Int64, ids: [Merkle.NodeID]) throws -> [Merkle.NodeID: Hash256] {
        var out = try storedNodes(db, logID: logID, ids: ids.filter { $0.level >= minStoredLevel })
        let leaves = try db.cachedStatement(sql: "SELECT hash FROM entries WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq")
        let low = Dictionary(grouping: ids.filter { out[$0] == nil }) { $0.leafRange.lowerBound >> UInt64(minStoredLevel) }
        for (_, group) in low {
            let start = group.map(\.leafRange.lowerBound).min()!
            let end = group.map(\.leafRange.upperBound).max()!
            let hashes = try Data.fetchAll(leaves, arguments: [logID, Int64(start), Int64(end)]).compactMap { Hash256(bytes: $0) }
            guard hashes.count == Int(end - start) else {
                throw StoreError(
                    .corrupt,
                    "Merkle nodes over leaves \(start)..<\(end) cannot be rebuilt: \(hashes.count) of \(end - start) entries found"
                )
            }
            for id in group {
                let r = id.leafRange
                out[id] = Merkle.root(of: Array(hashes[Int(r.lowerBound - start)..<Int(r.upperBound - start)]))
            }
        }
        return out
    }

    /// The log of `tenant` and a size it has reached, at least `needed` if it has: every proof asks for
    /// both. A log's id never changes and its size only grows, so a size seen before is still a true
    /// lower bound; the store is asked only when the one kept is below `needed` (one statement).
    func logAndSize(_ db: Database, _ tenant: String, atLeast needed: UInt64) throws -> (id: Int64, size: UInt64) {
        if let known = knownLogs.withLock({ $0[tenant] }), known.size >= needed { return known }
        let sql = "SELECT log_id, (SELECT max(size) FROM checkpoints c WHERE c.log_id = l.log_id) FROM logs l WHERE tenant = ?"
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [tenant]) else {
            throw StoreError(.notFound, "no log for tenant \"\(tenant)\"")
        }
        let found = (id: row[0] as Int64, size: UInt64((row[1] as Int64?) ?? 0))
        knownLogs.withLock { all in
            if let kept = all[tenant], kept.id == found.id, kept.size > found.size { return }
            all[tenant] = found
        }
        return found
    }

    func currentSize(_ db: Database, logID: Int64) throws -> UInt64 {
        UInt64(try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(size) FROM checkpoints WHERE log_id = ?"), arguments: [logID]) ?? 0)
    }

    public func inclusionProof(tenant: String, seq: UInt64, size: UInt64) async throws -> [Hash256] {
        try await readQuick { db in
            let (logID, current) = try self.logAndSize(db, tenant, atLeast: size)
            guard size <= current else { throw StoreError(.invalidArgument, "size \(size) is beyond the log size \(current)") }
            guard seq < size else { throw StoreError(.invalidArgument, "seq \(seq) is not below size \(size)") }
            let plan = try Merkle.inclusionProofPlan(index: seq, size: size)
            return try plan.resolve(ordered: try self.resolveNodes(db, logID: logID, size: size, ids: plan.neededNodes))
        }
    }

    public func consistencyProof(tenant: String, from: UInt64, to: UInt64) async throws -> [Hash256] {
        try await readQuick { db in
            let (logID, current) = try self.logAndSize(db, tenant, atLeast: to)
            guard to <= current else { throw StoreError(.invalidArgument, "size \(to) is beyond the log size \(current)") }
            guard from <= to else { throw StoreError(.invalidArgument, "from \(from) is larger than to \(to)") }
            if from == 0 || from == to { return [] }
            let plan = try Merkle.consistencyProofPlan(from: from, to: to)
            return try plan.resolve(ordered: try self.resolveNodes(db, logID: logID, size: to, ids: plan.neededNodes))
        }
    }

    public func compactRange(tenant: String, size: UInt64) async throws -> CompactRange {
        try await readQuick { db in
            let (logID, _) = try self.logID(db, tenant)
            return try self.compactRange(db, logID: logID, size: size)
        }
    }

    func compactRange(_ db: Database, logID: Int64, size: UInt64) throws -> CompactRange {
        let current = try currentSize(db, logID: logID)
        guard size <= current else { throw StoreError(.invalidArgument, "size \(size) is beyond the log size \(current)") }
        let ids = Merkle.perfectSubtrees(of: 0..<size)
        return try CompactRange(size: size, nodes: try self.resolveNodes(db, logID: logID, size: size, ids: ids))
    }

    public func checkpoint(tenant: String, size: UInt64) async throws -> StoredCheckpoint {
        let (stored, range, origin) = try await readQuick { db -> (StoredCheckpoint?, CompactRange?, String) in
            let (logID, origin) = try self.logID(db, tenant)
            if let c = try Self.fetchCheckpoints(db, logID: logID, sizes: size...size, limit: 1).first { return (c, nil, origin) }
            return (nil, try self.compactRange(db, logID: logID, size: size), origin)
        }
        if let stored { return stored }
        let root = range!.root
        let signer = try signers.signer(forOrigin: origin)
        try LogKey.checkOnDemand(size: size, history: try await keyHistory(tenant: tenant), signer: signer)
        let note = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: size, root: root), with: signer)
        return StoredCheckpoint(size: size, root: root, note: note.serialized, createdAt: .now())
    }

    public func verifierKey(tenant: String) async throws -> String {
        guard let info = try await log(tenant: tenant, create: false) else { throw StoreError(.notFound, "no log for tenant \"\(tenant)\"") }
        if let last = try await keyHistory(tenant: tenant).last { return last.verifierKey }
        return try signers.verifierKey(forOrigin: info.origin)
    }
}
