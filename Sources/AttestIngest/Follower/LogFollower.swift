import AttestCore
import AttestStore

/// Follows one tenant's log from a durable cursor, so monitors and exporters see every entry in
/// order, across restarts.
///
/// Delivery: entries come in `seq` order, in batches; the cursor moves past a batch only after the
/// handler returned for it. Across clean restarts every entry is delivered exactly once. If the
/// process dies while a handler runs, that batch is delivered again after the restart (same `seq`s),
/// so a handler whose effects are not idempotent should remember the last `seq` it finished.
public struct LogFollower: Sendable {
    /// The follower's name (its cursor's key).
    public let name: String
    let store: any LedgerStore & FollowerCursorStore

    public init(name: String, store: any LedgerStore & FollowerCursorStore) {
        self.name = name
        self.store = store
    }

    /// The next `seq` this follower will receive.
    public func position(tenant: String) async throws -> UInt64 {
        try await store.cursor(follower: name, tenant: tenant)
    }

    /// Delivers up to `limit` entries after the cursor to `handle`, then advances the cursor.
    /// Returns how many were delivered (0 when caught up). Only entries covered by a signed
    /// checkpoint are delivered.
    @discardableResult
    public func poll(tenant: String, limit: Int = 1000, handle: ([StoredEntry]) async throws -> Void) async throws -> Int {
        let from = try await store.cursor(follower: name, tenant: tenant)
        guard let size = try await store.latestCheckpoint(tenant: tenant)?.size, size > from else { return 0 }
        let entries = try await store.entries(tenant: tenant, from: from, limit: Int(min(UInt64(limit), size - from)))
        guard !entries.isEmpty else { return 0 }
        for (i, e) in entries.enumerated() where e.seq != from + UInt64(i) {
            throw StoreError(.corrupt, "follower \(name): expected entry \(from + UInt64(i)), found \(e.seq)")
        }
        try await handle(entries)
        try await store.setCursor(follower: name, tenant: tenant, position: from + UInt64(entries.count))
        return entries.count
    }

    /// Polls until caught up with the log.
    public func catchUp(tenant: String, limit: Int = 1000, handle: ([StoredEntry]) async throws -> Void) async throws {
        while try await poll(tenant: tenant, limit: limit, handle: handle) > 0 {}
    }
}
