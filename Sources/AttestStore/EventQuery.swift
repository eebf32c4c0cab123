import AttestCore

/// A filtered page of events (DESIGN §5 query filters).
public struct EventQuery: Hashable, Sendable {
    /// Newest first (default) or oldest first.
    public enum Order: String, Sendable, Hashable {
        case ascending = "asc"
        case descending = "desc"
    }

    /// Event `time` at or after.
    public var from: Timestamp?
    /// Event `time` before.
    public var to: Timestamp?
    /// `actor.id`.
    public var actor: String?
    /// `on_behalf_of.id`.
    public var onBehalfOf: String?
    /// `agent.id` (or `agent.name` when the event has no agent id).
    public var agent: String?
    /// `action`, exact, or a prefix when it ends with `*` (`tool.*`).
    public var action: String?
    public var category: String?
    public var resourceType: String?
    public var resourceID: String?
    /// `outcome.status`.
    public var outcome: String?
    /// `session.id`.
    public var session: String?
    /// Lowest `risk.level` rank (0 none … 4 critical).
    public var minRisk: Int?
    /// Only events whose `actor.id` or `on_behalf_of.id` is this (the `standard_user` rule).
    public var ownedBy: String?
    public var order: Order = .descending
    /// Page size, 1…1000.
    public var limit: Int = 100
    /// Keyset position: only events after this `seq` in the page order.
    public var after: UInt64?

    public init() {}
}

/// An event as read back from the ledger.
///
/// It keeps the event as its canonical bytes, exactly as they are in the entry: a reader that
/// sends events on (the query route) writes them out without a tree (parsing a page of 100
/// entries into dictionary trees and serializing them again took most of a query's CPU).
public struct StoredEvent: Hashable, Sendable {
    public let seq: UInt64
    public let hash: Hash256
    public let receivedAt: Timestamp
    /// The stored (normalized, redacted) event's RFC 8785 bytes.
    public let eventBytes: [UInt8]

    public init(seq: UInt64, hash: Hash256, receivedAt: Timestamp, event: JSONValue) {
        self.init(seq: seq, hash: hash, receivedAt: receivedAt, eventBytes: event.canonicalBytes)
    }

    /// - Precondition: `eventBytes` are the RFC 8785 bytes of a JSON object.
    public init(seq: UInt64, hash: Hash256, receivedAt: Timestamp, eventBytes: [UInt8]) {
        self.seq = seq
        self.hash = hash
        self.receivedAt = receivedAt
        self.eventBytes = eventBytes
    }

    /// The event stored at `seq` in the entry whose canonical bytes are `entry`. The event's
    /// bytes are taken from the entry as they are when ``LedgerEntry/readableParts(canonical:)``
    /// is sure the entry is canonical; otherwise the entry is parsed in full and the event
    /// serialized again (the same bytes for any entry the parse accepts).
    public init(seq: UInt64, hash: Hash256, entry: UnsafeBufferPointer<UInt8>) throws {
        if let parts = LedgerEntry.readableParts(canonical: entry),
            let time = Timestamp(rfc3339: String(decoding: UnsafeBufferPointer(rebasing: entry[parts.receivedAt]), as: UTF8.self))
        {
            self.init(seq: seq, hash: hash, receivedAt: time, eventBytes: Array(entry[parts.event]))
            return
        }
        guard let e = try? LedgerEntry(parsing: JSONParser.parse(entry, limits: .ledger)) else {
            throw StoreError(.corrupt, "entry \(seq) cannot be read")
        }
        self.init(seq: seq, hash: hash, receivedAt: e.receivedAt, event: e.event)
    }

    /// The event as a tree, parsed from ``eventBytes``.
    public func event() throws -> JSONValue {
        do {
            return try JSONParser.parse(eventBytes, limits: .ledger)
        } catch {
            throw StoreError(.corrupt, "entry \(seq) cannot be read: \(error)")
        }
    }
}

/// One page of a query.
public struct EventPage: Hashable, Sendable {
    public let items: [StoredEvent]
    /// The `after` value for the next page, nil at the end.
    public let nextAfter: UInt64?
    public init(items: [StoredEvent], nextAfter: UInt64?) {
        self.items = items
        self.nextAfter = nextAfter
    }
}

/// Reading events back by filter or by id.
public protocol EventReader: Sendable {
    /// A page of events matching `query` from the query index.
    func query(tenant: String, _ query: EventQuery) async throws -> EventPage
    /// The event with this id, if any.
    func event(tenant: String, id: String) async throws -> StoredEvent?
    /// Brings the query index up to date with the log and returns the indexed size.
    func updateIndex(tenant: String, batch: Int) async throws -> UInt64
    /// ``updateIndex(tenant:batch:)``, taking the rows of `prepared` (sorted by seq) for the
    /// entries they cover instead of reading those entries back. The rows must be those of the
    /// committed entries at their seqs (the sequencer's, for what it just appended).
    func updateIndex(tenant: String, batch: Int, prepared: [IndexRow]) async throws -> UInt64
    /// A page of events matching `query`, from the query index as far as it has come and from
    /// `recent()` beyond it, so the query does not wait for the indexer. `recent` is called once,
    /// after the log's size is read; nil when its rows do not cover every entry between the index
    /// and that size (then bring the index up to date and ask ``query(tenant:_:)``).
    func query(tenant: String, _ query: EventQuery, recent: @escaping @Sendable () -> RecentRows) async throws -> EventPage?
}

extension EventReader {
    /// Stores without this read path answer nil: the caller brings the index up to date first.
    public func query(tenant: String, _ query: EventQuery, recent: @escaping @Sendable () -> RecentRows) async throws -> EventPage? { nil }

    /// Stores that cannot use prepared rows read every entry back.
    public func updateIndex(tenant: String, batch: Int, prepared: [IndexRow]) async throws -> UInt64 {
        try await updateIndex(tenant: tenant, batch: batch)
    }
}
