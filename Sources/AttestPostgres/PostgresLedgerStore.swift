import AttestCore
import AttestStore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The ledger on PostgreSQL (docs/POSTGRES.md): the same receipts, proofs and bundles as the
/// SQLite store, for several `attest serve` nodes sharing one database.
///
/// Every method runs in one transaction that first names its tenant
/// (`set_config('attest.tenant', …, true)`), so row-level security shows it that tenant's rows only.
/// Appends to one log are serialized across nodes by a transaction-scoped advisory lock on the
/// log; the head (size, compact range, last hash) is read from the newest checkpoint row after the
/// lock is held, so no two nodes can assign the same `seq`. All values are bound parameters.
///
/// The client must run: `run()` (this is a ServiceLifecycle `Service`) runs the connection pool.
public final class PostgresLedgerStore: LedgerStore, AdminStore, FollowerCursorStore, EventReader, Service {
    /// Merkle nodes of this level and above are stored, as in the SQLite store.
    public static let minStoredLevel = SQLiteLedgerStore.minStoredLevel
    /// The schema version this build reads and writes.
    public static let schemaVersion = PostgresSchema.migrations.last!.version

    let client: PostgresClient
    let signers: any LogSigners
    let options: SQLiteLedgerStore.Options
    let logger: Logger
    public let url: PostgresURL
    /// The installation's origin prefix (read from the database by `open()`).
    public var originPrefix: String { state.withLock { $0.originPrefix } ?? "" }

    struct State {
        var originPrefix: String?
        var logs: [String: LogRow] = [:]
        var months: Set<Int> = []
    }
    struct LogRow: Sendable {
        let id: Int64
        let origin: String
    }
    let state = Mutex(State())
    /// Tests only: run by a query after it has read the query index's position and before it reads
    /// the index rows, where another connection's index transaction may commit (the race the
    /// `seq < position` clause guards; RecentRowsTests). Nil in every running store.
    package let afterIndexPosition = Mutex<(@Sendable () async throws -> Void)?>(nil)

    /// A store over `url`. Nothing is contacted until `open()`; `run()` must be running first.
    public init(url: PostgresURL, signers: any LogSigners, options: SQLiteLedgerStore.Options = .init(), logger: Logger, maxConnections: Int = 20)
        throws
    {
        self.url = url
        self.client = PostgresClient(configuration: try url.clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
        self.signers = signers
        self.options = options
        self.logger = logger
    }

    /// Runs the connection pool until cancelled.
    public func run() async {
        await client.run()
    }

    /// Checks the schema version and reads (or, once, records) the origin prefix; makes sure the
    /// partitions for this month and the next two exist. Retries for up to `wait` while the server
    /// is unreachable, so nodes may start before the database.
    public func open(wait: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + wait
        while true {
            do {
                try await openOnce()
                return
            } catch let e as StoreError where e.code == .unavailable && ContinuousClock.now < deadline {
                logger.warning("PostgreSQL not ready (\(e.reason)); retrying", metadata: ["database": "\(url)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One connection outside the pool: its errors are the server's own (a wrong password is
    /// reported at once instead of after the pool's backoff).
    func withProbeConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await PostgresSetup.withConnection(url, logger: logger, body)
    }

    func openOnce() async throws {
        let version: Int64? = try await withProbeConnection { conn in
            for try await present in try await conn.query("SELECT to_regclass('attest.schema_migrations') IS NOT NULL", logger: self.logger)
                .decode(Bool.self) where !present
            {
                return nil
            }
            for try await v in try await conn.query("SELECT max(version)::bigint FROM attest.schema_migrations", logger: self.logger).decode(
                Int64?.self
            ) {
                return v
            }
            return nil
        }
        guard let version else {
            throw StoreError(.notFound, "database \(url) has no Attest schema: run `attest db init --admin-url …` first")
        }
        guard version == Int64(Self.schemaVersion) else {
            throw StoreError(
                .conflict,
                "database \(url) has Attest schema version \(version); this build needs \(Self.schemaVersion): run `attest db init` with this build"
            )
        }
        let wanted = options.originPrefix
        if let p = wanted, !SQLiteLedgerStore.isValidPrefix(p) {
            throw StoreError(.invalidArgument, "origin prefix \"\(p)\" is not valid: use letters, digits, '.', '-', '_' and '/', no spaces or '+'")
        }
        let prefix: String = try await transaction(tenant: nil) { conn in
            var stored: String?
            for try await v in try await conn.query("SELECT value FROM attest.meta WHERE key = 'origin_prefix'", logger: self.logger).decode(
                String.self
            ) {
                stored = v
            }
            if let stored {
                if let wanted, wanted != stored {
                    throw StoreError(.conflict, "this database's origin prefix is \"\(stored)\"; it cannot be changed to \"\(wanted)\"")
                }
                return stored
            }
            let prefix = wanted ?? "attest.local/" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            try await conn.query(
                "INSERT INTO attest.meta (key, value) VALUES ('origin_prefix', \(prefix)), ('format', 'attest/v1') ON CONFLICT (key) DO NOTHING",
                logger: self.logger
            )
            return prefix
        }
        state.withLock { $0.originPrefix = prefix }
        try await ensurePartitions(at: .now(), monthsAhead: 2)
    }

    // MARK: Plumbing

    /// Runs `body` in a transaction that first names `tenant` for row-level security.
    /// With `lockLog`, the same round trip also takes that log's append lock (held to commit).
    ///
    /// Bounded by ``operationTimeout``: when the database is down or a connection dies under a
    /// query, the caller gets `.unavailable` (HTTP 503) instead of waiting.
    func transaction<T: Sendable>(
        tenant: String?,
        lockLog: Int64? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withDeadline {
            do {
                return try await self.client.withConnection { conn in
                    try await conn.query("BEGIN", logger: self.logger)
                    do {
                        if let tenant, let lockLog {
                            // Serializes appends to this log across every node until commit.
                            let id = Int32(truncatingIfNeeded: lockLog)
                            try await conn.query(
                                "SELECT set_config('attest.tenant', \(tenant), true), pg_advisory_xact_lock(\(PostgresSchema.logLockClass), \(id))",
                                logger: self.logger
                            )
                        } else if let tenant {
                            try await conn.query("SELECT set_config('attest.tenant', \(tenant), true)", logger: self.logger)
                        }
                        let value = try await body(conn)
                        try await conn.query("COMMIT", logger: self.logger)
                        return value
                    } catch {
                        // A query written to a closed connection never completes (postgres-nio
                        // 1.33): only roll back on a live one. A dead connection's transaction
                        // has been rolled back by the server already.
                        if !conn.isClosed && !Self.isConnectionLoss(error) {
                            _ = try? await conn.query("ROLLBACK", logger: self.logger)
                        }
                        throw error
                    }
                }
            } catch {
                throw Self.storeError(error)
            }
        }
    }

    /// Runs one statement's worth of work outside an explicit transaction (no tenant: only for
    /// installation-wide reads such as the log directory and token lookup). One round trip.
    func autocommit<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withDeadline {
            do {
                return try await self.client.withConnection { conn in try await body(conn) }
            } catch {
                throw Self.storeError(error)
            }
        }
    }

    /// How long one store operation (waiting for a connection included) may take before it
    /// fails with `.unavailable`.
    public static let operationTimeout: Duration = .seconds(10)

    /// Runs `work` in its own task and answers within ``operationTimeout`` whatever happens to it:
    /// a lease that waits for a database that is down is cancelled; a query stuck on a dead
    /// connection is abandoned (its transaction is rolled back by the server).
    func withDeadline<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = Self.operationTimeout
        let start = ContinuousClock.now
        let slot = ContinuationSlot<T>()
        return try await withCheckedThrowingContinuation { continuation in
            slot.withLock { $0 = continuation }
            let worker = Task {
                let result: Result<T, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                slot.withLock { $0.take() }?.resume(with: result)
            }
            Task {
                // Polls: a finished worker has emptied the slot, and the timer then just ends.
                while true {
                    try? await Task.sleep(for: .milliseconds(200))
                    if slot.withLock({ $0 == nil }) { return }
                    if ContinuousClock.now - start >= limit { break }
                }
                if let c = slot.withLock({ $0.take() }) {
                    worker.cancel()
                    c.resume(throwing: StoreError(.unavailable, "PostgreSQL did not answer within \(limit)"))
                }
            }
        }
    }

    /// The one continuation a deadline race resumes, shared by the worker and the timer.
    final class ContinuationSlot<T: Sendable>: Sendable {
        let value = Mutex<CheckedContinuation<T, any Error>?>(nil)
        func withLock<R>(_ body: (inout CheckedContinuation<T, any Error>?) -> R) -> R { value.withLock { body(&$0) } }
    }

    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError else { return false }
        return [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed].contains(e.code)
    }

    /// Maps driver errors to ``StoreError`` with the server's message (never the query's values).
    static func storeError(_ error: any Error) -> StoreError {
        if let e = error as? StoreError { return e }
        if let e = error as? PSQLError {
            if let info = e.serverInfo {
                let state = info[.sqlState] ?? "?"
                let message = info[.message] ?? "server error"
                switch state {
                case "23505": return StoreError(.conflict, "PostgreSQL: \(message)")
                // Wrong credentials, unknown database or role: retrying will not help.
                case "28P01", "28000", "3D000": return StoreError(.invalidArgument, "PostgreSQL refused the connection: \(message)")
                case "42501": return StoreError(.invalidArgument, "PostgreSQL refused: \(message) (SQLSTATE 42501)")
                default: return StoreError(.unavailable, "PostgreSQL: \(message) (SQLSTATE \(state))")
                }
            }
            let cause = e.underlying.map { ": \(String(describing: $0).prefix(300))" } ?? ""
            return StoreError(.unavailable, "PostgreSQL unavailable: \(e.code)\(cause)")
        }
        if let e = error as? PostgresDecodingError {
            return StoreError(.corrupt, "PostgreSQL returned a value of an unexpected type: \(e.code)")
        }
        return StoreError(.unavailable, "PostgreSQL: \(error)")
    }

    static func hash(_ buffer: ByteBuffer, _ what: @autoclosure () -> String) throws -> Hash256 {
        guard let h = Hash256(bytes: buffer.readableBytesView) else { throw StoreError(.corrupt, "\(what()) is not 32 bytes") }
        return h
    }

    /// Makes sure the monthly partitions from the month of `at` for `monthsAhead` more months exist.
    public func ensurePartitions(at: Timestamp, monthsAhead: Int) async throws {
        let us = at.microseconds
        let months = Int32(monthsAhead)
        _ = try await transaction(tenant: nil) { conn in
            try await conn.query("SELECT attest.ensure_partitions(\(us), \(months))", logger: self.logger)
        }
        let first = Self.monthKey(at)
        state.withLock { s in
            var key = first
            for _ in 0...monthsAhead {
                s.months.insert(key)
                key = key % 100 == 12 ? key + 89 : key + 1
            }
        }
    }

    /// `YYYYMM` of a timestamp, in UTC.
    public static func monthKey(_ t: Timestamp) -> Int {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let d = cal.dateComponents([.year, .month], from: Date(timeIntervalSince1970: Double(t.microseconds) / 1e6))
        return d.year! * 100 + d.month!
    }

    // MARK: Logs

    public func logs() async throws -> [LogInfo] {
        try await autocommit { conn in
            var out: [LogInfo] = []
            for try await (t, o) in try await conn.query("SELECT tenant, origin FROM attest.logs ORDER BY tenant", logger: self.logger).decode(
                (String, String).self
            ) {
                out.append(LogInfo(tenant: t, origin: o))
            }
            return out
        }
    }

    /// The cached log row (logs are append-only: a row never changes once read).
    func logRow(_ tenant: String, conn: PostgresConnection) async throws -> LogRow? {
        if let row = state.withLock({ $0.logs[tenant] }) { return row }
        for try await (id, origin) in try await conn.query(
            "SELECT log_id, origin FROM attest.logs WHERE tenant = \(tenant)",
            logger: logger
        ).decode((Int64, String).self) {
            let row = LogRow(id: id, origin: origin)
            state.withLock { $0.logs[tenant] = row }
            return row
        }
        return nil
    }

    func requireLog(_ tenant: String, conn: PostgresConnection) async throws -> LogRow {
        guard let row = try await logRow(tenant, conn: conn) else { throw StoreError(.notFound, "no log for tenant \"\(tenant)\"") }
        return row
    }

    public func storedLog(tenant: String) async throws -> LogInfo? {
        try await transaction(tenant: tenant) { conn in
            for try await origin in try await conn.query("SELECT origin FROM attest.logs WHERE tenant = \(tenant)", logger: self.logger)
                .decode(String.self)
            {
                return LogInfo(tenant: tenant, origin: origin)
            }
            return nil
        }
    }

    public func log(tenant: String, create: Bool) async throws -> LogInfo? {
        guard SQLiteLedgerStore.isValidTenant(tenant) else {
            throw StoreError(.invalidArgument, "tenant \"\(tenant)\" is not valid: 1-63 of a-z 0-9 _ -, starting with a letter or digit")
        }
        if let row = state.withLock({ $0.logs[tenant] }) { return LogInfo(tenant: tenant, origin: row.origin) }
        if let row = try await transaction(tenant: tenant, { conn in try await self.logRow(tenant, conn: conn) }) {
            return LogInfo(tenant: tenant, origin: row.origin)
        }
        guard create else { return nil }
        let prefix = originPrefix
        guard !prefix.isEmpty else { throw StoreError(.unavailable, "the PostgreSQL store is not open") }
        let origin = prefix + "/" + tenant
        let signer = try signers.signer(forOrigin: origin)
        let note = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: 0, root: Merkle.emptyRoot), with: signer).serialized
        let now = Timestamp.now().microseconds
        let empty = Merkle.emptyRoot.withUnsafeBytes { ByteBuffer(bytes: $0) }
        let row = try await transaction(tenant: tenant) { conn -> LogRow in
            // Two nodes may create the same tenant at once: the second one finds the first one's log.
            try await conn.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.lockClass), 1)", logger: self.logger)
            if let row = try await self.logRow(tenant, conn: conn) { return row }
            var logID: Int64?
            for try await id in try await conn.query(
                "INSERT INTO attest.logs (tenant, origin, created_at) VALUES (\(tenant), \(origin), \(now)) RETURNING log_id",
                logger: self.logger
            ).decode(Int64.self) {
                logID = id
            }
            guard let logID else { throw StoreError(.unavailable, "creating the log of \(tenant) returned no id") }
            let key = signer.verifierKey
            try await conn.query(
                "INSERT INTO attest.log_keys (log_id, from_size, verifier_key, rotation_seq, created_at) VALUES (\(logID), 0, \(key), NULL, \(now))",
                logger: self.logger
            )
            // Size 0 gets a signed checkpoint too, so a new log is verifiable from the start.
            try await conn.query(
                """
                INSERT INTO attest.checkpoints (log_id, size, root, note, frontier, last_hash, created_at)
                VALUES (\(logID), 0, \(empty), \(note), \(ByteBuffer()), NULL, \(now))
                """,
                logger: self.logger
            )
            return LogRow(id: logID, origin: origin)
        }
        // Cached only once committed.
        state.withLock { $0.logs[tenant] = row }
        return LogInfo(tenant: tenant, origin: row.origin)
    }

    // MARK: Append

    public func append(tenant: String, events: [AuditEvent], receivedAt: Timestamp) async throws -> AppendResult {
        try await appendBatch(tenant: tenant, receivedAt: receivedAt, handover: nil) { _, _ in events }
    }

    public func rotateKey(tenant: String, to newSigner: any NoteSigner, receivedAt: Timestamp) async throws -> KeyRotationResult {
        let rotation = Mutex<KeyRotation?>(nil)
        let signers = self.signers
        let result = try await appendBatch(tenant: tenant, receivedAt: receivedAt, handover: newSigner) { origin, seq in
            let r = try KeyRotation.make(origin: origin, seq: seq, old: try signers.signer(forOrigin: origin), new: newSigner)
            rotation.withLock { $0 = r }
            guard let event = AuditEvent(stored: r.event(time: receivedAt)) else { throw StoreError(.corrupt, "rotation event does not parse") }
            return [event]
        }
        guard let r = rotation.withLock({ $0 }) else { throw StoreError(.corrupt, "no rotation was made") }
        return KeyRotationResult(rotation: r, checkpoint: result.checkpoint)
    }

    public func keyHistory(tenant: String) async throws -> [LogKey] {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            var out: [LogKey] = []
            for try await (from, key, rotation) in try await conn.query(
                "SELECT from_size, verifier_key, rotation_seq FROM attest.log_keys WHERE log_id = \(log.id) ORDER BY from_size",
                logger: self.logger
            ).decode((Int64, String, Int64?).self) {
                out.append(LogKey(fromSize: UInt64(from), verifierKey: key, rotationSeq: rotation.map(UInt64.init)))
            }
            return out
        }
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
        let month = Self.monthKey(receivedAt)
        if !state.withLock({ $0.months.contains(month) }) {
            // Outside the append transaction: creating a partition locks the parent table briefly.
            try await ensurePartitions(at: receivedAt, monthsAhead: 1)
        }
        let signer = try signers.signer(forOrigin: info.origin)
        let signEntries = options.signEntries
        let logger = self.logger
        guard let cached = state.withLock({ $0.logs[tenant] }) else { throw StoreError(.notFound, "no log for tenant \"\(tenant)\"") }
        return try await transaction(tenant: tenant, lockLog: cached.id) { conn in
            let log = cached
            var head: (size: Int64, frontier: ByteBuffer, last: ByteBuffer?, key: String?)?
            // The key in effect comes with the head in the same round trip (AppendHeadStatement).
            for try await row in try await conn.execute(AppendHeadStatement(logID: log.id), logger: logger) {
                head = row
            }
            guard let head else { throw StoreError(.corrupt, "log \(tenant) has no checkpoint") }
            try LogKey.check(inEffect: head.key, signer: signer, origin: log.origin, handover: handover)
            let size = UInt64(head.size)
            let events = try makeEvents(log.origin, size)
            var tree = try CompactRange(size: size, encoded: head.frontier.readableBytesView)
            var prev = Hash256.zero
            if size > 0 {
                guard let last = head.last else { throw StoreError(.corrupt, "checkpoint \(size) of \(tenant) has no last hash") }
                prev = try Self.hash(last, "the last hash of checkpoint \(size)")
            }

            // Idempotency: IDs already in the log get their first receipt.
            let ids = events.map(\.id)
            var existing: [String: Int64] = [:]
            for try await (id, seq) in try await conn.execute(AppendExistingIDsStatement(logID: log.id, ids: ids), logger: logger) {
                existing[id] = seq
            }
            var existingHashes: [Int64: Hash256] = [:]
            if !existing.isEmpty {
                let seqs = Array(existing.values)
                for try await (seq, h) in try await conn.query(
                    """
                    SELECT e.seq, e.hash FROM unnest(\(seqs)::bigint[]) AS u(s)
                    CROSS JOIN LATERAL (SELECT seq, hash FROM attest.entries WHERE log_id = \(log.id) AND seq = u.s LIMIT 1) AS e
                    """,
                    logger: logger
                ).decode((Int64, ByteBuffer).self) {
                    existingHashes[seq] = try Self.hash(h, "the hash of entry \(seq)")
                }
            }

            var receipts: [Receipt] = []
            receipts.reserveCapacity(events.count)
            var newSeqs: [Int64] = []
            var newHashes: [ByteBuffer] = []
            var newIDs: [String] = []
            var newSigs: [ByteBuffer] = []
            var newEntries: [ByteBuffer] = []
            var nodeLevels: [Int16] = []
            var nodeIndexes: [Int64] = []
            var nodeHashes: [ByteBuffer] = []
            var inBatch: [String: Receipt] = [:]
            for event in events {
                if let seq = existing[event.id] {
                    guard let h = existingHashes[seq] else {
                        throw StoreError(.corrupt, "event \(event.id) is indexed at \(seq) but the entry is missing")
                    }
                    receipts.append(Receipt(id: event.id, seq: UInt64(seq), hash: h, duplicate: true))
                    continue
                }
                if let first = inBatch[event.id] {
                    receipts.append(Receipt(id: event.id, seq: first.seq, hash: first.hash, duplicate: true))
                    continue
                }
                let seq = tree.size
                let bytes = LedgerEntry.canonicalBytes(
                    origin: log.origin,
                    seq: seq,
                    prev: prev,
                    receivedAt: receivedAt,
                    eventBytes: event.canonicalBytes ?? event.value.canonicalBytes
                )
                let hash = LedgerEntry.hash(canonicalBytes: bytes)
                if signEntries { newSigs.append(ByteBuffer(bytes: try signer.sign(LedgerEntry.signatureMessage(for: hash)))) }
                newSeqs.append(Int64(seq))
                newHashes.append(hash.withUnsafeBytes { ByteBuffer(bytes: $0) })
                newIDs.append(event.id)
                newEntries.append(ByteBuffer(bytes: bytes))
                tree.append(hash) { id, h in
                    guard id.level >= Self.minStoredLevel else { return }
                    nodeLevels.append(Int16(id.level))
                    nodeIndexes.append(Int64(id.index))
                    nodeHashes.append(h.withUnsafeBytes { ByteBuffer(bytes: $0) })
                }
                prev = hash
                let receipt = Receipt(id: event.id, seq: seq, hash: hash, duplicate: false)
                inBatch[event.id] = receipt
                receipts.append(receipt)
            }
            if tree.size == size {
                guard let latest = try await Self.fetchCheckpoints(conn, logID: log.id, sizes: size...size, limit: 1, logger: logger).first else {
                    throw StoreError(.corrupt, "log \(tenant) lost its checkpoint")
                }
                return AppendResult(receipts: receipts, checkpoint: latest)
            }
            let root = tree.root
            let body = Checkpoint(origin: log.origin, size: tree.size, root: root).text
            // The handover checkpoint is signed by the new key (in effect from here) and the old one.
            let note = try SignedNote.sign(body, with: handover.map { [$0, signer] } ?? [signer]).serialized
            let now = Timestamp.now()
            let rootBuf = root.withUnsafeBytes { ByteBuffer(bytes: $0) }
            let frontier = ByteBuffer(bytes: tree.encoded)
            let newSize = Int64(tree.size)
            let lastHash = prev.withUnsafeBytes { ByteBuffer(bytes: $0) }
            let received = receivedAt.microseconds
            // One statement, batch inserts through UNNEST: ids, entries, nodes and the checkpoint.
            _ = try await conn.execute(
                AppendInsertStatement(
                    logID: log.id,
                    seqs: newSeqs,
                    hashes: newHashes,
                    ids: newIDs,
                    receivedAt: received,
                    sigs: signEntries ? newSigs : nil,
                    entries: newEntries,
                    nodeLevels: nodeLevels,
                    nodeIndexes: nodeIndexes,
                    nodeHashes: nodeHashes,
                    size: newSize,
                    root: rootBuf,
                    note: note,
                    frontier: frontier,
                    lastHash: lastHash,
                    createdAt: now.microseconds
                ),
                logger: logger
            )
            if let handover {
                let at = now.microseconds
                if head.key == nil {
                    let old = signer.verifierKey
                    try await conn.query(
                        "INSERT INTO attest.log_keys (log_id, from_size, verifier_key, rotation_seq, created_at) VALUES (\(log.id), 0, \(old), NULL, \(at))",
                        logger: logger
                    )
                }
                let new = handover.verifierKey
                try await conn.query(
                    """
                    INSERT INTO attest.log_keys (log_id, from_size, verifier_key, rotation_seq, created_at)
                    VALUES (\(log.id), \(newSize), \(new), \(head.size), \(at))
                    """,
                    logger: logger
                )
            }
            return AppendResult(receipts: receipts, checkpoint: StoredCheckpoint(size: tree.size, root: root, note: note, createdAt: now))
        }
    }

    // MARK: Reads

    static func fetchCheckpoints(
        _ conn: PostgresConnection,
        logID: Int64,
        sizes: ClosedRange<UInt64>,
        limit: Int,
        logger: Logger
    ) async throws -> [StoredCheckpoint] {
        let lo = Int64(clamping: sizes.lowerBound)
        let hi = Int64(clamping: sizes.upperBound)
        let n = Int64(limit)
        var out: [StoredCheckpoint] = []
        for try await (size, root, note, created) in try await conn.query(
            """
            SELECT size, root, note, created_at FROM attest.checkpoints
            WHERE log_id = \(logID) AND size BETWEEN \(lo) AND \(hi) ORDER BY size LIMIT \(n)
            """,
            logger: logger
        ).decode((Int64, ByteBuffer, String, Int64).self) {
            out.append(
                StoredCheckpoint(size: UInt64(size), root: try hash(root, "checkpoint root"), note: note, createdAt: Timestamp(microseconds: created))
            )
        }
        return out
    }

    func currentSize(_ conn: PostgresConnection, logID: Int64) async throws -> UInt64 {
        for try await size in try await conn.query(
            "SELECT coalesce(max(size), 0)::bigint FROM attest.checkpoints WHERE log_id = \(logID)",
            logger: logger
        ).decode(Int64.self) {
            return UInt64(size)
        }
        return 0
    }

    public func latestCheckpoint(tenant: String) async throws -> StoredCheckpoint? {
        try await transaction(tenant: tenant) { conn in
            guard let log = try await self.logRow(tenant, conn: conn) else { return nil }
            let size = try await self.currentSize(conn, logID: log.id)
            return try await Self.fetchCheckpoints(conn, logID: log.id, sizes: size...size, limit: 1, logger: self.logger).first
        }
    }

    public func checkpoints(tenant: String, sizes range: ClosedRange<UInt64>, limit: Int) async throws -> [StoredCheckpoint] {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            return try await Self.fetchCheckpoints(conn, logID: log.id, sizes: range, limit: limit, logger: self.logger)
        }
    }

    public func entries(tenant: String, from start: UInt64, limit: Int) async throws -> [StoredEntry] {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            let from = Int64(clamping: start)
            let n = Int64(limit)
            var out: [StoredEntry] = []
            out.reserveCapacity(min(limit, 10_000))
            for try await (seq, hash, sig, entry) in try await conn.query(
                "SELECT seq, hash, sig, entry FROM attest.entries WHERE log_id = \(log.id) AND seq >= \(from) ORDER BY seq LIMIT \(n)",
                logger: self.logger
            ).decode((Int64, ByteBuffer, ByteBuffer?, ByteBuffer).self) {
                out.append(
                    StoredEntry(
                        seq: UInt64(seq),
                        hash: try Self.hash(hash, "the hash of entry \(seq)"),
                        bytes: Array(entry.readableBytesView),
                        signature: sig.map { Array($0.readableBytesView) }
                    )
                )
            }
            return out
        }
    }

    public func nodes(tenant: String, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256] {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            return try await self.storedNodes(conn, logID: log.id, ids: ids.filter { $0.level >= Self.minStoredLevel })
        }
    }

    func storedNodes(_ conn: PostgresConnection, logID: Int64, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256] {
        guard !ids.isEmpty else { return [:] }
        let levels = ids.map { Int16($0.level) }
        let indexes = ids.map { Int64($0.index) }
        var out: [Merkle.NodeID: Hash256] = [:]
        for try await (level, idx, hash) in try await conn.query(
            """
            SELECT n.level, n.idx, n.hash FROM unnest(\(levels)::smallint[], \(indexes)::bigint[]) AS w(l, x)
            CROSS JOIN LATERAL (
                SELECT level, idx, hash FROM attest.nodes WHERE log_id = \(logID) AND level = w.l AND idx = w.x LIMIT 1
            ) AS n
            """,
            logger: logger
        ).decode((Int16, Int64, ByteBuffer).self) {
            out[Merkle.NodeID(level: UInt8(level), index: UInt64(idx))] = try Self.hash(hash, "Merkle node \(level)/\(idx)")
        }
        return out
    }

    /// Hashes of the given perfect subtrees: stored nodes for high levels, recomputed from entry
    /// hashes below ``minStoredLevel`` (one query for all of them).
    func resolveNodes(_ conn: PostgresConnection, logID: Int64, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256] {
        var out = try await storedNodes(conn, logID: logID, ids: ids.filter { $0.level >= Self.minStoredLevel })
        let missing = ids.filter { out[$0] == nil }
        guard !missing.isEmpty else { return out }
        var seqs: [Int64] = []
        for id in missing { seqs.append(contentsOf: id.leafRange.map { Int64($0) }) }
        var leaves: [Int64: Hash256] = [:]
        for try await (seq, hash) in try await conn.query(
            """
            SELECT e.seq, e.hash FROM unnest(\(seqs)::bigint[]) AS u(s)
            CROSS JOIN LATERAL (SELECT seq, hash FROM attest.entries WHERE log_id = \(logID) AND seq = u.s LIMIT 1) AS e
            """,
            logger: logger
        ).decode((Int64, ByteBuffer).self) {
            leaves[seq] = try Self.hash(hash, "the hash of entry \(seq)")
        }
        for id in missing {
            let hashes = id.leafRange.compactMap { leaves[Int64($0)] }
            guard hashes.count == Int(id.leafCount) else {
                throw StoreError(
                    .corrupt,
                    "Merkle node level \(id.level) index \(id.index) cannot be rebuilt: \(hashes.count) of \(id.leafCount) entries found"
                )
            }
            out[id] = Merkle.root(of: hashes)
        }
        return out
    }

    public func inclusionProof(tenant: String, seq: UInt64, size: UInt64) async throws -> [Hash256] {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            let current = try await self.currentSize(conn, logID: log.id)
            guard size <= current else { throw StoreError(.invalidArgument, "size \(size) is beyond the log size \(current)") }
            guard seq < size else { throw StoreError(.invalidArgument, "seq \(seq) is not below size \(size)") }
            let plan = try Merkle.inclusionProofPlan(index: seq, size: size)
            return try plan.resolve(try await self.resolveNodes(conn, logID: log.id, ids: plan.neededNodes))
        }
    }

    public func consistencyProof(tenant: String, from: UInt64, to: UInt64) async throws -> [Hash256] {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            let current = try await self.currentSize(conn, logID: log.id)
            guard to <= current else { throw StoreError(.invalidArgument, "size \(to) is beyond the log size \(current)") }
            guard from <= to else { throw StoreError(.invalidArgument, "from \(from) is larger than to \(to)") }
            if from == 0 || from == to { return [] }
            let plan = try Merkle.consistencyProofPlan(from: from, to: to)
            return try plan.resolve(try await self.resolveNodes(conn, logID: log.id, ids: plan.neededNodes))
        }
    }

    func compactRange(_ conn: PostgresConnection, logID: Int64, size: UInt64) async throws -> CompactRange {
        let current = try await currentSize(conn, logID: logID)
        guard size <= current else { throw StoreError(.invalidArgument, "size \(size) is beyond the log size \(current)") }
        let ids = Merkle.perfectSubtrees(of: 0..<size)
        let nodes = try await resolveNodes(conn, logID: logID, ids: ids)
        return try CompactRange(size: size, nodes: ids.map { nodes[$0]! })
    }

    public func compactRange(tenant: String, size: UInt64) async throws -> CompactRange {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            return try await self.compactRange(conn, logID: log.id, size: size)
        }
    }

    public func checkpoint(tenant: String, size: UInt64) async throws -> StoredCheckpoint {
        let (stored, range, origin) = try await transaction(tenant: tenant) { conn -> (StoredCheckpoint?, CompactRange?, String) in
            let log = try await self.requireLog(tenant, conn: conn)
            if let c = try await Self.fetchCheckpoints(conn, logID: log.id, sizes: size...size, limit: 1, logger: self.logger).first {
                return (c, nil, log.origin)
            }
            return (nil, try await self.compactRange(conn, logID: log.id, size: size), log.origin)
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
