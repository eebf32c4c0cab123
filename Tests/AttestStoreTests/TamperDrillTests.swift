import AttestCore
import AttestStore
import AttestTesting
import Foundation
import GRDB
import Testing

/// Someone with the SQLite file drops the triggers and edits history; `StoreVerifier` (what
/// `attest verify --data-dir` runs) must name the first bad entry.
@Suite("Tamper drills on the SQLite file")
struct TamperDrillTests {
    func prepared(_ count: Int = 40, signEntries: Bool = false) async throws -> TestStore {
        let t = try TestStore(signEntries: signEntries)
        try await t.fill(count, batch: 8)
        let clean = try await t.verify()
        #expect(clean.ok, "\(clean)")
        try t.dropTriggers()
        return t
    }

    func entryBytes(_ t: TestStore, _ seq: Int) throws -> [UInt8] {
        try t.raw { db in Array(try Data.fetchOne(db, sql: "SELECT entry FROM entries WHERE seq = ?", arguments: [seq])!) }
    }

    @Test("a clean store verifies, with per-entry signatures counted")
    func clean() async throws {
        let t = try TestStore(signEntries: true)
        try await t.fill(50, batch: 7)
        let r = try await t.verify()
        #expect(r.ok)
        #expect(r.range == 0..<50)
        #expect(r.signaturesChecked == 50)
        #expect(r.checkpointsChecked == 9)  // size 0 plus one per batch
    }

    @Test("one byte of an entry changed is caught at that seq")
    func oneByte() async throws {
        let t = try await prepared()
        var bytes = try entryBytes(t, 17)
        let i = try #require(bytes.firstIndex(of: UInt8(ascii: "A")))  // inside "Agent n"
        bytes[i] = UInt8(ascii: "B")
        try t.raw { try $0.execute(sql: "UPDATE entries SET entry = ? WHERE seq = 17", arguments: [Data(bytes)]) }
        let r = try await t.verify()
        #expect(r.failure?.seq == 17, "\(r)")
        #expect(r.failure?.code == .hashMismatch)
    }

    @Test("an entry rewritten with its hash recomputed breaks the chain at the next seq")
    func rehashed() async throws {
        let t = try await prepared()
        let entry = try LedgerEntry(parsing: JSONParser.parse(try entryBytes(t, 9), limits: .ledger))
        var event = entry.event.objectValue!
        event["action"] = "nothing.happened"
        let forged = LedgerEntry(origin: entry.origin, seq: 9, prev: entry.prev, receivedAt: entry.receivedAt, event: .object(event))
        let bytes = forged.canonicalBytes
        try t.raw {
            try $0.execute(
                sql: "UPDATE entries SET entry = ?, hash = ? WHERE seq = 9",
                arguments: [Data(bytes), Data(LedgerEntry.hash(canonicalBytes: bytes).bytes)]
            )
        }
        let r = try await t.verify()
        #expect(r.failure?.seq == 10, "\(r)")
        #expect(r.failure?.code == .chainBroken)
    }

    @Test("the last entry rewritten with its hash recomputed fails the signed root")
    func rehashedLast() async throws {
        let t = try await prepared()
        let entry = try LedgerEntry(parsing: JSONParser.parse(try entryBytes(t, 39), limits: .ledger))
        var event = entry.event.objectValue!
        event["action"] = "nothing.happened"
        let bytes = LedgerEntry(origin: entry.origin, seq: 39, prev: entry.prev, receivedAt: entry.receivedAt, event: .object(event)).canonicalBytes
        try t.raw {
            try $0.execute(
                sql: "UPDATE entries SET entry = ?, hash = ? WHERE seq = 39",
                arguments: [Data(bytes), Data(LedgerEntry.hash(canonicalBytes: bytes).bytes)]
            )
        }
        let r = try await t.verify()
        #expect(r.failure?.seq == 39, "\(r)")
        #expect(r.failure?.code == .rootMismatch)
    }

    @Test("a middle row deleted is caught at its seq")
    func deleted() async throws {
        let t = try await prepared()
        try t.raw { try $0.execute(sql: "DELETE FROM entries WHERE seq = 21") }
        let r = try await t.verify()
        #expect(r.failure?.seq == 21, "\(r)")
        #expect(r.failure?.code == .sequenceGap)
    }

    @Test("two rows swapped are caught at the first of them")
    func swapped() async throws {
        let t = try await prepared()
        try t.raw { db in
            let a = try Row.fetchOne(db, sql: "SELECT hash, entry, event_id FROM entries WHERE seq = 12")!
            let b = try Row.fetchOne(db, sql: "SELECT hash, entry, event_id FROM entries WHERE seq = 30")!
            try db.execute(sql: "UPDATE entries SET event_id = 'tmp' WHERE seq = 12")
            try db.execute(sql: "UPDATE entries SET hash = ?, entry = ?, event_id = ? WHERE seq = 30", arguments: [a[0], a[1], a[2]])
            try db.execute(sql: "UPDATE entries SET hash = ?, entry = ?, event_id = ? WHERE seq = 12", arguments: [b[0], b[1], b[2]])
        }
        let r = try await t.verify()
        #expect(r.failure?.seq == 12, "\(r)")
        #expect(r.failure?.code == .sequenceGap)
    }

    @Test("an entry slipped in after the last checkpoint is not covered by a signature")
    func uncovered() async throws {
        let t = try await prepared()
        let last = try LedgerEntry(parsing: JSONParser.parse(try entryBytes(t, 39), limits: .ledger))
        let extra = LedgerEntry(
            origin: last.origin,
            seq: 40,
            prev: LedgerEntry.hash(canonicalBytes: last.canonicalBytes),
            receivedAt: last.receivedAt,
            event: last.event
        )
        let bytes = extra.canonicalBytes
        try t.raw {
            try $0.execute(
                sql: "INSERT INTO entries (log_id, seq, hash, event_id, received_at, entry) VALUES (1, 40, ?, 'slipped', 0, ?)",
                arguments: [Data(LedgerEntry.hash(canonicalBytes: bytes).bytes), Data(bytes)]
            )
        }
        let r = try await t.verify()
        #expect(r.failure?.seq == 40, "\(r)")
        #expect(r.failure?.code == .truncated)
    }

    @Test("a stored Merkle node changed is caught")
    func node() async throws {
        let t = try await prepared(64)
        try t.raw { try $0.execute(sql: "UPDATE nodes SET hash = zeroblob(32) WHERE level = 4 AND idx = 2") }
        let r = try await t.verify()
        #expect(r.failure?.code == .treeMismatch, "\(r)")
        #expect(r.failure?.seq == 32)
    }

    @Test("a proof tile changed is caught, at the first entry it covers")
    func tile() async throws {
        let t = try await prepared(600)
        // Level-0 tile 5 (leaves 80..<96) and level-4 tile 1 (leaves 256..<512); log_id 1.
        for (id, seq) in [((Int64(1) << 44) | 5, 80), ((Int64(1) << 44) | (Int64(4) << 40) | 1, 256)] {
            let original = try t.raw { db in try Data.fetchOne(db, sql: "SELECT hashes FROM tiles WHERE tile_id = ?", arguments: [id]) }
            #expect(original?.count == 512)
            try t.raw { try $0.execute(sql: "UPDATE tiles SET hashes = zeroblob(512) WHERE tile_id = ?", arguments: [id]) }
            let r = try await t.verify()
            #expect(r.failure?.code == .treeMismatch, "\(r)")
            #expect(r.failure?.seq == UInt64(seq))
            #expect(r.failure?.reason.contains("proof tile") == true, "\(r)")
            try t.raw { try $0.execute(sql: "UPDATE tiles SET hashes = ? WHERE tile_id = ?", arguments: [original, id]) }
        }
        #expect(try await t.verify().ok)
    }

    @Test("a checkpoint note replaced by one signed with another key is caught")
    func resigned() async throws {
        let t = try await prepared()
        let impostor = try Ed25519NoteSigner.generate(name: "attest.test/default")
        try t.raw { db in
            let row = try Row.fetchOne(db, sql: "SELECT size, root FROM checkpoints WHERE size = 16")!
            let cp = Checkpoint(origin: "attest.test/default", size: 16, root: Hash256(bytes: row[1] as Data)!)
            try db.execute(
                sql: "UPDATE checkpoints SET note = ? WHERE size = 16",
                arguments: [try SignedCheckpoint(signing: cp, with: impostor).serialized]
            )
        }
        let r = try await t.verify()
        #expect(r.failure?.code == .badCheckpoint, "\(r)")
    }

    @Test("a per-entry signature changed is caught at its seq")
    func entrySignature() async throws {
        let t = try await prepared(signEntries: true)
        try t.raw { try $0.execute(sql: "UPDATE entries SET sig = (SELECT sig FROM entries WHERE seq = 3) WHERE seq = 5") }
        let r = try await t.verify()
        #expect(r.failure?.seq == 5, "\(r)")
        #expect(r.failure?.code == .badEntrySignature)
    }

    @Test("two tenants' logs swapped are caught: by the key's name, or by the origin inside every entry")
    func tenantsSwapped() async throws {
        let t = try TestStore()
        try await t.fill(12, tenant: "alpha")
        try await t.fill(9, tenant: "beta")
        let alphaClean = try await t.verify("alpha")
        let betaClean = try await t.verify("beta")
        #expect(alphaClean.ok && betaClean.ok)
        try t.dropTriggers()
        // Swap which log each tenant name points to: alpha's name now opens beta's log.
        try t.raw { db in
            try db.execute(
                sql: "UPDATE logs SET tenant = CASE tenant WHEN 'alpha' THEN 'swap' WHEN 'beta' THEN 'alpha' ELSE tenant END"
            )
            try db.execute(sql: "UPDATE logs SET tenant = 'beta' WHERE tenant = 'swap'")
        }
        let byName = try await t.verify("alpha")
        #expect(byName.failure?.code == .keyMismatch, "\(byName)")
        // Swap the origins too, so the log rows look right: every entry still names its own log.
        try t.raw { db in
            try db.execute(
                sql: """
                    UPDATE logs SET origin = CASE origin WHEN 'attest.test/alpha' THEN 'swap' WHEN 'attest.test/beta' THEN 'attest.test/alpha'
                    ELSE origin END
                    """
            )
            try db.execute(sql: "UPDATE logs SET origin = 'attest.test/beta' WHERE origin = 'swap'")
        }
        let byEntry = try await t.verify("alpha")
        // The log's key history (kept per log) names the other log's key; without it, the first
        // thing checked, the size-0 checkpoint, names the other log.
        #expect(byEntry.failure?.code == .keyMismatch, "\(byEntry)")
        #expect(byEntry.failure?.reason.contains("attest.test/beta") == true, "\(byEntry)")
        // Without the key history rows, the checkpoint itself names the other log.
        try t.raw { db in try db.execute(sql: "DELETE FROM log_keys") }
        let byCheckpoint = try await t.verify("alpha")
        #expect(byCheckpoint.failure?.code == .badCheckpoint, "\(byCheckpoint)")
        #expect(byCheckpoint.failure?.reason.contains("attest.test/beta") == true, "\(byCheckpoint)")
    }
}
