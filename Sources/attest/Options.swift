import ArgumentParser
import AttestCore
import AttestPostgres
import AttestServer
import AttestStore
import Foundation
import Logging

/// Options every command that opens a data directory shares.
struct DataDirOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "The data directory (ledger.sqlite and signing-key; or attest.yaml naming a PostgreSQL ledger). Env: ATTEST_DATA_DIR."
    )
    var dataDir: String = ProcessInfo.processInfo.environment["ATTEST_DATA_DIR"] ?? "./attest-data"

    @Option(name: .long, help: "The tenant whose log to use.")
    var tenant: String = "default"

    /// Opens the data directory's ledger: SQLite in the directory, or PostgreSQL when
    /// `DIR/attest.yaml` (written by `attest db init`) or `ATTEST_DATABASE` names a database.
    /// A missing directory is an error unless `create`.
    func open(create: Bool, options: SQLiteLedgerStore.Options = .init()) async throws -> (any AttestStorage, Ed25519NoteSigner) {
        guard SQLiteLedgerStore.isValidTenant(tenant) else {
            throw CLIError.usage("tenant \"\(tenant)\" is not valid: 1-63 of a-z 0-9 _ -, starting with a letter or digit")
        }
        return try await Self.open(DataDirectory(path: dataDir), create: create, options: options)
    }

    static func open(_ dir: DataDirectory, create: Bool, options: SQLiteLedgerStore.Options = .init()) async throws -> (
        any AttestStorage, Ed25519NoteSigner
    ) {
        do {
            if let database = try Self.database(dir) {
                var logger = Logger(label: "attest")
                logger.logLevel = .error
                var config = ServerConfig()
                config.dataDir = dir.path
                let (store, _) = try await ServerComponents.openPostgres(
                    url: try PostgresURL(database),
                    dir: dir,
                    config: config,
                    options: options,
                    logger: logger,
                    allowNewKey: create
                )
                return (store, try dir.loadOrCreateKey(create: false))
            }
            return try dir.open(create: create, options: options)
        } catch let e as StoreError {
            throw CLIError.usage(e.reason)
        }
    }

    /// The PostgreSQL URL for `dir`: `ATTEST_DATABASE`, else `database:` in `DIR/attest.yaml`.
    static func database(_ dir: DataDirectory) throws -> String? {
        if let env = ProcessInfo.processInfo.environment["ATTEST_DATABASE"] { return env }
        let path = dir.path + "/attest.yaml"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var config = ServerConfig()
        do { try config.apply(yaml: text, source: path) } catch { throw CLIError.usage("\(error)") }
        return config.database
    }
}

/// Writes progress to stderr when it is a terminal; silent otherwise.
struct Progress {
    let enabled = isatty(2) == 1
    let label: String
    private var lastDraw = Timestamp(microseconds: 0)

    init(_ label: String) { self.label = label }

    mutating func update(_ done: UInt64, of total: UInt64) {
        guard enabled else { return }
        let now = Timestamp.now()
        guard now.microseconds - lastDraw.microseconds > 100_000 || done == total else { return }
        lastDraw = now
        let pct = total == 0 ? 100 : Int(Double(done) / Double(total) * 100)
        FileHandle.standardError.write(Data("\r\(label): \(done)/\(total) (\(pct)%)\u{1B}[K".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Standard error as a text stream.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Reads a whole file or standard input (`-`).
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" {
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError.usage("cannot read \(path)")
    }
    return Array(data)
}
