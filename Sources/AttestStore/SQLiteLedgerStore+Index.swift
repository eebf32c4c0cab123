import AttestCore
import Foundation
import GRDB

extension SQLiteLedgerStore {
    /// Brings the query index up to the log's size, in transactions of `batch` entries, and
    /// returns the indexed size.
    ///
    /// The index is derived data in its own database file (`-index.sqlite`) with its own writer, so
    /// indexing never holds the ledger's writer: it reads committed entries and writes elsewhere.
    /// It may lag the ledger by what was appended since the last call, and can be deleted and
    /// rebuilt from the entries at any time.
    @discardableResult
    public func updateIndex(tenant: String, batch: Int = 10_000) async throws -> UInt64 {
        try await updateIndex(tenant: tenant, batch: batch, prepared: [])
    }

    /// ``updateIndex(tenant:batch:)``, taking the rows of `prepared` (sorted by seq; rows of
    /// entries this process committed) instead of reading and parsing those entries again.
    @discardableResult
    public func updateIndex(tenant: String, batch: Int, prepared: [IndexRow]) async throws -> UInt64 {
        let ledger = try await read { db -> (id: Int64, size: Int64)? in
            guard let (logID, _) = try Self.logRow(db, tenant: tenant) else { return nil }
            return (logID, try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(size) FROM checkpoints WHERE log_id = ?"), arguments: [logID]) ?? 0)
        }
        guard let (logID, size) = ledger else { return 0 }
        var indexed = try await indexedSize(logID: logID)
        while indexed < size {
            let from = indexed
            var rows = Array(IndexRow.run(in: prepared, from: UInt64(from), below: UInt64(size), limit: batch))
            if rows.isEmpty {
                let stored = try await read { db in
                    try Row.fetchAll(
                        db.cachedStatement(sql: "SELECT seq, entry FROM entries WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq LIMIT ?"),
                        arguments: [logID, from, size, batch]
                    ).map { (seq: $0[0] as Int64, entry: $0[1] as Data) }
                }
                guard !stored.isEmpty else { throw StoreError(.corrupt, "entries stop at \(from), before \(size)") }
                rows.reserveCapacity(stored.count)
                for (i, row) in stored.enumerated() {
                    guard row.seq == from + Int64(i) else { throw StoreError(.corrupt, "entry \(from + Int64(i)) is missing (found \(row.seq))") }
                    rows.append(try IndexRow(seq: UInt64(row.seq), entry: Array(row.entry)))
                }
            }
            let next = from + Int64(rows.count)
            let batchRows = rows
            do {
                try await indexPool.write { db in
                    let insert = try db.cachedStatement(
                        sql: """
                            INSERT OR REPLACE INTO event_index (log_id, seq, time, action, category, actor_id, on_behalf_of, agent_id,
                                session_id, resource_type, resource_id, outcome, risk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """
                    )
                    for r in batchRows {
                        var row = RawInsert(insert, db)
                        row.int(logID)
                        row.int(Int64(r.seq))
                        row.int(r.time.microseconds)
                        row.text(r.action)
                        row.text(r.category)
                        row.text(r.actorID)
                        row.text(r.onBehalfOfID)
                        row.text(r.agentID)
                        row.text(r.sessionID)
                        row.text(r.resourceType)
                        row.text(r.resourceID)
                        row.text(r.outcome)
                        row.int(r.risk.map(Int64.init))
                        try row.run()
                    }
                    // Concurrent indexers write the same rows; the position only moves forward.
                    try db.execute(
                        sql: """
                            INSERT INTO index_state (log_id, indexed_size) VALUES (?, ?)
                            ON CONFLICT (log_id) DO UPDATE SET indexed_size = max(indexed_size, excluded.indexed_size)
                            """,
                        arguments: [logID, next]
                    )
                }
            } catch {
                throw StoreError(.unavailable, "query index write failed: \(Self.describe(error))")
            }
            indexed = next
        }
        return UInt64(indexed)
    }

    func indexedSize(logID: Int64) async throws -> Int64 {
        do {
            return try await indexPool.read { db in
                try Int64.fetchOne(db.cachedStatement(sql: "SELECT indexed_size FROM index_state WHERE log_id = ?"), arguments: [logID]) ?? 0
            }
        } catch {
            throw StoreError(.unavailable, "query index read failed: \(Self.describe(error))")
        }
    }
}
