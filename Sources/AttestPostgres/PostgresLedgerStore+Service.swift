import AttestCore
import AttestStore
import Foundation
import NIOCore
import PostgresNIO
import Synchronization

// Tokens, follower cursors, the query index and queries: the service's state next to the ledger.
extension PostgresLedgerStore {
    // MARK: AdminStore

    public func createToken(_ record: TokenRecord, secretHash: [UInt8]) async throws {
        let hash = ByteBuffer(bytes: secretHash)
        let created = record.createdAt.microseconds
        let role = record.role.rawValue
        let inserted = try await transaction(tenant: record.tenant) { conn in
            var n = 0
            for try await _ in try await conn.query(
                """
                INSERT INTO attest.tokens (tenant, name, hash, role, subject, created_at)
                VALUES (\(record.tenant), \(record.name), \(hash), \(role), \(record.subject), \(created))
                ON CONFLICT (tenant, name) DO NOTHING RETURNING 1
                """,
                logger: self.logger
            ) {
                n += 1
            }
            return n
        }
        if inserted == 0 {
            throw StoreError(.conflict, "a token named \"\(record.name)\" already exists in tenant \(record.tenant)")
        }
    }

    static func tokenRecord(_ row: (String, String, ByteBuffer, String, String?, Int64)) -> TokenRecord? {
        guard let role = Role(rawValue: row.3) else { return nil }
        return TokenRecord(tenant: row.0, name: row.1, role: role, subject: row.4, createdAt: Timestamp(microseconds: row.5))
    }

    public func token(secretHash: [UInt8]) async throws -> TokenRecord? {
        let hash = ByteBuffer(bytes: secretHash)
        return try await autocommit { conn in
            for try await row in try await conn.query(
                "SELECT tenant, name, hash, role, subject, created_at FROM attest.token_by_hash(\(hash))",
                logger: self.logger
            ).decode((String, String, ByteBuffer, String, String?, Int64).self) {
                // The index lookup already matched; compare again in constant time.
                guard ConstantTime.equal(Array(row.2.readableBytesView), secretHash) else { return nil }
                return Self.tokenRecord(row)
            }
            return nil
        }
    }

    public func tokens(tenant: String) async throws -> [TokenRecord] {
        try await transaction(tenant: tenant) { conn in
            var out: [TokenRecord] = []
            for try await row in try await conn.query(
                "SELECT tenant, name, hash, role, subject, created_at FROM attest.tokens WHERE tenant = \(tenant) ORDER BY name",
                logger: self.logger
            ).decode((String, String, ByteBuffer, String, String?, Int64).self) {
                if let r = Self.tokenRecord(row) { out.append(r) }
            }
            return out
        }
    }

    public func token(tenant: String, name: String) async throws -> TokenRecord? {
        try await transaction(tenant: tenant) { conn in
            for try await row in try await conn.query(
                "SELECT tenant, name, hash, role, subject, created_at FROM attest.tokens WHERE tenant = \(tenant) AND name = \(name)",
                logger: self.logger
            ).decode((String, String, ByteBuffer, String, String?, Int64).self) {
                return Self.tokenRecord(row)
            }
            return nil
        }
    }

    public func deleteToken(tenant: String, name: String) async throws -> Bool {
        try await transaction(tenant: tenant) { conn in
            var n = 0
            for try await _ in try await conn.query(
                "DELETE FROM attest.tokens WHERE tenant = \(tenant) AND name = \(name) RETURNING 1",
                logger: self.logger
            ) {
                n += 1
            }
            return n > 0
        }
    }

    // MARK: FollowerCursorStore

    public func cursor(follower: String, tenant: String) async throws -> UInt64 {
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            for try await p in try await conn.query(
                "SELECT position FROM attest.follower_cursors WHERE name = \(follower) AND log_id = \(log.id)",
                logger: self.logger
            ).decode(Int64.self) {
                return UInt64(p)
            }
            return 0
        }
    }

    public func setCursor(follower: String, tenant: String, position: UInt64) async throws {
        let pos = Int64(clamping: position)
        let now = Timestamp.now().microseconds
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            try await conn.query(
                """
                INSERT INTO attest.follower_cursors (name, log_id, position, updated_at) VALUES (\(follower), \(log.id), \(pos), \(now))
                ON CONFLICT (name, log_id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
                """,
                logger: self.logger
            )
        }
    }

    // MARK: EventReader

    static func storedEvent(seq: Int64, hash: ByteBuffer, entry: ByteBuffer) throws -> StoredEvent {
        guard let h = Hash256(bytes: hash.readableBytesView) else { throw StoreError(.corrupt, "entry \(seq) cannot be read") }
        return try entry.withUnsafeReadableBytes { raw in
            try StoredEvent(seq: UInt64(seq), hash: h, entry: raw.assumingMemoryBound(to: UInt8.self))
        }
    }

    public func event(tenant: String, id: String) async throws -> StoredEvent? {
        try await transaction(tenant: tenant) { conn in
            guard let log = try await self.logRow(tenant, conn: conn) else { return nil }
            for try await (seq, hash, entry) in try await conn.query(
                """
                SELECT e.seq, e.hash, e.entry FROM attest.event_ids i
                JOIN attest.entries e ON e.log_id = i.log_id AND e.seq = i.seq
                WHERE i.log_id = \(log.id) AND i.event_id = \(id)
                """,
                logger: self.logger
            ).decode((Int64, ByteBuffer, ByteBuffer).self) {
                return try Self.storedEvent(seq: seq, hash: hash, entry: entry)
            }
            return nil
        }
    }

    public func query(tenant: String, _ q: EventQuery) async throws -> EventPage {
        // Without recent rows the page comes from the index alone, never nil.
        try await page(tenant: tenant, q, recent: nil) ?? EventPage(items: [], nextAfter: nil)
    }

    public func query(tenant: String, _ q: EventQuery, recent: @escaping @Sendable () -> RecentRows) async throws -> EventPage? {
        try await page(tenant: tenant, q, recent: recent)
    }

    /// The page of `q` from the index, and with `recent`, from its rows for the entries between the
    /// index's position and the log's size (read before `recent` is called, so every entry this
    /// node acknowledged before the query is below it). Nil when `recent` does not cover them all:
    /// entries of other nodes are never in it.
    func page(tenant: String, _ q: EventQuery, recent: (@Sendable () -> RecentRows)?) async throws -> EventPage? {
        guard (1...1000).contains(q.limit) else { throw StoreError(.invalidArgument, "limit must be 1-1000") }
        return try await transaction(tenant: tenant) { conn -> EventPage? in
            guard let log = try await self.logRow(tenant, conn: conn) else { return EventPage(items: [], nextAfter: nil) }
            // Read committed: each statement sees what was committed when it began. The log's size
            // first, then the rows (taken before the index position, so they reach back to it
            // unless the indexer committed in between), then the position; the index rows are
            // read below the position, so rows indexed since are not counted twice.
            var beyond: [Int64] = []
            var indexed: Int64?
            if let recent {
                let size = Int64(try await self.currentSize(conn, logID: log.id))
                let rows = recent()
                let position = try await self.indexedSize(conn, logID: log.id)
                if position < size {
                    let covered = rows.forEach(from: UInt64(position), below: UInt64(size)) { row in
                        if q.matches(row) { beyond.append(Int64(row.seq)) }
                    }
                    guard covered else { return nil }
                }
                indexed = position
                if let hook = self.afterIndexPosition.withLock({ $0 }) { try await hook() }
            }
            // Every value is a bound parameter; only fixed column names are spliced in.
            var binds = PostgresBindings()
            var clauses: [String] = []
            func bind(_ value: some PostgresEncodable & Sendable) -> String {
                try? binds.append(value, context: .default)
                return "$\(binds.count)"
            }
            clauses.append("log_id = \(bind(log.id))")
            if let from = q.from { clauses.append("time >= \(bind(from.microseconds))") }
            if let to = q.to { clauses.append("time < \(bind(to.microseconds))") }
            let equal: [(String, String?)] = [
                ("actor_id", q.actor), ("on_behalf_of", q.onBehalfOf), ("agent_id", q.agent), ("category", q.category),
                ("resource_type", q.resourceType), ("resource_id", q.resourceID), ("outcome", q.outcome), ("session_id", q.session),
            ]
            for (column, value) in equal {
                if let value { clauses.append("\(column) = \(bind(value))") }
            }
            if let action = q.action {
                if action.hasSuffix("*") {
                    let prefix = String(action.dropLast())
                    // action is COLLATE "C": bytewise order, so this range is exactly the prefix.
                    clauses.append("action >= \(bind(prefix)) AND action < \(bind(prefix + "\u{10FFFF}"))")
                } else {
                    clauses.append("action = \(bind(action))")
                }
            }
            if let minRisk = q.minRisk { clauses.append("risk >= \(bind(Int16(clamping: minRisk)))") }
            if let owner = q.ownedBy { clauses.append("(actor_id = \(bind(owner)) OR on_behalf_of = \(bind(owner)))") }
            if let after = q.after {
                clauses.append(q.order == .descending ? "seq < \(bind(Int64(clamping: after)))" : "seq > \(bind(Int64(clamping: after)))")
            }
            if let indexed { clauses.append("seq < \(bind(indexed))") }
            let sql = """
                SELECT seq FROM attest.event_index WHERE \(clauses.joined(separator: " AND "))
                ORDER BY seq \(q.order == .descending ? "DESC" : "ASC") LIMIT \(bind(Int64(q.limit + 1)))
                """
            var seqs: [Int64] = []
            // Newest first, the entries beyond the index come first: enough of them make the page.
            if !(q.order == .descending && beyond.count > q.limit) {
                for try await seq in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger).decode(Int64.self) {
                    seqs.append(seq)
                }
            }
            seqs = q.order == .descending ? beyond.reversed() + seqs : seqs + beyond
            let page = Array(seqs.prefix(q.limit))
            var byID: [Int64: StoredEvent] = [:]
            if !page.isEmpty {
                for try await (seq, hash, entry) in try await conn.query(
                    """
                    SELECT e.seq, e.hash, e.entry FROM unnest(\(page)::bigint[]) AS u(s)
                    CROSS JOIN LATERAL (SELECT seq, hash, entry FROM attest.entries WHERE log_id = \(log.id) AND seq = u.s LIMIT 1) AS e
                    """,
                    logger: self.logger
                ).decode((Int64, ByteBuffer, ByteBuffer).self) {
                    byID[seq] = try Self.storedEvent(seq: seq, hash: hash, entry: entry)
                }
            }
            let items = try page.map { seq in
                guard let e = byID[seq] else { throw StoreError(.corrupt, "indexed entry \(seq) is not in the ledger") }
                return e
            }
            return EventPage(items: items, nextAfter: seqs.count > q.limit ? items.last?.seq : nil)
        }
    }

    /// The query index's position for the log (entries below it are indexed), 0 before the first
    /// index transaction.
    func indexedSize(_ conn: PostgresConnection, logID: Int64) async throws -> Int64 {
        for try await v in try await conn.query(
            "SELECT indexed_size FROM attest.index_state WHERE log_id = \(logID)",
            logger: logger
        ).decode(Int64.self) {
            return v
        }
        return 0
    }

    /// Brings the query index up to the log's size, in transactions of `batch` entries. Several
    /// nodes may index the same log at once: rows are inserted with `ON CONFLICT DO NOTHING` and
    /// the indexed size only moves forward.
    @discardableResult
    public func updateIndex(tenant: String, batch: Int = 10_000) async throws -> UInt64 {
        try await updateIndex(tenant: tenant, batch: batch, prepared: [])
    }

    /// ``updateIndex(tenant:batch:)``, taking the rows of `prepared` (sorted by seq; rows of
    /// entries this node committed) instead of reading and parsing those entries again. Entries
    /// of other nodes are read back as before.
    @discardableResult
    public func updateIndex(tenant: String, batch: Int, prepared: [IndexRow]) async throws -> UInt64 {
        let start = try await transaction(tenant: tenant) { conn -> (Int64, Int64)? in
            guard let log = try await self.logRow(tenant, conn: conn) else { return nil }
            let size = Int64(try await self.currentSize(conn, logID: log.id))
            return (try await self.indexedSize(conn, logID: log.id), size)
        }
        guard let (indexedAtStart, size) = start else { return 0 }
        var indexed = indexedAtStart
        let n = Int64(batch)
        while indexed < size {
            let next = try await transaction(tenant: tenant) { conn -> Int64 in
                let log = try await self.requireLog(tenant, conn: conn)
                // One indexer per log at a time across all nodes: the others wait, then continue
                // from where it stopped instead of parsing and inserting the same entries again.
                try await conn.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresSchema.indexLockClass), \(Int32(truncatingIfNeeded: log.id)))",
                    logger: self.logger
                )
                let from = try await self.indexedSize(conn, logID: log.id)
                if from >= size { return from }
                let rows = try await self.indexRows(conn, logID: log.id, from: from, end: min(size, from + n), prepared: prepared)
                // Absent values travel as '' / -1 and are turned back into NULL by NULLIF.
                let seqs = rows.map { Int64($0.seq) }
                let received = rows.map(\.receivedAt.microseconds)
                let times = rows.map(\.time.microseconds)
                let actions = rows.map(\.action)
                let categories = rows.map { $0.category ?? "" }
                let actors = rows.map(\.actorID)
                let obos = rows.map { $0.onBehalfOfID ?? "" }
                let agents = rows.map { $0.agentID ?? "" }
                let sessions = rows.map { $0.sessionID ?? "" }
                let rtypes = rows.map { $0.resourceType ?? "" }
                let rids = rows.map { $0.resourceID ?? "" }
                let outcomes = rows.map { $0.outcome ?? "" }
                let risks = rows.map { $0.risk.map { Int64($0) } ?? -1 }
                guard !seqs.isEmpty else { throw StoreError(.corrupt, "entries stop at \(from), before \(size)") }
                let next = from + Int64(seqs.count)
                try await conn.query(
                    """
                    WITH rows AS (
                        INSERT INTO attest.event_index (log_id, seq, received_at, time, action, category, actor_id, on_behalf_of,
                            agent_id, session_id, resource_type, resource_id, outcome, risk)
                        SELECT \(log.id), s, r, t, a, NULLIF(c, ''), ac, NULLIF(o, ''), NULLIF(ag, ''), NULLIF(se, ''),
                            NULLIF(rt, ''), NULLIF(ri, ''), NULLIF(oc, ''), NULLIF(rk, -1)::smallint
                        FROM unnest(\(seqs)::bigint[], \(received)::bigint[], \(times)::bigint[], \(actions)::text[], \(categories)::text[],
                            \(actors)::text[], \(obos)::text[], \(agents)::text[], \(sessions)::text[], \(rtypes)::text[], \(rids)::text[],
                            \(outcomes)::text[], \(risks)::bigint[]) AS u(s, r, t, a, c, ac, o, ag, se, rt, ri, oc, rk)
                        ON CONFLICT DO NOTHING
                    )
                    INSERT INTO attest.index_state (log_id, indexed_size) VALUES (\(log.id), \(next))
                    ON CONFLICT (log_id) DO UPDATE SET indexed_size = greatest(attest.index_state.indexed_size, excluded.indexed_size)
                    """,
                    logger: self.logger
                )
                return next
            }
            indexed = next
        }
        // Entries appended meanwhile are indexed on the next call (the indexer is nudged per commit).
        return UInt64(indexed)
    }
}

extension PostgresLedgerStore {
    /// The index rows of entries `from..<end`: this node's own rows from `prepared` (sorted by
    /// seq), and only the others read back from the ledger and parsed. With several nodes the
    /// indexer of one node indexes the others' commits too, interleaved with its own; reading the
    /// whole range back whenever it began with another node's entry had parsed most entries again.
    func indexRows(_ conn: PostgresConnection, logID: Int64, from: Int64, end: Int64, prepared: [IndexRow]) async throws -> [IndexRow] {
        guard end > from else { return [] }
        let count = Int(end - from)
        var rows = [IndexRow?](repeating: nil, count: count)
        // The prepared rows in the range (binary search for the first, then in order).
        var lo = 0
        var hi = prepared.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if prepared[mid].seq < UInt64(from) { lo = mid + 1 } else { hi = mid }
        }
        var found = 0
        while lo < prepared.count, prepared[lo].seq < UInt64(end) {
            let i = Int(prepared[lo].seq) - Int(from)
            if rows[i] == nil { found += 1 }
            rows[i] = prepared[lo]
            lo += 1
        }
        if found < count {
            let missing = (0..<count).filter { rows[$0] == nil }.map { from + Int64($0) }
            let query: PostgresQuery =
                found == 0
                ? """
                SELECT seq, entry FROM attest.entries
                WHERE log_id = \(logID) AND seq >= \(from) AND seq < \(end) ORDER BY seq
                """
                : """
                SELECT e.seq, e.entry FROM unnest(\(missing)::bigint[]) AS u(s)
                CROSS JOIN LATERAL (SELECT seq, entry FROM attest.entries WHERE log_id = \(logID) AND seq = u.s LIMIT 1) AS e
                """
            for try await (seq, entry) in try await conn.query(query, logger: logger).decode((Int64, ByteBuffer).self) {
                guard seq >= from, seq < end else { continue }
                rows[Int(seq - from)] = try IndexRow(seq: UInt64(seq), entry: Array(entry.readableBytesView))
            }
        }
        return try rows.enumerated().map { i, row in
            guard let row else { throw StoreError(.corrupt, "entry \(from + Int64(i)) is missing, before \(end)") }
            return row
        }
    }
}

extension PostgresLedgerStore: CosignatureStore {
    public func addCosignature(tenant: String, size: UInt64, witness: String, line: String) async throws {
        let s = Int64(size)
        let now = Timestamp.now().microseconds
        try await transaction(tenant: tenant) { conn in
            let log = try await self.requireLog(tenant, conn: conn)
            try await conn.query(
                """
                INSERT INTO attest.cosignatures (log_id, size, witness, line, created_at)
                VALUES (\(log.id), \(s), \(witness), \(line), \(now)) ON CONFLICT DO NOTHING
                """,
                logger: self.logger
            )
        }
    }

    public func witnessedCheckpoint(tenant: String, minWitnesses: Int) async throws -> (checkpoint: StoredCheckpoint, cosignatures: [String])? {
        let minimum = Int64(minWitnesses)
        return try await transaction(tenant: tenant) { conn -> (checkpoint: StoredCheckpoint, cosignatures: [String])? in
            guard let log = try await self.logRow(tenant, conn: conn) else { return nil }
            var size: Int64?
            if minWitnesses <= 0 {
                size = Int64(try await self.currentSize(conn, logID: log.id))
            } else {
                for try await s in try await conn.query(
                    """
                    SELECT size FROM attest.cosignatures WHERE log_id = \(log.id) GROUP BY size
                    HAVING count(DISTINCT witness) >= \(minimum) ORDER BY size DESC LIMIT 1
                    """,
                    logger: self.logger
                ).decode(Int64.self) {
                    size = s
                }
            }
            guard let size,
                let cp = try await Self.fetchCheckpoints(conn, logID: log.id, sizes: UInt64(size)...UInt64(size), limit: 1, logger: self.logger).first
            else { return nil }
            var lines: [String] = []
            for try await line in try await conn.query(
                "SELECT line FROM attest.cosignatures WHERE log_id = \(log.id) AND size = \(size) ORDER BY witness",
                logger: self.logger
            ).decode(String.self) {
                lines.append(line)
            }
            return (cp, lines)
        }
    }
}
