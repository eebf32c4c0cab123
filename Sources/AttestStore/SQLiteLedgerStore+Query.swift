import AttestCore
import Foundation
import GRDB

extension SQLiteLedgerStore: EventReader {
    static func storedEvent(seq: Int64, hash: Data, entry: Data) throws -> StoredEvent {
        guard let h = Hash256(bytes: hash) else { throw StoreError(.corrupt, "entry \(seq) cannot be read") }
        return try entry.withUnsafeBytes { raw in
            try StoredEvent(seq: UInt64(seq), hash: h, entry: raw.assumingMemoryBound(to: UInt8.self))
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
    /// index's position and the log's size (read before `recent` is called, so every entry
    /// acknowledged before the query is below it). Nil when `recent` does not cover them all.
    func page(tenant: String, _ q: EventQuery, recent: (@Sendable () -> RecentRows)?) async throws -> EventPage? {
        guard (1...1000).contains(q.limit) else { throw StoreError(.invalidArgument, "limit must be 1-1000") }
        let wantsSize = recent != nil
        let log = try await read { db -> (id: Int64, size: Int64)? in
            guard let (id, _) = try Self.logRow(db, tenant: tenant) else { return nil }
            guard wantsSize else { return (id, 0) }
            return (id, try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(size) FROM checkpoints WHERE log_id = ?"), arguments: [id]) ?? 0)
        }
        guard let (logID, size) = log else { return EventPage(items: [], nextAfter: nil) }
        // Every value is a bound parameter; only fixed column names are spliced in.
        var clauses = ["log_id = ?"]
        var args: [any DatabaseValueConvertible] = [logID]
        func eq(_ column: String, _ value: String?) {
            guard let value else { return }
            clauses.append("\(column) = ?")
            args.append(value)
        }
        if let from = q.from {
            clauses.append("time >= ?")
            args.append(from.microseconds)
        }
        if let to = q.to {
            clauses.append("time < ?")
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
                clauses.append("action >= ? AND action < ?")
                args.append(prefix)
                args.append(prefix + "\u{10FFFF}")
            } else {
                eq("action", action)
            }
        }
        if let minRisk = q.minRisk {
            clauses.append("risk >= ?")
            args.append(minRisk)
        }
        if let owner = q.ownedBy {
            clauses.append("(actor_id = ? OR on_behalf_of = ?)")
            args.append(owner)
            args.append(owner)
        }
        if let after = q.after {
            clauses.append(q.order == .descending ? "seq < ?" : "seq > ?")
            args.append(Int64(clamping: after))
        }
        let order = q.order == .descending ? "DESC" : "ASC"
        let sql = "SELECT seq FROM event_index WHERE \(clauses.joined(separator: " AND ")) ORDER BY seq \(order) LIMIT ?"
        args.append(q.limit + 1)
        let finalArgs: [DatabaseValue] = args.map(\.databaseValue)
        // Only ranges (time, action prefix), no equality on an indexed column: SQLite would read
        // every row of the range from its index and sort them by seq (a range covering the whole
        // log read it all). First
        // look at the `options.rangeWindow` entries where the page starts, in seq order (`+time` keeps
        // the time index out); a full page there is the answer, since every other match lies
        // beyond it. Otherwise (a sparse or distant range) ask the index.
        let prefix = q.action?.hasSuffix("*") == true
        let equalities: [String?] = [
            q.actor, q.onBehalfOf, q.agent, prefix ? nil : q.action, q.category, q.resourceType, q.resourceID, q.session, q.ownedBy,
        ]
        let rangesOnly = (q.from != nil || q.to != nil || prefix) && equalities.allSatisfy { $0 == nil }
        var windowSQL: String?
        var windowArgs = finalArgs
        if rangesOnly {
            let plain = clauses.map { $0.hasPrefix("time ") ? "+" + $0 : $0.replacingOccurrences(of: "action ", with: "+action ") }
            let w = Int64(options.rangeWindow)
            var window: String
            switch (q.order, q.after) {
            case (.descending, let after?):
                window = "seq >= ?"
                windowArgs.insert((Int64(clamping: after) - w).databaseValue, at: windowArgs.count - 1)
            case (.descending, nil):
                window = "seq >= (SELECT max(seq) FROM event_index WHERE log_id = ?) - ?"
                windowArgs.insert(contentsOf: [logID.databaseValue, w.databaseValue], at: windowArgs.count - 1)
            case (.ascending, let after?):
                window = "seq <= ?"
                windowArgs.insert((Int64(clamping: after) + w).databaseValue, at: windowArgs.count - 1)
            case (.ascending, nil):
                window = "seq < (SELECT min(seq) FROM event_index WHERE log_id = ?) + ?"
                windowArgs.insert(contentsOf: [logID.databaseValue, w.databaseValue], at: windowArgs.count - 1)
            }
            windowSQL = "SELECT seq FROM event_index WHERE \((plain + [window]).joined(separator: " AND ")) ORDER BY seq \(order) LIMIT ?"
        }
        // An action prefix and no equality: when the window holds less than a page, SQLite's plan
        // for `sql` reads every index row of the prefix's range and sorts them by seq (at 10M
        // entries, 200–300 ms a page once the newest 20,000 entries were mostly other actions, such
        // as the `audit.query` records of the queries themselves). The prefix covers a few distinct
        // actions: each is one seek of the action index (log_id, action, seq), whose rows for one
        // action are already in seq order, so a page per action and a merge of those pages answer it.
        var perAction: (sql: String, args: [DatabaseValue], slot: Int, low: String, high: String)?
        if rangesOnly, let action = q.action, prefix {
            let low = String(action.dropLast())
            var perClauses: [String] = []
            var perArgs: [DatabaseValue] = []
            var slot = 0
            var next = 0  // the first argument of the clause at hand: clauses and arguments are in step
            for clause in clauses {
                let count = clause.utf8.count(where: { $0 == UInt8(ascii: "?") })
                let arg = finalArgs[next..<(next + count)]
                next += count
                if clause.hasPrefix("action ") {
                    perClauses.append("action = ?")
                    slot = perArgs.count
                    perArgs.append(.null)
                } else {
                    perClauses.append(clause.hasPrefix("time ") ? "+" + clause : clause)
                    perArgs.append(contentsOf: arg)
                }
            }
            perArgs.append(finalArgs[finalArgs.count - 1])
            perAction = (
                "SELECT seq FROM event_index INDEXED BY event_index_action WHERE \(perClauses.joined(separator: " AND ")) ORDER BY seq \(order) LIMIT ?",
                perArgs, slot, low, low + "\u{10FFFF}"
            )
        }
        let limit = q.limit
        let seqs: [Int64]
        do {
            let found = try await indexPool.read { [windowSQL, windowArgs, perAction] db -> [Int64]? in
                // The recent rows are taken before the index position is read: rows leave them
                // only after the index holds them, so they reach back to that position unless the
                // indexer committed in between (then nil, and the caller catches up).
                var beyond: [Int64] = []
                var indexed = Int64.max
                if let recent {
                    let rows = recent()
                    indexed =
                        try Int64.fetchOne(
                            db.cachedStatement(sql: "SELECT indexed_size FROM index_state WHERE log_id = ?"),
                            arguments: [logID]
                        ) ?? 0
                    if indexed < size {
                        let covered = rows.forEach(from: UInt64(indexed), below: UInt64(size)) { row in
                            if q.matches(row) { beyond.append(Int64(row.seq)) }
                        }
                        guard covered else { return nil }
                    }
                }
                // Newest first, the entries beyond the index come first: enough of them make the page.
                if q.order == .descending && beyond.count > limit { return Array(beyond.reversed()) }
                var indexedSeqs: [Int64] = []
                if let windowSQL {
                    indexedSeqs = try Int64.fetchAll(db, sql: windowSQL, arguments: StatementArguments(windowArgs))
                }
                if indexedSeqs.count <= limit {
                    if let perAction,
                        let merged = try Self.pagesPerAction(db, logID: logID, perAction, descending: q.order == .descending, limit: limit)
                    {
                        indexedSeqs = merged
                    } else {
                        indexedSeqs = try Int64.fetchAll(db, sql: sql, arguments: StatementArguments(finalArgs))
                    }
                }
                // The index holds no row at or past its position (rows and position change in one
                // transaction); the filter only keeps the two parts apart if that ever broke.
                if indexed != Int64.max { indexedSeqs.removeAll { $0 >= indexed } }
                return q.order == .descending ? Array(beyond.reversed()) + indexedSeqs : indexedSeqs + beyond
            }
            guard let found else { return nil }
            seqs = found
        } catch {
            throw StoreError(.unavailable, "query index read failed: \(Self.describe(error))")
        }
        let page = Array(seqs.prefix(q.limit))
        let items = try await read { db -> [StoredEvent] in
            guard !page.isEmpty else { return [] }
            let placeholders = Array(repeating: "?", count: page.count).joined(separator: ",")
            var byID: [Int64: StoredEvent] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT seq, hash, entry FROM entries WHERE log_id = ? AND seq IN (\(placeholders))",
                arguments: StatementArguments([logID] + page)
            ) {
                let e = try Self.storedEvent(seq: row[0], hash: row[1], entry: row[2])
                byID[Int64(e.seq)] = e
            }
            return try page.map { seq in
                guard let e = byID[seq] else { throw StoreError(.corrupt, "indexed entry \(seq) is not in the ledger") }
                return e
            }
        }
        return EventPage(items: items, nextAfter: seqs.count > q.limit ? items.last?.seq : nil)
    }

    /// The distinct actions in `[low, high)` of the log, one index seek each, at most `cap` of them
    /// (nil beyond: the caller asks the index the plain way), and for each the first page of its
    /// own query; the pages merged in seq order, `limit + 1` at most.
    static func pagesPerAction(
        _ db: Database,
        logID: Int64,
        _ perAction: (sql: String, args: [DatabaseValue], slot: Int, low: String, high: String),
        descending: Bool,
        limit: Int,
        cap: Int = 64
    ) throws -> [Int64]? {
        var actions: [String] = []
        var next = try String.fetchOne(
            db.cachedStatement(sql: "SELECT action FROM event_index WHERE log_id = ? AND action >= ? AND action < ? ORDER BY action LIMIT 1"),
            arguments: [logID, perAction.low, perAction.high]
        )
        while let action = next {
            if actions.count == cap { return nil }
            actions.append(action)
            next = try String.fetchOne(
                db.cachedStatement(sql: "SELECT action FROM event_index WHERE log_id = ? AND action > ? AND action < ? ORDER BY action LIMIT 1"),
                arguments: [logID, action, perAction.high]
            )
        }
        var seqs: [Int64] = []
        var args = perAction.args
        for action in actions {
            args[perAction.slot] = action.databaseValue
            seqs += try Int64.fetchAll(db.cachedStatement(sql: perAction.sql), arguments: StatementArguments(args))
        }
        seqs.sort(by: descending ? (>) : (<))
        return Array(seqs.prefix(limit + 1))
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
