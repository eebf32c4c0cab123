import AttestCore
import Foundation
import GRDB

extension SQLiteLedgerStore: AdminStore, FollowerCursorStore {
    public func createToken(_ record: TokenRecord, secretHash: [UInt8]) async throws {
        try await write { db in
            if try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM tokens WHERE tenant = ? AND name = ?",
                arguments: [record.tenant, record.name]
            ) == true {
                throw StoreError(.conflict, "a token named \"\(record.name)\" already exists in tenant \(record.tenant)")
            }
            try db.execute(
                sql: "INSERT INTO tokens (tenant, name, hash, role, subject, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    record.tenant, record.name, Data(secretHash), record.role.rawValue, record.subject, record.createdAt.microseconds,
                ]
            )
        }
    }

    static func tokenRecord(_ row: Row) -> TokenRecord? {
        guard let role = Role(rawValue: row["role"]) else { return nil }
        return TokenRecord(
            tenant: row["tenant"],
            name: row["name"],
            role: role,
            subject: row["subject"],
            createdAt: Timestamp(microseconds: row["created_at"])
        )
    }

    public func token(secretHash: [UInt8]) async throws -> TokenRecord? {
        try await readQuick { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tokens WHERE hash = ?"), arguments: [Data(secretHash)]) else {
                return nil
            }
            // The index lookup already matched; compare again in constant time so no early exit
            // depends on how many bytes agree.
            let stored = Array(row["hash"] as Data)
            guard ConstantTime.equal(stored, secretHash) else { return nil }
            return Self.tokenRecord(row)
        }
    }

    public func tokens(tenant: String) async throws -> [TokenRecord] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM tokens WHERE tenant = ? ORDER BY name"), arguments: [tenant]).compactMap(
                Self.tokenRecord
            )
        }
    }

    public func token(tenant: String, name: String) async throws -> TokenRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tokens WHERE tenant = ? AND name = ?"), arguments: [tenant, name]).flatMap(
                Self.tokenRecord
            )
        }
    }

    public func deleteToken(tenant: String, name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM tokens WHERE tenant = ? AND name = ?", arguments: [tenant, name])
            return db.changesCount > 0
        }
    }

    public func cursor(follower: String, tenant: String) async throws -> UInt64 {
        try await read { db in
            let (logID, _) = try self.logID(db, tenant)
            return UInt64(
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT position FROM follower_cursors WHERE name = ? AND log_id = ?"),
                    arguments: [follower, logID]
                ) ?? 0
            )
        }
    }

    public func setCursor(follower: String, tenant: String, position: UInt64) async throws {
        try await write { db in
            let (logID, _) = try self.logID(db, tenant)
            try db.execute(
                sql: """
                    INSERT INTO follower_cursors (name, log_id, position, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name, log_id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
                    """,
                arguments: [follower, logID, Int64(position), Timestamp.now().microseconds]
            )
        }
    }
}

extension SQLiteLedgerStore: CosignatureStore {
    public func addCosignature(tenant: String, size: UInt64, witness: String, line: String) async throws {
        try await write { db in
            let (logID, _) = try self.logID(db, tenant)
            try db.execute(
                sql: "INSERT INTO cosignatures (log_id, size, witness, line, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [logID, Int64(size), witness, line, Timestamp.now().microseconds]
            )
        }
    }

    public func witnessedCheckpoint(tenant: String, minWitnesses: Int) async throws -> (checkpoint: StoredCheckpoint, cosignatures: [String])? {
        try await readQuick { db in
            guard let (logID, _) = try Self.logRow(db, tenant: tenant) else { return nil }
            let size: Int64?
            if minWitnesses <= 0 {
                size = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(size) FROM checkpoints WHERE log_id = ?"), arguments: [logID])
            } else {
                size = try Int64.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT size FROM cosignatures WHERE log_id = ? GROUP BY size HAVING count(DISTINCT witness) >= ?
                            ORDER BY size DESC LIMIT 1
                            """
                    ),
                    arguments: [logID, minWitnesses]
                )
            }
            guard let size, let cp = try Self.fetchCheckpoints(db, logID: logID, sizes: UInt64(size)...UInt64(size), limit: 1).first else {
                return nil
            }
            let lines = try String.fetchAll(
                db.cachedStatement(sql: "SELECT line FROM cosignatures WHERE log_id = ? AND size = ? ORDER BY witness"),
                arguments: [logID, size]
            )
            return (cp, lines)
        }
    }
}
