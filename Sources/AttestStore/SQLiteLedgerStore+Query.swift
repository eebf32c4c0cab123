import AttestCore
import Foundation
import GRDB

extension SQLiteLedgerStore: EventReader {
    static func storedEvent(seq: Int64, hash: Data, entry: Data) throws -> StoredEvent {
        guard let h = Hash256(bytes: hash), let e = try? LedgerEntry(parsing: JSONParser.parse(entry, limits: .ledger)) else {
            throw StoreError(.corrupt, "entry \(seq) cannot be read")
        }
        return StoredEvent(seq: UInt64(seq), hash: h, receivedAt: e.receivedAt, event: e.event)
    }

    public func query(tenant: String, _ q: EventQuery) async throws -> EventPage {
        guard (1...1000).contains(q.limit) else { throw StoreError(.invalidArgument, "limit must be 1-1000") }
        return try await read { db in
            guard let (logID, _) = try Self.logRow(db, tenant: tenant) else { return EventPage(items: [], nextAfter: nil) }
            // Every value is a bound parameter; only fixed column names are spliced in.
            var clauses = ["i.log_id = ?"]
            var args: [any DatabaseValueConvertible] = [logID]
            func eq(_ column: String, _ value: String?) {
                guard let value else { return }
                clauses.append("i.\(column) = ?")
                args.append(value)
            }
            if let from = q.from {
                clauses.append("i.time >= ?")
                args.append(from.microseconds)
            }
            if let to = q.to {
                clauses.append("i.time < ?")
                args.append(to.microseconds)
            }
            eq("actor_id", q.actor)
            eq("on_behalf_of", q.onBehalfOf)
            eq("agent_id", q.agent)
            eq("category", q.category)
            eq("resource_type", q.resourceType)
            eq("resource_id", q.resourceID)
            eq("outcome", q.outcome)
            eq("session_id", q.session)
            if let action = q.action {
                if action.hasSuffix("*") {
                    let prefix = String(action.dropLast())
                    clauses.append("i.action >= ? AND i.action < ?")
                    args.append(prefix)
                    args.append(prefix + "\u{10FFFF}")
                } else {
                    eq("action", action)
                }
            }
            if let minRisk = q.minRisk {
                clauses.append("i.risk >= ?")
                args.append(minRisk)
            }
            if let owner = q.ownedBy {
                clauses.append("(i.actor_id = ? OR i.on_behalf_of = ?)")
                args.append(owner)
                args.append(owner)
            }
            if let after = q.after {
                clauses.append(q.order == .descending ? "i.seq < ?" : "i.seq > ?")
                args.append(Int64(clamping: after))
            }
            let sql = """
                SELECT e.seq, e.hash, e.entry FROM event_index i JOIN entries e ON e.log_id = i.log_id AND e.seq = i.seq
                WHERE \(clauses.joined(separator: " AND "))
                ORDER BY i.seq \(q.order == .descending ? "DESC" : "ASC") LIMIT ?
                """
            args.append(q.limit + 1)
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args))
            let items = try rows.prefix(q.limit).map { try Self.storedEvent(seq: $0[0], hash: $0[1], entry: $0[2]) }
            return EventPage(items: items, nextAfter: rows.count > q.limit ? items.last?.seq : nil)
        }
    }

    public func event(tenant: String, id: String) async throws -> StoredEvent? {
        try await read { db in
            guard let (logID, _) = try Self.logRow(db, tenant: tenant) else { return nil }
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT seq, hash, entry FROM entries WHERE log_id = ? AND event_id = ?",
                    arguments: [logID, id]
                )
            else { return nil }
            return try Self.storedEvent(seq: row[0], hash: row[1], entry: row[2])
        }
    }
}
