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
public struct StoredEvent: Hashable, Sendable {
    public let seq: UInt64
    public let hash: Hash256
    public let receivedAt: Timestamp
    /// The stored (normalized, redacted) event.
    public let event: JSONValue
    public init(seq: UInt64, hash: Hash256, receivedAt: Timestamp, event: JSONValue) {
        self.seq = seq
        self.hash = hash
        self.receivedAt = receivedAt
        self.event = event
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
