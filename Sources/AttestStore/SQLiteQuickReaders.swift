import AttestCore
import Foundation
import GRDB
import Synchronization

/// Connections for reads of a few rows (proofs, checkpoints, token and log lookups) that run on the
/// calling thread, without the two thread hops of GRDB's async pool read, which cost more than such
/// a read itself (an inclusion proof from the store: ~160 µs through the pool).
///
/// A read here never waits: it takes a free connection or gives up (`nil`), and a connection that
/// meets a lock (`SQLITE_BUSY`, possible in WAL mode only around checkpoints and recovery) gives up
/// too instead of sleeping in a busy handler. The caller then uses the pool's async read. Blocking a
/// cooperative thread on a pool that other tasks hold is what hung the server when these reads first
/// went through `DatabasePool`'s synchronous read (2026-12-02); these connections are not shared
/// with anything that waits.
final class SQLiteQuickReaders: Sendable {
    private let connections: [DatabaseQueue]
    /// Bit `i` is set while connection `i` is in use.
    private let taken = Mutex<UInt64>(0)

    /// Opens `count` (1–64) read-only connections to the WAL database at `path`, which must exist.
    init(path: String, count: Int) throws {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .immediateError
        connections = try (0..<max(1, min(count, 64))).map { _ in try DatabaseQueue(path: path, configuration: config) }
    }

    /// Runs `body` in a read transaction on a free connection, or returns `nil` when none is free
    /// or the database is momentarily locked. Errors of `body` itself are thrown.
    func tryRead<T>(_ body: (Database) throws -> T) throws -> T? {
        let count = connections.count
        let slot = taken.withLock { mask -> Int? in
            for i in 0..<count where mask & (1 << UInt64(i)) == 0 {
                mask |= 1 << UInt64(i)
                return i
            }
            return nil
        }
        guard let slot else { return nil }
        defer { taken.withLock { $0 &= ~(1 << UInt64(slot)) } }
        do {
            return try connections[slot].inDatabase { db in try Self.inReadTransaction(db, body) }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
            return nil
        }
    }

    /// `body` in one read transaction (one snapshot), begun and ended with cached statements. GRDB's
    /// `read` wraps a read in a savepoint whose statements it prepares anew each time, which cost
    /// about a sixth of an inclusion proof.
    static func inReadTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
        let value: T
        do {
            value = try body(db)
        } catch {
            try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
            throw error
        }
        try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        return value
    }
}

/// Merkle nodes of ``SQLiteLedgerStore/cachedLevel`` and above, per log, kept in memory.
///
/// A node's hash never changes once the node is stored (the tree is append-only), so the cache is
/// never invalidated; it only grows, from the `nodes` table, as proofs ask for nodes past its end.
/// At 10 million entries it holds about 78,000 hashes (2.5 MB).
final class MerkleNodeCache: Sendable {
    /// Per log, per level (from `cachedLevel`), the hashes of nodes 0, 1, 2, … of that level.
    private let levels = Mutex<[Int64: [[Hash256]]]>([:])
    /// Per log, the perfect subtrees of the last checkpointed size a proof asked for (its stored frontier).
    private let edges = Mutex<[Int64: (size: UInt64, nodes: [Merkle.NodeID: Hash256])]>([:])
    let minLevel: UInt8

    init(minLevel: UInt8) { self.minLevel = minLevel }

    /// The maximal perfect subtrees of `[0, size)` (the tree's right edge, which no tile covers while its
    /// blocks are incomplete), from the frontier stored with the checkpoint of that size; `nil` if no
    /// checkpoint has that size. Proofs at one size all need the same edge nodes, so the last size is kept.
    func edge(_ db: Database, logID: Int64, size: UInt64) throws -> [Merkle.NodeID: Hash256]? {
        if let kept = edges.withLock({ $0[logID] }), kept.size == size { return kept.nodes }
        guard
            let frontier = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT frontier FROM checkpoints WHERE log_id = ? AND size = ?"),
                arguments: [logID, Int64(size)]
            )
        else { return nil }
        let range: CompactRange
        do { range = try CompactRange(size: size, encoded: frontier) } catch {
            throw StoreError(.corrupt, "the frontier of checkpoint \(size) is malformed: \(error)")
        }
        let nodes = Dictionary(uniqueKeysWithValues: zip(range.nodeIDs, range.nodes))
        edges.withLock { $0[logID] = (size, nodes) }
        return nodes
    }

    /// Fills `out[k]` with the hash of `ids[k]` for every ID of a cached level (one lock for all that are
    /// in memory; the others are read up to them from `db`). Throws `corrupt` if such a node is not stored.
    func fill(_ db: Database, logID: Int64, ids: [Merkle.NodeID], into out: inout [Hash256?]) throws {
        var misses: [Int] = []
        levels.withLock { all in
            let log = all[logID] ?? []
            for (k, id) in ids.enumerated() where id.level >= minLevel {
                let level = Int(id.level - minLevel)
                if level < log.count, Int(id.index) < log[level].count {
                    out[k] = log[level][Int(id.index)]
                } else {
                    misses.append(k)
                }
            }
        }
        for k in misses {
            guard let h = try hash(db, logID: logID, id: ids[k]) else {
                throw StoreError(.corrupt, "Merkle node level \(ids[k].level) index \(ids[k].index) is not stored")
            }
            out[k] = h
        }
    }

    /// The hash of node `id` of log `logID`, reading the nodes the cache lacks up to it from `db`.
    /// `nil` if the node is not stored (a caller bug: only nodes within a checkpointed size are asked for).
    func hash(_ db: Database, logID: Int64, id: Merkle.NodeID) throws -> Hash256? {
        let level = Int(id.level - minLevel)
        let index = Int(id.index)
        let (known, cached) = levels.withLock { all -> (Int, Hash256?) in
            guard let log = all[logID], level < log.count else { return (0, nil) }
            return (log[level].count, index < log[level].count ? log[level][index] : nil)
        }
        if let cached { return cached }
        // One range read from where the cache ends to the node asked for.
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT idx, hash FROM nodes WHERE log_id = ? AND level = ? AND idx >= ? AND idx <= ? ORDER BY idx"),
            arguments: [logID, Int64(id.level), Int64(known), Int64(index)]
        )
        var fetched: [Hash256] = []
        fetched.reserveCapacity(rows.count)
        for (offset, row) in rows.enumerated() {
            let data: Data = row[1]
            guard row[0] as Int64 == Int64(known + offset), let h = Hash256(bytes: data) else {
                throw StoreError(.corrupt, "Merkle node level \(id.level) index \(known + offset) is missing or not 32 bytes")
            }
            fetched.append(h)
        }
        guard rows.count == index - known + 1 else { return nil }
        levels.withLock { all in
            if all[logID] == nil { all[logID] = [] }
            while all[logID]!.count <= level { all[logID]!.append([]) }
            // Another reader may have extended the level meanwhile: append only what is still new.
            let have = all[logID]![level].count
            if have < known + rows.count {
                all[logID]![level].append(contentsOf: fetched[(have - known)...])
            }
        }
        return fetched[index - known]
    }
}
