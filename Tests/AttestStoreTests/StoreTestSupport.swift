import AttestCore
import AttestStore
import AttestTesting
import Foundation
import GRDB

/// A fresh store in a temporary directory.
struct TestStore {
    let dir: URL
    let key: Ed25519NoteSigner
    let store: SQLiteLedgerStore

    init(signEntries: Bool = false, prefix: String = "attest.test", proofTileCacheBytes: Int = 64 << 20) throws {
        dir = try TestEnvironment.temporaryDirectory("attest-store")
        key = try Ed25519NoteSigner.generate(name: "installation")
        store = try SQLiteLedgerStore(
            path: dir.appendingPathComponent("ledger.sqlite").path,
            signers: Ed25519LogSigners(key: key),
            options: .init(signEntries: signEntries, originPrefix: prefix, proofTileCacheBytes: proofTileCacheBytes)
        )
    }

    var path: String { dir.appendingPathComponent("ledger.sqlite").path }

    func verifier(_ tenant: String = "default") throws -> Ed25519NoteVerifier {
        try key.renamed("attest.test/\(tenant)").verifier
    }

    func verify(_ tenant: String = "default") async throws -> VerificationReport {
        await StoreVerifier.verify(store: store, tenant: tenant, key: try verifier(tenant))
    }

    /// Raw access to the SQLite file, as someone with the disk could have it.
    func raw<T>(_ body: (Database) throws -> T) throws -> T {
        let q = try DatabaseQueue(path: path)
        return try q.writeWithoutTransaction(body)
    }

    /// Drops the append-only triggers (what an attacker with file access could do first).
    func dropTriggers() throws {
        try raw { db in
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for n in names { try db.execute(sql: "DROP TRIGGER \(n)") }
        }
    }

    /// Appends `count` fixture events in batches of `batch`.
    @discardableResult
    func fill(_ count: Int, batch: Int = 10, tenant: String = "default", from: Int = 0) async throws -> AppendResult? {
        try await fillStore(store, count, batch: batch, tenant: tenant, from: from)
    }
}

/// Appends `count` fixture events (`evt-<from>`…) to `store` in batches of `batch`.
@discardableResult
func fillStore(_ store: any LedgerStore, _ count: Int, batch: Int, tenant: String, from: Int) async throws -> AppendResult? {
    var last: AppendResult?
    var i = from
    for chunk in stride(from: 0, to: count, by: batch) {
        let n = min(batch, count - chunk)
        last = try await store.append(tenant: tenant, events: Fixtures.events(n, from: i), receivedAt: .now())
        i += n
    }
    return last
}

/// A signer that always fails, to prove a failed append leaves nothing behind.
struct FailingSigners: LogSigners {
    struct Refused: Error {}
    let inner: Ed25519LogSigners
    func signer(forOrigin origin: String) throws -> any NoteSigner { FailingSigner(name: origin) }
    func verifierKey(forOrigin origin: String) throws -> String { try inner.verifierKey(forOrigin: origin) }

    struct FailingSigner: NoteSigner {
        let name: String
        var keyID: UInt32 { 0 }
        var verifierKey: String { "" }
        func sign(_ message: [UInt8]) throws -> [UInt8] { throw Refused() }
    }
}
