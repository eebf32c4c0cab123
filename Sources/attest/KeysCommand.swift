import ArgumentParser
import AttestCore
import AttestHSM
import AttestPostgres
import AttestServer
import AttestStore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Signing keys: rotate them, make one in an HSM (PKCS#11), and measure signing speed.",
        subcommands: [RotateCommand.self, HSMInitCommand.self, SigningBenchCommand.self]
    )
}

/// The PKCS#11 options shared by the keys commands; the PIN comes from ATTEST_HSM_PIN or a file.
struct HSMOptions: ParsableArguments {
    @Option(name: .long, help: "The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. Env: ATTEST_HSM_MODULE.")
    var module: String?
    @Option(name: .long, help: "The token label. Env: ATTEST_HSM_TOKEN_LABEL.")
    var tokenLabel: String?
    @Option(name: .long, help: "The key label inside the token. Env: ATTEST_HSM_KEY_LABEL.")
    var keyLabel: String?
    @Option(name: .long, help: "A file holding the user PIN (else ATTEST_HSM_PIN). Env: ATTEST_HSM_PIN_FILE.")
    var pinFile: String?
    @Option(name: .long, help: "ed25519 or ecdsa-p256 (default: Ed25519 when the token supports it). Env: ATTEST_HSM_ALGORITHM.")
    var algorithm: String?

    func config() throws -> PKCS11Key.Config? {
        var c = ServerConfig()
        do {
            try c.apply(environment: ProcessInfo.processInfo.environment)
            if let module { c.hsmModule = module }
            if let tokenLabel { c.hsmTokenLabel = tokenLabel }
            if let keyLabel { c.hsmKeyLabel = keyLabel }
            if let pinFile { c.hsmPinFile = pinFile }
            if let algorithm { c.hsmAlgorithm = algorithm }
            if c.hsmModule != nil && c.hsmTokenLabel == nil { throw ConfigError(["--token-label is needed with --module"]) }
            return try c.hsmConfig()
        } catch let e as ConfigError {
            throw CLIError.usage(e.problems.joined(separator: "; "))
        }
    }
}

struct HSMInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hsm-init",
        abstract: "Generate the signing key inside a PKCS#11 token (never extractable): Ed25519, or ECDSA P-256 without EdDSA.",
        discussion: """
            Then run attest serve with the same hsm settings (hsm.module, hsm.token_label, hsm.key_label, and
            ATTEST_HSM_PIN or hsm.pin_file): checkpoints are signed inside the token and DATA_DIR/signing-key
            is not used. Refuses to make a second key with the same label.
            """
    )

    @OptionGroup var hsm: HSMOptions
    @Option(name: .long, help: "Also print the verifier key for this log origin (PREFIX/TENANT).")
    var origin: String?

    func run() async throws {
        guard let config = try hsm.config() else {
            throw CLIError.usage("give --module and --token-label (or ATTEST_HSM_MODULE and ATTEST_HSM_TOKEN_LABEL)")
        }
        let key: PKCS11Key
        do { key = try PKCS11Key.open(config, create: true) } catch { throw CLIError.usage(error.reason) }
        guard key.extractable == false else {
            throw CLIError.usage("the token reports the new private key as extractable; refusing to use it")
        }
        let kind = key.algorithm == .ed25519 ? "Ed25519" : "ECDSA P-256"
        print("made \(kind) key \"\(config.keyLabel)\" in token \"\(config.tokenLabel)\" (sensitive, not extractable)")
        print("public key: \(Data(key.publicKey).base64EncodedString())")
        if let origin {
            do { print("verifier key of \(origin): \(try PKCS11NoteSigner(name: origin, key: key).verifierKey)") } catch {
                throw CLIError.usage("--origin \(origin): \(error.reason)")
            }
        }
    }
}

struct SigningBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure checkpoint signing and verification: software Ed25519, and the HSM when configured."
    )

    @OptionGroup var hsm: HSMOptions
    @Option(name: .long, help: "Signatures per measurement.")
    var count = 2000

    func measure(_ label: String, _ signer: any NoteSigner, _ verifier: any NoteVerifier) throws {
        let body = Array("bench.example/default\n123456\n\(Hash256.zero.base64)\n".utf8)
        var sigs: [[UInt8]] = []
        sigs.reserveCapacity(count)
        let t0 = ContinuousClock.now
        for _ in 0..<count { sigs.append(try signer.sign(body)) }
        let signing = ContinuousClock.now - t0
        let t1 = ContinuousClock.now
        for s in sigs where !verifier.verify(body, signature: s) { throw CLIError.usage("\(label): a signature did not verify") }
        let verifying = ContinuousClock.now - t1
        func rate(_ d: Duration) -> Int { Int(Double(count) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)) }
        print("BENCH signing backend=\(label) count=\(count) sign_per_s=\(rate(signing)) verify_per_s=\(rate(verifying))")
    }

    func run() async throws {
        let software = try Ed25519NoteSigner.generate(name: "bench.example/default")
        try measure("software-ed25519", software, software.verifier)
        let ecdsa = try P256NoteSigner(name: "bench.example/default")
        try measure("software-ecdsa-p256", ecdsa, ecdsa.verifier)
        if let config = try hsm.config() {
            let key: PKCS11Key
            do { key = try PKCS11Key.open(config) } catch { throw CLIError.usage(error.reason) }
            let signer = try PKCS11NoteSigner(name: "bench.example/default", key: key)
            try measure("pkcs11:\(config.tokenLabel):\(key.algorithm.rawValue)", signer, signer.verifier)
        }
    }
}

struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace the signing key of every log: each log records the rotation, signed by both keys.",
        discussion: """
            For every log in the data directory, appends a ledger.key_rotation entry that names the old and the
            new verifier key and carries both keys' signatures, and a checkpoint signed by both keys. From then on
            the new key signs; verifiers holding any key of the history follow it (docs/FORMAT.md, Key rotation).

            Software key (the default): a new Ed25519 key is written to DATA_DIR/signing-key.next first; once every
            log is rotated, DATA_DIR/signing-key is kept as signing-key.retired-<key ID> and the new key takes its
            place. HSM: give the hsm options of the current key and --new-key-label of a key made with
            attest keys hsm-init; then set hsm.key_label to it.

            Safe to run again after an interruption: logs already rotated to the new key are skipped. Processes
            still signing with the old key cannot extend a rotated log (their appends fail) until they are
            restarted with the new key; with PostgreSQL, restart every node.
            """
    )

    @Option(
        name: .long,
        help: "The data directory (ledger.sqlite and signing-key; or attest.yaml naming a PostgreSQL ledger). Env: ATTEST_DATA_DIR."
    )
    var dataDir: String = ProcessInfo.processInfo.environment["ATTEST_DATA_DIR"] ?? "./attest-data"

    @OptionGroup var hsm: HSMOptions

    @Option(name: .long, help: "With an HSM: the label of the new key (made with attest keys hsm-init).")
    var newKeyLabel: String?

    @Flag(name: .long, help: "Give the rotation entry a per-entry signature (when attest serve runs with sign_entries).")
    var signEntries = false

    func run() async throws {
        let dir = DataDirectory(path: dataDir)
        guard FileManager.default.fileExists(atPath: dir.path) else { throw CLIError.usage("no data directory at \(dir.path)") }
        let hsmConfig = try hsm.config()
        if hsmConfig == nil && newKeyLabel != nil { throw CLIError.usage("--new-key-label goes with the hsm options (--module, --token-label)") }
        let store: any AttestStorage
        let newSigners: any LogSigners
        let oldDescription: String
        var software: (old: Ed25519NoteSigner, new: Ed25519NoteSigner)?
        let nextPath = dir.path + "/signing-key.next"
        if let hsmConfig {
            guard let newKeyLabel else { throw CLIError.usage("with an HSM, give --new-key-label (a key made with attest keys hsm-init)") }
            var newConfig = hsmConfig
            newConfig.keyLabel = newKeyLabel
            let old: PKCS11Key
            let new: PKCS11Key
            do {
                old = try PKCS11Key.open(hsmConfig)
                new = try PKCS11Key.open(newConfig)
            } catch { throw CLIError.usage(error.reason) }
            store = try await Self.open(dir, signers: PKCS11LogSigners(key: old), signEntries: signEntries)
            newSigners = PKCS11LogSigners(key: new)
            oldDescription = "HSM key \(hsmConfig.keyLabel)"
        } else {
            let (opened, old) = try await DataDirOptions.open(dir, create: false, options: .init(signEntries: signEntries))
            store = opened
            let new: Ed25519NoteSigner
            if FileManager.default.fileExists(atPath: nextPath) {
                // An earlier run was interrupted: finish rotating to the key it made.
                do { new = try Ed25519NoteSigner(privateKey: try String(contentsOfFile: nextPath, encoding: .utf8)) } catch {
                    throw CLIError.usage("\(nextPath) is not a signing key: \(error)")
                }
                printError("resuming the rotation to the key in \(nextPath)")
            } else {
                new = try Ed25519NoteSigner.generate(name: "attest-installation-key")
                do { try DataDirectory.writeSecret(new.privateKeyString + "\n", to: nextPath) } catch {
                    throw CLIError.usage("cannot write \(nextPath): \(error)")
                }
            }
            software = (old, new)
            newSigners = Ed25519LogSigners(key: new)
            oldDescription = dir.signingKeyPath
        }
        let logs = try await store.logs()
        var rotated = 0
        for log in logs {
            let newSigner = try newSigners.signer(forOrigin: log.origin)
            if try await store.keyHistory(tenant: log.tenant).last?.verifierKey == newSigner.verifierKey {
                print("\(log.tenant): already signed by \(newSigner.verifierKey)")
                continue
            }
            let result: KeyRotationResult
            do {
                result = try await store.rotateKey(tenant: log.tenant, to: newSigner, receivedAt: .now())
            } catch let e as StoreError {
                throw CLIError(message: "\(log.tenant): \(e.reason) (run again to finish; logs done so far stay rotated)", exitCode: 1)
            }
            rotated += 1
            print("\(log.tenant): rotated at seq \(result.rotation.seq): \(result.rotation.oldKey) -> \(result.rotation.newKey)")
        }
        if let software {
            // Only now does the new key replace the old one on disk: an interrupted run leaves the old
            // key in place and the new one in signing-key.next, and running again finishes the job.
            let retired = dir.path + "/signing-key.retired-" + NoteKeyName.hex8(software.old.keyID)
            guard rename(dir.signingKeyPath, retired) == 0 else {
                throw CLIError(message: "cannot move \(dir.signingKeyPath) to \(retired): \(String(cString: strerror(errno)))", exitCode: 1)
            }
            guard rename(nextPath, dir.signingKeyPath) == 0 else {
                throw CLIError(message: "cannot move \(nextPath) to \(dir.signingKeyPath): \(String(cString: strerror(errno)))", exitCode: 1)
            }
            let fd = Glibc.open(dir.path, O_RDONLY)
            if fd >= 0 {
                _ = fsync(fd)
                close(fd)
            }
            print("the new key is in \(dir.signingKeyPath); the old one was kept as \(retired)")
        } else {
            print("now set hsm.key_label (or ATTEST_HSM_KEY_LABEL) to \(newKeyLabel!) and restart; the old key \(oldDescription) is no longer used")
        }
        print("rotated \(rotated) of \(logs.count) log(s); restart attest serve (every node) so it signs with the new key")
    }

    /// Opens the data directory's ledger with HSM signers.
    static func open(_ dir: DataDirectory, signers: any LogSigners, signEntries: Bool) async throws -> any AttestStorage {
        do {
            if let database = try DataDirOptions.database(dir) {
                var logger = Logger(label: "attest")
                logger.logLevel = .error
                var config = ServerConfig()
                config.dataDir = dir.path
                let (store, _) = try await ServerComponents.openPostgres(
                    url: try PostgresURL(database),
                    dir: dir,
                    config: config,
                    options: .init(signEntries: signEntries),
                    logger: logger,
                    allowNewKey: false,
                    signers: signers
                )
                return store
            }
            return try SQLiteLedgerStore(path: dir.databasePath, signers: signers, options: .init(signEntries: signEntries))
        } catch let e as StoreError {
            throw CLIError.usage(e.reason)
        }
    }
}
