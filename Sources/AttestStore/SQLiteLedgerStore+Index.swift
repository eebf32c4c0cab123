import AttestCore
import Foundation
import GRDB

extension SQLiteLedgerStore {
    /// Brings the query index (`event_index`) up to the log's size, in transactions of `batch`
    /// entries, and returns the indexed size.
    ///
    /// The index is derived data kept off the append path: it may lag the ledger by the entries
    /// appended since the last call, and can be rebuilt from the entries at any time.
    @discardableResult
    public func updateIndex(tenant: String, batch: Int = 10_000) async throws -> UInt64 {
        guard try await log(tenant: tenant, create: false) != nil else { return 0 }
        // A read first: when the index is current (the common case for queries) no write lock is taken.
        let (indexedNow, size) = try await read { db -> (Int64, Int64) in
            let (logID, _) = try self.logID(db, tenant)
            let indexed = try Int64.fetchOne(db, sql: "SELECT indexed_size FROM index_state WHERE log_id = ?", arguments: [logID]) ?? 0
            let size = try Int64.fetchOne(db, sql: "SELECT max(size) FROM checkpoints WHERE log_id = ?", arguments: [logID]) ?? 0
            return (indexed, size)
        }
        if indexedNow >= size { return UInt64(indexedNow) }
        while true {
            let (indexed, done) = try await write { db -> (UInt64, Bool) in
                let (logID, _) = try self.logID(db, tenant)
                let from = try Int64.fetchOne(db, sql: "SELECT indexed_size FROM index_state WHERE log_id = ?", arguments: [logID]) ?? 0
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT seq, entry FROM entries WHERE log_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
                    arguments: [logID, from, batch]
                )
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO event_index (log_id, seq, time, action, category, actor_id, on_behalf_of, agent_id,
                            session_id, resource_type, resource_id, outcome, risk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                )
                var next = from
                for row in rows {
                    let seq: Int64 = row[0]
                    guard seq == next else { throw StoreError(.corrupt, "entry \(next) is missing (found \(seq))") }
                    let bytes: Data = row[1]
                    guard let entry = try? LedgerEntry(parsing: JSONParser.parse(bytes, limits: .ledger)), let event = AuditEvent(stored: entry.event)
                    else {
                        throw StoreError(.corrupt, "entry \(seq) cannot be read for indexing")
                    }
                    try insert.execute(arguments: [
                        logID, seq, event.time.microseconds, event.action, event.category, event.actorID, event.onBehalfOfID,
                        event.agentID, event.sessionID, event.resourceType, event.resourceID, event.outcomeStatus, event.riskRank,
                    ])
                    next += 1
                }
                try db.execute(sql: "UPDATE index_state SET indexed_size = ? WHERE log_id = ?", arguments: [next, logID])
                return (UInt64(next), rows.count < batch)
            }
            if done { return indexed }
        }
    }
}
