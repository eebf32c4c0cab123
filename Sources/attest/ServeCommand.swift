import ArgumentParser
import AttestPostgres
import AttestServer
import AttestStore
import CAttestSystem
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the ingest and query service (HTTP API under /v1).",
        discussion: """
            With no configuration: SQLite under ./attest-data, HTTP on 127.0.0.1:8080, a signing key and
            an HMAC secret made on first start, and on first start a super_admin token printed once and
            written to DATA_DIR/admin-token (mode 0600). Settings come from defaults, then --config FILE
            (YAML), then ATTEST_* environment variables, then these flags (see docs/OPERATIONS.md).
            SIGTERM or SIGINT stops it gracefully: queued batches are committed first.
            With --database postgres://… (or `database:` in DATA_DIR/attest.yaml, as written by
            `attest db init --data-dir`) the ledger is in PostgreSQL and several nodes can share it.
            """
    )

    @Option(name: .long, help: "A YAML configuration file.")
    var config: String?
    @Option(name: .long, help: "The data directory (default ./attest-data).")
    var dataDir: String?
    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?
    @Option(name: .long, help: "Port to listen on (default 8080).")
    var port: Int?
    @Option(name: .long, help: "Also serve the OTLP/HTTP paths (/v1/logs, /v1/traces, /v1/metrics) on this port, e.g. 4318.")
    var otlpPort: Int?
    @Option(name: .long, help: "PEM certificate chain: serve HTTPS (TLS 1.2 or newer).")
    var tlsCert: String?
    @Option(name: .long, help: "PEM private key for --tls-cert.")
    var tlsKey: String?
    @Option(name: .long, help: "Origin prefix for a new data directory (logs are PREFIX/TENANT).")
    var originPrefix: String?
    @Flag(name: .long, help: "Also sign every entry hash (per-entry signatures).")
    var signEntries = false
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Option(name: .long, help: "postgres://USER:PASSWORD@HOST:PORT/DB: keep the ledger in PostgreSQL (docs/POSTGRES.md).")
    var database: String?
    @Option(name: .long, help: "URL=VKEY of a C2SP tlog-witness to submit every new checkpoint to. Repeatable.")
    var witness: [String] = []

    /// Settings, lowest first: defaults, DATA_DIR/attest.yaml (written by `attest db init`), --config,
    /// ATTEST_* variables, flags.
    func resolvedConfig() throws -> ServerConfig {
        let first = try resolvedConfig(dataDirYAML: nil)
        let path = DataDirectory(path: first.dataDir).path + "/attest.yaml"
        guard FileManager.default.fileExists(atPath: path), path != config else { return first }
        return try resolvedConfig(dataDirYAML: path)
    }

    func resolvedConfig(dataDirYAML: String?) throws -> ServerConfig {
        var c = ServerConfig()
        do {
            if let path = dataDirYAML {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError.usage("cannot read \(path)") }
                try c.apply(yaml: text, source: path)
            }
            if let path = config {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError.usage("cannot read \(path)") }
                try c.apply(yaml: text, source: path)
            }
            try c.apply(environment: ProcessInfo.processInfo.environment)
            if let v = dataDir { c.dataDir = v }
            if let v = host { c.host = v }
            if let v = port { c.port = v }
            if let v = otlpPort { c.otlpPort = v }
            if let v = tlsCert { c.tlsCert = v }
            if let v = tlsKey { c.tlsKey = v }
            if let v = originPrefix { c.originPrefix = v }
            if signEntries { c.signEntries = true }
            if let v = logLevel { c.logLevel = v }
            if let v = database { c.database = v }
            if !witness.isEmpty { c.witnesses = witness }
            try c.validate()
        } catch let e as ConfigError {
            throw CLIError.usage("configuration:\n  " + e.problems.joined(separator: "\n  "))
        }
        return c
    }

    func run() async throws {
        // glibc gives each thread that meets a locked arena a new one, up to 8 per core, and memory
        // freed in one arena is not reused by another: under sustained ingest the server's RSS grew
        // ~40% more with the default than with one arena per core (docs/PERFORMANCE.md). The
        // MALLOC_ARENA_MAX environment variable still wins.
        _ = attest_limit_malloc_arenas(Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        let config = try resolvedConfig()
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { label in DeferredMetadataLogHandler.standardError(label: label, level: level) }
        let logger = Logger(label: "attest")
        let components: ServerComponents
        do {
            components = try await ServerComponents(config: config, logger: logger)
        } catch let e as ConfigError {
            throw CLIError.usage("configuration:\n  " + e.problems.joined(separator: "\n  "))
        }
        if let token = components.firstAdminToken {
            let text = "First start: the super_admin token (shown once; also in \(config.dataDir)/admin-token, mode 0600):\n\(token)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let scheme = config.tlsCert == nil ? "http" : "https"
        let app = try components.buildApplication { _ in
            let storage = config.database.map { "ledger in PostgreSQL \((try? PostgresURL($0).description) ?? "?")" } ?? "data in \(config.dataDir)"
            logger.info("attest listening on \(scheme)://\(config.host):\(config.port) (\(storage))")
            if let otlp = config.otlpPort { logger.info("attest OTLP/HTTP listening on \(scheme)://\(config.host):\(otlp)") }
        }
        // As Hummingbird's `runService()`, with bounds: SIGTERM or SIGINT first lets every part
        // finish (the HTTP server, then the background services, the sequencer committing what is
        // queued, the database pool last); a part still running after `shutdownGrace` is
        // cancelled, and if cancellation is not done `shutdownCancel` later the process stops
        // (ServiceLifecycle's fatal error) instead of hanging. Acknowledged events are durable
        // before their answer, so a cut-short shutdown loses none (OPERATIONS.md).
        // The application as a whole is watched too: its shutdown starts with the HTTP server, so
        // the watch reports from the signal on (a hung shutdown names what it waits for).
        let watched = WatchedService("application", app, watch: components.shutdownWatch)
        var group = ServiceGroupConfiguration(services: [watched], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = Self.shutdownGrace
        group.maximumCancellationDuration = Self.shutdownCancel
        try await ServiceGroup(configuration: group).run()
    }

    static let shutdownGrace: Duration = .seconds(60)
    static let shutdownCancel: Duration = .seconds(15)
}
