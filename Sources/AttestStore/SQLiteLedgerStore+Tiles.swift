import AttestCore
import Foundation
import GRDB
import Synchronization

/// Proof tiles: the hashes an inclusion or consistency proof needs from the low levels of the tree,
/// 16 to a row.
///
/// - A level-0 tile `k` holds the leaf (entry) hashes of entries `16k ..< 16k+16`: the levels 0–3 of
///   any proof inside that block come from it.
/// - A level-4 tile `j` holds the hashes of Merkle nodes level 4, index `16j ..< 16j+16` (leaves
///   `256j ..< 256j+256`): the levels 4–7.
///
/// Levels 8 and up come from memory (``MerkleNodeCache``), and so do level-4 tiles once read, up to a
/// budget (``ProofTileCache``). Without tiles a proof read 16 entry rows
/// and 4 node rows; with them it reads two rows. A tile is written in the transaction that
/// completes its block, and never changes (the table is append-only, like the nodes). Only
/// complete blocks have tiles; a proof at the log's growing edge reads entries and nodes for the
/// incomplete block, as before.
///
/// `tile_id` packs the log, the level and the index into one integer key of a rowid table (a
/// `WITHOUT ROWID` table would copy the 512-byte rows into its interior pages):
/// `log_id << 44 | level << 40 | index`.
extension SQLiteLedgerStore {
    /// Hashes in a tile.
    static let tileWidth = 16

    static func tileID(logID: Int64, level: UInt8, index: UInt64) -> Int64 {
        (logID << 44) | (Int64(level) << 40) | Int64(index)
    }

    /// The 16 hashes of a tile, or `nil` if it is not stored.
    static func tile(_ db: Database, logID: Int64, level: UInt8, index: UInt64) throws -> [Hash256]? {
        guard let data = try tileData(db, logID: logID, level: level, index: index) else { return nil }
        return (0..<tileWidth).map { tileHash(data, $0) }
    }

    /// The bytes of a tile (checked to hold 16 hashes), or `nil` if it is not stored.
    static func tileData(_ db: Database, logID: Int64, level: UInt8, index: UInt64) throws -> Data? {
        guard
            let data = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT hashes FROM tiles WHERE tile_id = ?"),
                arguments: [tileID(logID: logID, level: level, index: index)]
            )
        else { return nil }
        guard data.count == tileWidth * Hash256.byteCount else {
            throw StoreError(.corrupt, "proof tile level \(level) index \(index) holds \(data.count) bytes, not \(tileWidth * Hash256.byteCount)")
        }
        return data
    }

    /// Hash `k` of a tile's bytes.
    static func tileHash(_ data: Data, _ k: Int) -> Hash256 {
        Hash256(bytes: data[(data.startIndex + k * Hash256.byteCount)..<(data.startIndex + (k + 1) * Hash256.byteCount)])!
    }

    static func insertTile(_ db: Database, logID: Int64, level: UInt8, index: UInt64, hashes: [Hash256]) throws {
        precondition(hashes.count == tileWidth, "a tile holds \(tileWidth) hashes")
        var bytes = Data(capacity: tileWidth * Hash256.byteCount)
        for h in hashes { h.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        try db.cachedStatement(sql: "INSERT INTO tiles (tile_id, hashes) VALUES (?, ?)")
            .execute(arguments: [tileID(logID: logID, level: level, index: index), bytes])
    }

    /// Writes the tiles that an append completed. `completed` lists (level, index) of the tiles,
    /// `fresh` the hashes of this append's entries from seq `firstSeq`, `level4` the level-4 nodes
    /// completed by it; older hashes are read back from the same transaction.
    static func writeTiles(
        _ db: Database,
        logID: Int64,
        completed: [(level: UInt8, index: UInt64)],
        firstSeq: UInt64,
        fresh: [Hash256],
        level4: [UInt64: Hash256]
    ) throws {
        for (level, index) in completed {
            let start = index * UInt64(tileWidth)
            let hashes: [Hash256]
            if level == 0 {
                var older: [Hash256] = []
                if start < firstSeq {
                    older = try Data.fetchAll(
                        db.cachedStatement(sql: "SELECT hash FROM entries WHERE log_id = ? AND seq >= ? AND seq < ? ORDER BY seq"),
                        arguments: [logID, Int64(start), Int64(firstSeq)]
                    ).compactMap { Hash256(bytes: $0) }
                }
                let from = max(start, firstSeq)
                let newer = fresh[Int(from - firstSeq)..<Int(start + UInt64(tileWidth) - firstSeq)]
                hashes = older + newer
            } else {
                var byIndex = level4
                let missing = (start..<(start + UInt64(tileWidth))).filter { byIndex[$0] == nil }
                if let lo = missing.first, let hi = missing.last {
                    let rows = try Row.fetchAll(
                        db.cachedStatement(sql: "SELECT idx, hash FROM nodes WHERE log_id = ? AND level = 4 AND idx >= ? AND idx <= ?"),
                        arguments: [logID, Int64(lo), Int64(hi)]
                    )
                    for row in rows { byIndex[UInt64(row[0] as Int64)] = Hash256(bytes: row[1] as Data) }
                }
                hashes = (start..<(start + UInt64(tileWidth))).compactMap { byIndex[$0] }
            }
            guard hashes.count == tileWidth else {
                throw StoreError(.corrupt, "proof tile level \(level) index \(index) cannot be built: \(hashes.count) of \(tileWidth) hashes found")
            }
            try insertTile(db, logID: logID, level: level, index: index, hashes: hashes)
        }
    }

    public func tiledNodes(tenant: String, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256] {
        try await read { db in
            let (logID, _) = try self.logID(db, tenant)
            var out: [Merkle.NodeID: Hash256] = [:]
            for id in ids where id.level == 4 || id.level == 8 {
                if let tile = try Self.tile(db, logID: logID, level: id.level - 4, index: id.index) { out[id] = Merkle.root(of: tile) }
            }
            return out
        }
    }

    /// Builds the tiles of every complete block of every log (migration v7).
    static func backfillTiles(_ db: Database) throws {
        for logID in try Int64.fetchAll(db, sql: "SELECT log_id FROM logs") {
            for (level, sql) in [
                (UInt8(0), "SELECT hash FROM entries WHERE log_id = ? ORDER BY seq"),
                (UInt8(4), "SELECT hash FROM nodes WHERE log_id = ? AND level = 4 ORDER BY idx"),
            ] {
                let cursor = try Data.fetchCursor(db, sql: sql, arguments: [logID])
                var block: [Hash256] = []
                var index: UInt64 = 0
                while let data = try cursor.next() {
                    guard let h = Hash256(bytes: data) else { throw StoreError(.corrupt, "log \(logID) holds a hash that is not 32 bytes") }
                    block.append(h)
                    if block.count == tileWidth {
                        try insertTile(db, logID: logID, level: level, index: index, hashes: block)
                        block.removeAll(keepingCapacity: true)
                        index += 1
                    }
                }
            }
        }
    }
}

/// Level-4 proof tiles kept in memory once read, with the nodes above them, up to a byte budget.
///
/// Every proof reads one level-4 tile (levels 4–7) and one leaf tile (levels 0–3), and hashes up to
/// 7 nodes inside each. A level-4 tile read once is kept here with its subtree's nodes of levels
/// 5–7 already hashed (30 hashes, about 1 KB in memory per 256 entries: 40 MB at 10 million
/// entries), so a later proof through it reads no row and hashes nothing above level 3. A tile
/// never changes once written (append-only), so the cache is never invalidated. Past the budget
/// (``SQLiteLedgerStore/Options/proofTileCacheBytes``) tiles are no longer added and proofs read
/// them from the store as before, so memory stays bounded however large the logs grow.
final class ProofTileCache: Sendable {
    /// Hashes kept per tile: 16 of level 4, 8 of level 5, 4 of level 6, 2 of level 7.
    static let hashesPerTile = 30
    /// Where each level (4...7) starts among a tile's kept hashes.
    static let levelStart = [0, 16, 24, 28]
    /// Memory counted per tile: the hashes, the array's header and the dictionary slot.
    static let bytesPerTile = 1_024
    private let tiles = Mutex<[Int64: [Hash256]]>([:])
    let maxTiles: Int

    init(maxBytes: Int) { self.maxTiles = max(0, maxBytes / Self.bytesPerTile) }

    /// The hash of node `id` (level 4...7) inside level-4 tile `tileIndex` of `tileID`, if the tile is kept.
    func node(_ tileID: Int64, tileIndex: UInt64, _ id: Merkle.NodeID) -> Hash256? {
        guard maxTiles > 0 else { return nil }
        let up = Int(id.level) - 4
        let offset = Self.levelStart[up] + Int(id.index - (tileIndex << UInt64(4 - up)))
        return tiles.withLock { $0[tileID]?[offset] }
    }

    /// Keeps a tile (its bytes already checked to hold 16 hashes) while the budget allows, hashing
    /// the levels above it once.
    func keep(_ tileID: Int64, _ data: Data) {
        guard maxTiles > 0, tiles.withLock({ $0.count < maxTiles && $0[tileID] == nil }) else { return }
        var hashes = [Hash256]()
        hashes.reserveCapacity(Self.hashesPerTile)
        data.withUnsafeBytes { raw in
            for k in 0..<SQLiteLedgerStore.tileWidth {
                hashes.append(Merkle.root(ofPackedHashes: raw, first: k, count: 1))  // a subtree of one: the hash itself
            }
        }
        var start = 0
        var width = SQLiteLedgerStore.tileWidth
        while width > 2 {
            for k in stride(from: start, to: start + width, by: 2) { hashes.append(Merkle.nodeHash(hashes[k], hashes[k + 1])) }
            start += width
            width /= 2
        }
        tiles.withLock { all in
            if all.count < maxTiles { all[tileID] = hashes }
        }
    }

    /// How many tiles are kept (for tests and metrics).
    var count: Int { tiles.withLock { $0.count } }
}
