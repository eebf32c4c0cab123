import AttestCore
import AttestHSM
import AttestIngest
import AttestPostgres
import AttestStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle

/// Everything `attest serve` runs, wired once: the store, the ingest pipeline, the services and
/// the API. Tests build the same thing and drive its router in-process.
public struct ServerComponents: Sendable {
    public let config: ServerConfig
    public let store: any AttestStorage
    /// What signs the checkpoints: the data directory's key, or the HSM's.
    public let signers: any LogSigners
    /// The PostgreSQL connection pool's service, when the ledger is on PostgreSQL.
    let databaseService: PostgresPoolService?
    public let sequencer: Sequencer
    let indexer: IndexerService
    let usageRecorder: UsageRecorder
    let recorder: DataAccessRecorder
    /// Submits checkpoints to witnesses (nil without witnesses).
    let witnessClient: WitnessClient?
    /// Continuous verification (nil when `verification.interval_seconds` is 0).
    let verifier: VerifierService?
    let api: AttestAPI
    let tls: TLSConfiguration?
    /// The admin token made on this first start (nil on later starts). Shown once.
    public let firstAdminToken: String?
    public let logger: Logger
    /// Names the parts still running while the server shuts down (``WatchedService``).
    public let shutdownWatch: ShutdownWatch

    /// Opens (or creates) the data directory and wires the service. On first start it creates the
    /// `default` tenant and a super_admin token, written to `DATA_DIR/admin-token` (mode 0600).
    public init(config: ServerConfig, logger: Logger = Logger(label: "attest")) async throws {
        try config.validate()
        self.config = config
        self.logger = logger
        self.shutdownWatch = ShutdownWatch(logger: logger)
        // Load TLS first: a bad certificate must not leave a half-created data directory behind.
        self.tls = try Self.loadTLS(config)
        let dir = DataDirectory(path: config.dataDir)
        let storeOptions = SQLiteLedgerStore.Options(
            signEntries: config.signEntries,
            originPrefix: config.originPrefix,
            proofTileCacheBytes: config.proofCacheMB << 20
        )
        // With an HSM, the one signing key is in the token; else it is DATA_DIR/signing-key.
        let hsmSigners: PKCS11LogSigners?
        if let hsm = try config.hsmConfig() {
            do { hsmSigners = PKCS11LogSigners(key: try PKCS11Key.open(hsm)) } catch { throw ConfigError(["hsm: \(error.reason)"]) }
        } else {
            hsmSigners = nil
        }
        let store: any AttestStorage
        let signers: any LogSigners
        if let database = config.database {
            let pg = try await Self.openPostgres(
                url: try PostgresURL(database),
                dir: dir,
                config: config,
                options: storeOptions,
                logger: logger,
                signers: hsmSigners
            )
            store = pg.store
            databaseService = pg.service
            signers = try hsmSigners ?? Ed25519LogSigners(key: dir.loadOrCreateKey(create: false))
        } else if let hsmSigners {
            try dir.createIfMissing()
            store = try SQLiteLedgerStore(path: dir.databasePath, signers: hsmSigners, options: storeOptions)
            databaseService = nil
            signers = hsmSigners
        } else {
            let (sqlite, key) = try dir.open(create: true, options: storeOptions)
            store = sqlite
            databaseService = nil
            signers = Ed25519LogSigners(key: key)
        }
        self.signers = signers
        self.store = store
        let mismatched = try await store.keyMismatches(signers: signers)
        if !mismatched.isEmpty {
            throw ConfigError(
                mismatched
                    + ["configure the key in effect (after attest keys rotate: the new DATA_DIR/signing-key, or the new hsm.key_label)"]
            )
        }
        let secret = try dir.loadOrCreateHMACSecret()
        var policy = RedactionPolicy.default
        policy.pointers = config.redactPointers.compactMap { JSONPointer($0) }
        policy.redactSecretShapes = config.redactSecretShapes
        let normalizer = IngestNormalizer(keys: TenantKeys(secret: secret), policy: policy)
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: registry)
        let indexer = IndexerService(reader: store, logger: logger, metrics: metrics)
        self.indexer = indexer
        let witnessClient =
            config.witnesses.isEmpty
            ? nil
            : WitnessClient(
                witnesses: config.parsedWitnesses.map { WitnessClient.Witness(url: $0.url, verifier: $0.verifier) },
                store: store,
                interval: .milliseconds(500),
                logger: logger
            )
        self.witnessClient = witnessClient
        let sequencer = Sequencer(
            store: store,
            options: .init(maxQueuedEvents: config.queueEvents, maxBatchEvents: config.batchEvents),
            logger: logger,
            metrics: metrics,
            onCommit: { committed in
                indexer.take(committed)
                witnessClient?.nudge(committed.tenant)
            },
            admit: { await indexer.admit() }
        )
        self.sequencer = sequencer
        let recorder = DataAccessRecorder(sequencer: sequencer, logger: logger)
        self.recorder = recorder
        let usage = UsageRecorder(store: store, logger: logger)
        self.usageRecorder = usage
        let verifier =
            config.verifyIntervalSeconds > 0
            ? VerifierService(
                store: store,
                keys: signers,
                sequencer: sequencer,
                interval: .seconds(config.verifyIntervalSeconds),
                fullInterval: .seconds(config.verifyFullIntervalSeconds),
                logger: logger,
                metrics: metrics
            ) : nil
        self.verifier = verifier
        self.api = AttestAPI(
            config: config,
            store: store,
            normalizer: normalizer,
            sequencer: sequencer,
            indexer: indexer,
            recorder: recorder,
            usageRecorder: usage,
            verifier: verifier,
            registry: registry,
            risk: try config.riskClassifier(),
            openAPIDocument: Array(OpenAPIDocument.yaml.utf8)
        )

        _ = try await store.log(tenant: "default", create: true)
        if try await store.tokens(tenant: "default").isEmpty && !FileManager.default.fileExists(atPath: dir.adminTokenPath) {
            let secret = Tokens.generate()
            try await store.createToken(
                TokenRecord(tenant: "default", name: "admin", role: .superAdmin, subject: nil, createdAt: .now()),
                secretHash: Tokens.hash(secret)
            )
            try DataDirectory.writeSecret(secret + "\n", to: dir.adminTokenPath)
            firstAdminToken = secret
        } else {
            firstAdminToken = nil
        }
    }

    /// Opens the PostgreSQL store with the data directory's signing key. Every node of one database
    /// must sign with the same key: a missing key is made only while the database has no logs yet.
    /// `allowNewKey` false (read-only commands): a missing key is an error whatever the database holds.
    public static func openPostgres(
        url: PostgresURL,
        dir: DataDirectory,
        config: ServerConfig,
        options: SQLiteLedgerStore.Options,
        logger: Logger,
        allowNewKey: Bool = true,
        signers hsm: (any LogSigners)? = nil
    ) async throws -> (store: PostgresLedgerStore, service: PostgresPoolService) {
        if let hsm {
            try dir.createIfMissing()
            let store = try PostgresLedgerStore(url: url, signers: hsm, options: options, logger: logger, maxConnections: config.databaseConnections)
            let service = PostgresPoolService(store: store)
            service.start()
            do { try await store.open() } catch {
                service.stop()
                throw error
            }
            return (store, service)
        }
        if !allowNewKey && !FileManager.default.fileExists(atPath: dir.signingKeyPath) {
            throw StoreError(.notFound, "no signing key at \(dir.signingKeyPath)")
        }
        do {
            try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(.unavailable, "cannot create data directory \(dir.path): \(error.localizedDescription)")
        }
        let keyExists = FileManager.default.fileExists(atPath: dir.signingKeyPath)
        // A throwaway key lets the store open and tell whether the database is still empty.
        let key = keyExists ? try dir.loadOrCreateKey(create: false) : try Ed25519NoteSigner.generate(name: "probe")
        let store = try PostgresLedgerStore(
            url: url,
            signers: Ed25519LogSigners(key: key),
            options: options,
            logger: logger,
            maxConnections: config.databaseConnections
        )
        let service = PostgresPoolService(store: store)
        service.start()
        do {
            try await store.open()
            if !keyExists {
                guard try await store.logs().isEmpty else {
                    throw StoreError(
                        .notFound,
                        "no signing key at \(dir.signingKeyPath), and database \(url) already holds logs: every node must sign with the same key; copy the data directory written by `attest db init --data-dir`"
                    )
                }
                service.stop()
                _ = try dir.loadOrCreateKey(create: true)
                logger.notice("made a new signing key for an empty database", metadata: ["path": "\(dir.signingKeyPath)"])
                return try await openPostgres(url: url, dir: dir, config: config, options: options, logger: logger)
            }
        } catch {
            service.stop()
            throw error
        }
        return (store, service)
    }

    /// The TLS configuration (TLS 1.2 minimum), or nil for plain HTTP; names the file at fault.
    static func loadTLS(_ config: ServerConfig) throws(ConfigError) -> TLSConfiguration? {
        guard let certPath = config.tlsCert, let keyPath = config.tlsKey else { return nil }
        var problems: [String] = []
        var chain: [NIOSSLCertificate] = []
        var key: NIOSSLPrivateKey?
        if !FileManager.default.isReadableFile(atPath: certPath) {
            problems.append("tls.cert \(certPath): no such readable file")
        } else if let c = try? NIOSSLCertificate.fromPEMFile(certPath), !c.isEmpty {
            chain = c
        } else {
            problems.append("tls.cert \(certPath): not a PEM certificate chain")
        }
        if !FileManager.default.isReadableFile(atPath: keyPath) {
            problems.append("tls.key \(keyPath): no such readable file")
        } else if let k = try? NIOSSLPrivateKey(file: keyPath, format: .pem) {
            key = k
        } else {
            problems.append("tls.key \(keyPath): not a PEM private key (encrypted keys are not supported)")
        }
        guard problems.isEmpty, let key else { throw ConfigError(problems) }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// The router with every route.
    public func buildRouter() -> Router<AttestRequestContext> {
        let router = Router(context: AttestRequestContext.self)
        api.register(on: router)
        return router
    }

    /// The background services, in start order (shut down in reverse: the server first), each
    /// watched by ``shutdownWatch``.
    public var services: [any Service] {
        // The database pool starts first and stops last, after the sequencer has committed.
        let named: [(String, (any Service)?)] = [
            ("database pool", databaseService), ("sequencer", sequencer), ("indexer", indexer), ("data-access recorder", recorder),
            ("usage recorder", usageRecorder), ("verifier", verifier), ("witness client", witnessClient),
        ]
        return named.compactMap { name, service in service.map { WatchedService(name, $0, watch: shutdownWatch) } }
    }

    /// The whole application: HTTP (or HTTPS) on the configured address, plus the services.
    public func buildApplication(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let server: HTTPServerBuilder
        if let cert = config.tlsCert, let key = config.tlsKey {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
            tls.minimumTLSVersion = .tlsv12
            server = try .tls(.http1(), tlsConfiguration: tls)
        } else {
            server = .http1()
        }
        // The optional OTLP listener is one more service of the main application: same process,
        // same TLS, only the OTLP/HTTP routes.
        var services = self.services
        if let otlpPort = config.otlpPort {
            let router = Router(context: AttestRequestContext.self)
            api.registerOTLP(
                on: router.group("v1").add(middleware: OTLPStatusMiddleware()).add(
                    middleware: BearerAuthMiddleware(admin: store, cache: api.tokenCache)
                )
            )
            let otlp = Application(
                router: router,
                server: server,
                configuration: .init(address: .hostname(config.host, port: otlpPort), serverName: "attest"),
                logger: logger
            )
            services.append(WatchedService("OTLP listener", otlp, watch: shutdownWatch))
        }
        return Application(
            router: buildRouter(),
            server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "attest"),
            services: services,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}
