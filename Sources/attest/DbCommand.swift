import ArgumentParser
import AttestCore
import AttestPostgres
import AttestServer
import AttestStore
import Foundation
import Logging

struct DbCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Set up the PostgreSQL ledger (see docs/POSTGRES.md).",
        subcommands: [DbInitCommand.self]
    )
}

struct DbInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create or upgrade Attest's PostgreSQL schema, roles and grants; optionally write a node's data directory.",
        discussion: """
            Connects with --admin-url (a role that may create roles and schemas, e.g. a superuser) and:
            creates the owner role (NOLOGIN, owns schema `attest`) and the runtime role (LOGIN, may only
            SELECT and INSERT on ledger tables), applies the versioned migrations that are missing,
            grants, and makes the monthly partitions for this month and the next two. Safe to run again.

            With --data-dir DIR it also writes what every node needs: DIR/attest.yaml (the runtime
            connection, mode 0600, so `attest serve --data-dir DIR` needs no other flag), the signing key,
            the HMAC secret and, if the database has no token yet, the first admin token (DIR/admin-token).
            A copy of DIR is all another node needs.
            """
    )

    @Option(name: .long, help: "Administrator connection URL (postgres://USER:PASSWORD@HOST:PORT/DB). Env: ATTEST_DB_ADMIN_URL.")
    var adminURL: String?
    @Option(name: .long, help: "The data directory to write for the nodes.")
    var dataDir: String?
    @Option(name: .long, help: "The role that owns the schema (NOLOGIN).")
    var ownerRole = "attest_owner"
    @Option(name: .long, help: "The role attest serve connects as.")
    var runtimeRole = "attest_runtime"
    @Option(name: .long, help: "Origin prefix for a new database (logs are PREFIX/TENANT).")
    var originPrefix: String?
    @Flag(name: .long, help: "Give the existing runtime role a new password (every node's attest.yaml must then be updated).")
    var resetRuntimePassword = false

    func run() async throws {
        guard let text = adminURL ?? ProcessInfo.processInfo.environment["ATTEST_DB_ADMIN_URL"] else {
            throw CLIError.usage("db init needs --admin-url or ATTEST_DB_ADMIN_URL")
        }
        let admin: PostgresURL
        do { admin = try PostgresURL(text) } catch let e as StoreError { throw CLIError.usage(e.reason) }
        var logger = Logger(label: "attest.db")
        logger.logLevel = .error
        let dir = dataDir.map { DataDirectory(path: $0) }
        let yamlPath = dir.map { $0.path + "/attest.yaml" }
        // Keep an existing node configuration's password, so other nodes keep working.
        var password: String?
        if let yamlPath, FileManager.default.fileExists(atPath: yamlPath) {
            var existing = ServerConfig()
            let yaml = (try? String(contentsOfFile: yamlPath, encoding: .utf8)) ?? ""
            do { try existing.apply(yaml: yaml, source: yamlPath) } catch { throw CLIError.usage("\(error)") }
            if let db = existing.database, let u = try? PostgresURL(db), u.user == runtimeRole { password = u.password }
        }
        let report: PostgresSetup.Report
        do {
            report = try await PostgresSetup.initialize(
                adminURL: admin,
                ownerRole: ownerRole,
                runtimeRole: runtimeRole,
                runtimePassword: password,
                resetRuntimePassword: resetRuntimePassword,
                originPrefix: originPrefix,
                logger: logger
            )
        } catch let e as StoreError {
            throw CLIError.usage("db init on \(admin): \(e.reason)")
        }
        print(
            report.applied.isEmpty
                ? "schema attest is current (version \(PostgresLedgerStore.schemaVersion))"
                : "applied migration(s) \(report.applied.map(String.init).joined(separator: ", ")) to \(admin)"
        )
        print("origin prefix: \(report.originPrefix)")
        let roleState =
            report.createdRuntimeRole
            ? "created" : password != nil ? "unchanged (password from \(yamlPath!))" : report.setPassword ? "password reset" : "unchanged"
        print("runtime role \(runtimeRole): \(roleState)")
        if !report.createdRuntimeRole && password == nil && report.setPassword {
            printError("note: the runtime role's password was reset; every node's attest.yaml must get the new one")
        }
        guard let dir, let yamlPath else { return }
        guard report.runtimeURL.password != nil else {
            throw CLIError.usage(
                """
                role \(runtimeRole) already exists and its password was left alone (running nodes use it), so \(dir.path) cannot be \
                written: to add a node, copy an existing node's data directory; or run again with --reset-runtime-password and update \
                every node's attest.yaml
                """
            )
        }
        try await writeDataDirectory(dir, yamlPath: yamlPath, report: report, hadPassword: password != nil, logger: logger)
    }

    func writeDataDirectory(
        _ dir: DataDirectory,
        yamlPath: String,
        report: PostgresSetup.Report,
        hadPassword: Bool,
        logger: Logger
    ) async throws {
        do {
            try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError.usage("cannot create \(dir.path): \(error.localizedDescription)")
        }
        var config = ServerConfig()
        config.dataDir = dir.path
        config.database = report.runtimeURL.secretString
        let components: ServerComponents
        do {
            components = try await ServerComponents(config: config, logger: logger)
        } catch let e as StoreError {
            throw CLIError.usage(e.reason)
        }
        _ = try dir.loadOrCreateHMACSecret()
        // Written last: a directory without attest.yaml is not a node yet, so a failure above
        // leaves nothing that could start against the database half-configured.
        if !hadPassword {
            let yaml = """
                # Written by `attest db init`: this node's ledger is on PostgreSQL, reached as the runtime role.
                # Contains a password: keep this file mode 0600. Copy the whole directory to add a node.
                database: "\(report.runtimeURL.secretString)"

                """
            try? FileManager.default.removeItem(atPath: yamlPath + ".tmp")
            try DataDirectory.writeSecret(yaml, to: yamlPath + ".tmp")
            guard rename(yamlPath + ".tmp", yamlPath) == 0 else { throw CLIError.usage("cannot write \(yamlPath)") }
            print("wrote \(yamlPath)")
        }
        print("signing key: \(dir.signingKeyPath)")
        print("verifier key of the default log: \(try await components.store.verifierKey(tenant: "default"))")
        if components.firstAdminToken != nil {
            print("wrote the first admin token (super_admin) to \(dir.adminTokenPath) (mode 0600)")
        } else if !FileManager.default.fileExists(atPath: dir.adminTokenPath) {
            print("the database already has tokens: no admin token written (use the existing one)")
        }
        print("start a node with: attest serve --data-dir \(dir.path)")
    }
}
