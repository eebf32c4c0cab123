import AttestCore
import AttestPostgres
import AttestStore
import Foundation
import Logging
import PostgresNIO

/// The real PostgreSQL server of the test run: `scripts/test` starts one (scripts/pg-cluster) and
/// exports `ATTEST_TEST_POSTGRES_URL` (a superuser URL). Each test gets a database of its own,
/// initialized by `PostgresSetup` exactly as `attest db init` does.
public enum PostgresTestServer {
    /// The superuser URL, or nil when no server was provided.
    public static var adminURL: PostgresURL? {
        ProcessInfo.processInfo.environment["ATTEST_TEST_POSTGRES_URL"].flatMap { try? PostgresURL($0) }
    }

    /// Whether PostgreSQL tests run: a server is configured, or it is required (then its absence fails).
    public static var enabled: Bool { adminURL != nil || TestEnvironment.integrationRequired }

    /// Why PostgreSQL tests are skipped in a bare `swift test`.
    public static let skipReason =
        "PostgreSQL tests need ATTEST_TEST_POSTGRES_URL (scripts/test starts a server with scripts/pg-cluster); under ATTEST_INTEGRATION=1 they fail instead"

    /// The runtime role's password in test databases (roles are shared by the whole cluster).
    public static let runtimePassword = "attest-test-runtime-password"

    static let logger: Logger = {
        var l = Logger(label: "attest.test.postgres")
        l.logLevel = .error
        return l
    }()

    /// Runs initializations one after another: roles and their passwords belong to the cluster,
    /// and PostgreSQL refuses concurrent changes to one role ("tuple concurrently updated").
    actor Initializer {
        var tail: Task<Void, Never>?
        func initialize(_ url: PostgresURL, prefix: String) async throws -> PostgresSetup.Report {
            let previous = tail
            let task = Task {
                await previous?.value
                return try await PostgresSetup.initialize(adminURL: url, runtimePassword: runtimePassword, originPrefix: prefix, logger: logger)
            }
            tail = Task { _ = try? await task.value }
            return try await task.value
        }
    }
    static let initializer = Initializer()

    /// `attest db init` on `url` (as `PostgresSetup.initialize`), after any other in this process.
    public static func initialize(_ url: PostgresURL, prefix: String = "attest.test") async throws -> PostgresSetup.Report {
        try await initializer.initialize(url, prefix: prefix)
    }

    /// A new empty database (no Attest schema); returns its superuser URL.
    public static func emptyDatabase() async throws -> PostgresURL {
        guard let admin = adminURL else {
            throw StoreError(.unavailable, "ATTEST_TEST_POSTGRES_URL is not set: " + skipReason)
        }
        let name = "attest_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await execute(admin, "CREATE DATABASE \(name)")
        return admin.with(database: String(name))
    }

    /// A new database with the Attest schema; returns its admin and runtime URLs.
    public static func newDatabase(prefix: String = "attest.test") async throws -> (admin: PostgresURL, runtime: PostgresURL) {
        let dbAdmin = try await emptyDatabase()
        let report = try await initializer.initialize(dbAdmin, prefix: prefix)
        return (dbAdmin, report.runtimeURL)
    }

    /// Runs statements (no parameters) on `url`, e.g. as the runtime role to prove what it may not do.
    public static func execute(_ url: PostgresURL, _ statements: String...) async throws {
        let list = statements
        try await PostgresSetup.withConnection(url, logger: logger) { conn in
            for s in list { try await conn.query(PostgresQuery(unsafeSQL: s), logger: logger) }
        }
    }

    /// Runs `setup` statements then one query returning a single bigint column, on one connection.
    public static func count(_ url: PostgresURL, setup: [String] = [], _ sql: String) async throws -> Int64 {
        try await PostgresSetup.withConnection(url, logger: logger) { conn in
            for s in setup { try await conn.query(PostgresQuery(unsafeSQL: s), logger: logger) }
            for try await n in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int64.self) { return n }
            return -1
        }
    }

    /// An open store on `url`, its pool running until the returned service is stopped.
    public static func openStore(
        _ url: PostgresURL,
        signers: any LogSigners,
        options: SQLiteLedgerStore.Options = .init()
    ) async throws -> (PostgresLedgerStore, PostgresPoolService) {
        let store = try PostgresLedgerStore(url: url, signers: signers, options: options, logger: logger, maxConnections: 8)
        let service = PostgresPoolService(store: store)
        service.start()
        do {
            try await store.open(wait: .seconds(5))
        } catch {
            service.stop()
            throw error
        }
        return (store, service)
    }
}
