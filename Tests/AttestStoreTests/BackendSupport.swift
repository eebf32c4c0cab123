import AttestCore
import AttestPostgres
import AttestStore
import AttestTesting
import Foundation
import Testing

/// The store backends the shared suite runs on.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when a server is configured or required (scripts/test). A bare
    /// `swift test` without one runs SQLite only, and the PostgreSQL suite says it was skipped.
    static var enabled: [Backend] { PostgresTestServer.enabled ? [.sqlite, .postgres] : [.sqlite] }
}

/// A fresh store on one backend: a temporary SQLite file, or a new PostgreSQL database.
struct BackendStore: Sendable {
    let backend: Backend
    let key: Ed25519NoteSigner
    let store: any AttestStorage
    let sqlitePath: String?
    let postgres: (admin: PostgresURL, runtime: PostgresURL)?
    let pool: PostgresPoolService?

    static func make(_ backend: Backend, signEntries: Bool = false, prefix: String = "attest.test") async throws -> BackendStore {
        let key = try Ed25519NoteSigner.generate(name: "installation")
        switch backend {
        case .sqlite:
            let dir = try TestEnvironment.temporaryDirectory("attest-store")
            let path = dir.appendingPathComponent("ledger.sqlite").path
            let store = try SQLiteLedgerStore(
                path: path,
                signers: Ed25519LogSigners(key: key),
                options: .init(signEntries: signEntries, originPrefix: prefix)
            )
            return BackendStore(backend: backend, key: key, store: store, sqlitePath: path, postgres: nil, pool: nil)
        case .postgres:
            let urls = try await PostgresTestServer.newDatabase(prefix: prefix)
            let (store, pool) = try await PostgresTestServer.openStore(
                urls.runtime,
                signers: Ed25519LogSigners(key: key),
                options: .init(signEntries: signEntries)
            )
            return BackendStore(backend: backend, key: key, store: store, sqlitePath: nil, postgres: urls, pool: pool)
        }
    }

    /// Another store on the same data (a second node, or a reopened file).
    func reopen(signers: any LogSigners, prefix: String? = nil, signEntries: Bool = false) async throws -> any AttestStorage {
        switch backend {
        case .sqlite:
            return try SQLiteLedgerStore(path: sqlitePath!, signers: signers, options: .init(signEntries: signEntries, originPrefix: prefix))
        case .postgres:
            return try await PostgresTestServer.openStore(
                postgres!.runtime,
                signers: signers,
                options: .init(signEntries: signEntries, originPrefix: prefix)
            ).0
        }
    }

    func verifier(_ tenant: String = "default") throws -> Ed25519NoteVerifier {
        try key.renamed("attest.test/\(tenant)").verifier
    }

    func verify(_ tenant: String = "default", store other: (any LedgerStore)? = nil) async throws -> VerificationReport {
        await StoreVerifier.verify(store: other ?? store, tenant: tenant, key: try verifier(tenant))
    }

    /// Appends `count` fixture events in batches of `batch`.
    @discardableResult
    func fill(_ count: Int, batch: Int = 10, tenant: String = "default", from: Int = 0) async throws -> AppendResult? {
        try await fillStore(store, count, batch: batch, tenant: tenant, from: from)
    }
}
