import AttestCore

/// The query-index columns of one ledger entry.
///
/// The indexer derives them from stored entries. For entries this process has just committed, the
/// sequencer hands them over ready-made, which saves reading each entry back and parsing it again
/// (about a third of the indexer's work).
@dynamicMemberLookup
public struct IndexRow: Sendable, Hashable {
    public let seq: UInt64
    public let receivedAt: Timestamp
    public let time: Timestamp
    /// The filter columns (`row.action`, `row.actorID`, … read them).
    public let columns: IndexColumns

    public subscript<T>(dynamicMember column: KeyPath<IndexColumns, T>) -> T { columns[keyPath: column] }

    /// The row of `event`, stored at `seq` with receive time `receivedAt`.
    public init(seq: UInt64, receivedAt: Timestamp, event: AuditEvent) {
        self.seq = seq
        self.receivedAt = receivedAt
        time = event.time
        columns = event.columns
    }

    /// The row of a stored entry (its bytes as in the ledger).
    public init(seq: UInt64, entry: [UInt8]) throws {
        guard let parsed = try? LedgerEntry(parsing: JSONParser.parse(entry, limits: .ledger)), let event = AuditEvent(stored: parsed.event)
        else { throw StoreError(.corrupt, "entry \(seq) cannot be read for indexing") }
        self.init(seq: seq, receivedAt: parsed.receivedAt, event: event)
    }

    /// The run of rows in `rows` (sorted by `seq`) that starts at `seq` and has no gap, at most
    /// `limit` long and below `end`; empty if `rows` has no row for `seq`.
    public static func run(in rows: [IndexRow], from seq: UInt64, below end: UInt64, limit: Int) -> ArraySlice<IndexRow> {
        var lo = 0
        var hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rows[mid].seq < seq { lo = mid + 1 } else { hi = mid }
        }
        guard lo < rows.count, rows[lo].seq == seq else { return [] }
        var last = lo
        while last + 1 < rows.count, last + 1 - lo < limit, rows[last + 1].seq == rows[last].seq + 1, rows[last + 1].seq < end {
            last += 1
        }
        return seq < end ? rows[lo...last] : []
    }
}
