import AttestCore
import Foundation
import GRDB

/// A witness's memory (C2SP tlog-witness): for every log origin, the latest checkpoint it cosigned.
/// One SQLite file; the check against the stored size and the update happen in one write
/// transaction, so two concurrent requests can never roll the stored size back.
public final class WitnessStore: Sendable {
    let queue: DatabaseQueue

    public init(path: String) throws {
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL") }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1-witness") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE cosigned (
                            origin TEXT PRIMARY KEY,
                            size INTEGER NOT NULL,
                            root BLOB NOT NULL,
                            note TEXT NOT NULL,
                            updated_at INTEGER NOT NULL
                        ) WITHOUT ROWID;
                        """
                )
            }
            try migrator.migrate(queue)
        } catch {
            throw StoreError(.unavailable, "cannot open the witness state at \(path): \(error)")
        }
    }

    /// What was last cosigned for `origin`.
    public func latest(origin: String) throws -> WitnessProtocol.Latest? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT size, root FROM cosigned WHERE origin = ?", arguments: [origin]),
                let root = Hash256(bytes: row[1] as Data)
            else { return nil }
            return WitnessProtocol.Latest(size: UInt64(row[0] as Int64), root: root)
        }
    }

    /// Decides `request` against the stored state and, when it is accepted, stores the new
    /// checkpoint before returning it: both in one transaction.
    public func add(_ request: WitnessProtocol.Request, trusted: [String: [any NoteVerifier]]) throws -> SignedCheckpoint {
        try queue.write { db in
            let origin = (try? SignedCheckpoint(parsing: request.note))?.checkpoint.origin ?? ""
            var latest: WitnessProtocol.Latest?
            if let row = try Row.fetchOne(db, sql: "SELECT size, root FROM cosigned WHERE origin = ?", arguments: [origin]),
                let root = Hash256(bytes: row[1] as Data)
            {
                latest = WitnessProtocol.Latest(size: UInt64(row[0] as Int64), root: root)
            }
            let accepted = try WitnessProtocol.decide(request, trusted: trusted, latest: latest)
            let cp = accepted.checkpoint
            try db.execute(
                sql: """
                    INSERT INTO cosigned (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note,
                        updated_at = excluded.updated_at
                    """,
                arguments: [cp.origin, Int64(cp.size), cp.root.data, request.note, Timestamp.now().microseconds]
            )
            return accepted
        }
    }
}
