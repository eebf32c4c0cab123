import AttestCore

/// The index rows of entries this process committed that the query index may not hold yet, as
/// committed (one chunk per commit, chunks and rows in seq order).
///
/// A query reads the index as of its snapshot and takes the entries beyond it from these rows, so
/// it never waits for the indexer (``EventReader/query(tenant:_:recent:)``). The rows of a commit
/// stay here until the index transaction that holds them has committed.
public struct RecentRows: Sendable {
    public private(set) var chunks: [[IndexRow]]
    public private(set) var count: Int

    public init(chunks: [[IndexRow]] = []) {
        self.chunks = chunks
        count = chunks.reduce(0) { $0 + $1.count }
    }

    public var isEmpty: Bool { count == 0 }

    /// Adds the rows of a commit (empty ones are left out).
    public mutating func append(_ rows: [IndexRow]) {
        guard !rows.isEmpty else { return }
        chunks.append(rows)
        count += rows.count
    }

    /// Drops whole chunks from the front while more than `limit` rows are held (they will be
    /// read back from the ledger).
    public mutating func trim(to limit: Int) {
        var drop = 0
        while count > limit, drop < chunks.count {
            count -= chunks[drop].count
            drop += 1
        }
        chunks.removeFirst(drop)
    }

    /// Drops the chunks whose rows all lie below `seq` (the index holds them now).
    public mutating func removeChunks(below seq: UInt64) {
        var drop = 0
        while drop < chunks.count, let last = chunks[drop].last, last.seq < seq {
            count -= chunks[drop].count
            drop += 1
        }
        chunks.removeFirst(drop)
    }

    /// All rows, in seq order.
    public var flattened: [IndexRow] {
        var all: [IndexRow] = []
        all.reserveCapacity(count)
        for c in chunks { all.append(contentsOf: c) }
        return all
    }

    /// The rows of every seq in `from ..< end`, in order, or nil when one is missing (its entry
    /// was appended by another process or node, or its rows were dropped).
    public func covering(from: UInt64, below end: UInt64) -> [IndexRow]? {
        var out: [IndexRow] = []
        return forEach(from: from, below: end) { out.append($0) } ? out : nil
    }

    /// Calls `body` with the row of every seq in `from ..< end`, in order, without copying rows;
    /// false (after calling it for the rows before the gap) when one is missing.
    public func forEach(from: UInt64, below end: UInt64, _ body: (IndexRow) -> Void) -> Bool {
        var next = from
        for chunk in chunks where next < end {
            guard let first = chunk.first, let last = chunk.last, last.seq >= next else { continue }
            guard first.seq <= next else { return false }
            // Rows of a commit have consecutive seqs; each is checked all the same.
            var i = chunk.startIndex + Int(next - first.seq)
            if i >= chunk.endIndex || chunk[i].seq != next { i = chunk.firstIndex { $0.seq == next } ?? chunk.endIndex }
            while i < chunk.endIndex, next < end {
                guard chunk[i].seq == next else { return false }
                body(chunk[i])
                next += 1
                i += 1
            }
        }
        return next >= end
    }
}

extension EventQuery {
    /// Whether the query selects `row`, decided exactly as the query index's SQL decides it: text
    /// compared by its UTF-8 bytes (SQLite's BINARY collation), an action prefix `p*` as
    /// `p <= action < p + U+10FFFF`, a missing column matching no filter on it, and the keyset
    /// position `after` in the page order.
    public func matches(_ row: IndexRow) -> Bool {
        func same(_ filter: String?, _ column: String?) -> Bool {
            guard let filter else { return true }
            guard let column else { return false }
            return filter.utf8.elementsEqual(column.utf8)
        }
        if let from, row.time.microseconds < from.microseconds { return false }
        if let to, row.time.microseconds >= to.microseconds { return false }
        guard same(actor, row.actorID), same(onBehalfOf, row.onBehalfOfID), same(agent, row.agentID), same(category, row.category),
            same(resourceType, row.resourceType), same(resourceID, row.resourceID), same(outcome, row.outcome), same(session, row.sessionID)
        else { return false }
        if let action {
            if action.hasSuffix("*") {
                // action >= prefix AND action < prefix + U+10FFFF (F4 8F BF BF), byte-wise.
                let prefix = Array(action.utf8.dropLast())
                let value = Array(row.action.utf8)
                guard value.count >= prefix.count, value[..<prefix.count].elementsEqual(prefix) else { return false }
                let rest = value[prefix.count...]
                guard rest.lexicographicallyPrecedes([0xF4, 0x8F, 0xBF, 0xBF]) else { return false }
            } else if !action.utf8.elementsEqual(row.action.utf8) {
                return false
            }
        }
        if let minRisk {
            guard let risk = row.risk, risk >= minRisk else { return false }
        }
        if let ownedBy, !same(ownedBy, row.actorID), !same(ownedBy, row.onBehalfOfID) { return false }
        if let after {
            switch order {
            case .descending: if row.seq >= after { return false }
            case .ascending: if row.seq <= after { return false }
            }
        }
        return true
    }
}
