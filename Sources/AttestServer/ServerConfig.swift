import AttestCore
import AttestHSM
import AttestIngest
import AttestPostgres
import AttestStore
import Foundation
import Yams

/// Every setting of `attest serve`, in one value. Sources, later ones winning: defaults, the YAML
/// file (`--config`), `ATTEST_*` environment variables, command-line flags. Documented in
/// docs/OPERATIONS.md.
public struct ServerConfig: Sendable, Hashable {
    /// `data_dir` / `ATTEST_DATA_DIR` / `--data-dir`.
    public var dataDir = "./attest-data"
    /// `host` / `ATTEST_HOST` / `--host`. Loopback by default: expose it on purpose.
    public var host = "127.0.0.1"
    /// `port` / `ATTEST_PORT` / `--port`.
    public var port = 8080
    /// `otlp_port` / `ATTEST_OTLP_PORT` / `--otlp-port`: a second listener (same host and TLS) that
    /// serves only the OTLP/HTTP paths, for exporters that assume port 4318. Unset: none.
    public var otlpPort: Int?
    /// `risk.defaults` / `ATTEST_RISK_DEFAULTS`: use the built-in command risk rules (docs/OTLP.md).
    public var riskDefaults = true
    /// `risk.rules`: extra risk rules (`id`, `level`, `pattern`, `reason`); a rule with a built-in
    /// rule's id replaces it.
    public var riskRules: [CommandRiskRule] = []
    /// `tls.cert` / `ATTEST_TLS_CERT` / `--tls-cert`: PEM certificate chain.
    public var tlsCert: String?
    /// `tls.key` / `ATTEST_TLS_KEY` / `--tls-key`: PEM private key.
    public var tlsKey: String?
    /// `limits.max_body_bytes` / `ATTEST_MAX_BODY_BYTES`: request bodies after decompression.
    public var maxBodyBytes = 20 * 1024 * 1024
    /// `limits.queue_events` / `ATTEST_QUEUE_EVENTS`: events waiting for commit before 503.
    public var queueEvents = 50_000
    /// `limits.batch_events` / `ATTEST_BATCH_EVENTS`: events per transaction at most.
    public var batchEvents = 2_000
    /// `limits.proof_cache_mb` / `ATTEST_PROOF_CACHE_MB`: memory for level-4 proof tiles kept once
    /// read (SQLite; about 1 KB per 256 entries); 0 turns the cache off.
    public var proofCacheMB = 64
    /// `signing.per_entry` / `ATTEST_SIGN_ENTRIES`: also sign every entry.
    public var signEntries = false
    /// `origin_prefix` / `ATTEST_ORIGIN_PREFIX`: for a new data directory.
    public var originPrefix: String?
    /// `redaction.pointers` / `ATTEST_REDACT_POINTERS` (comma-separated): extra JSON pointers to HMAC.
    public var redactPointers: [String] = []
    /// `redaction.secret_shapes` / `ATTEST_REDACT_SECRET_SHAPES`: redact known secret shapes in text.
    public var redactSecretShapes = true
    /// `log_level` / `ATTEST_LOG_LEVEL`: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// `database` / `ATTEST_DATABASE` / `--database`: a `postgres://` URL selects PostgreSQL
    /// (docs/POSTGRES.md); unset, the ledger is SQLite in the data directory.
    public var database: String?
    /// `database_connections` / `ATTEST_DATABASE_CONNECTIONS`: PostgreSQL pool size per node.
    public var databaseConnections = 20
    /// `verification.interval_seconds` / `ATTEST_VERIFY_INTERVAL_SECONDS`: continuous verification
    /// of every log from its raw rows, every this many seconds; 0 turns it off.
    public var verifyIntervalSeconds = 30
    /// `verification.full_interval_seconds` / `ATTEST_VERIFY_FULL_INTERVAL_SECONDS`: every this many
    /// seconds a pass re-reads every log from entry 0 (else only new entries are checked).
    public var verifyFullIntervalSeconds = 3600
    /// `witnesses` / `ATTEST_WITNESSES` (comma-separated) / `--witness` (repeatable): `URL=VKEY` of
    /// C2SP tlog-witnesses that each new checkpoint is submitted to (VKEY: type 0x04).
    public var witnesses: [String] = []
    /// `hsm.module` / `ATTEST_HSM_MODULE`: a PKCS#11 module; when set, checkpoints are signed by an
    /// Ed25519 key inside the token (see `attest keys hsm-init`) instead of DATA_DIR/signing-key.
    public var hsmModule: String?
    /// `hsm.token_label` / `ATTEST_HSM_TOKEN_LABEL`.
    public var hsmTokenLabel: String?
    /// `hsm.key_label` / `ATTEST_HSM_KEY_LABEL` (default `attest-signing-key`).
    public var hsmKeyLabel = "attest-signing-key"
    /// `hsm.pin_file` / `ATTEST_HSM_PIN_FILE`: a file holding the user PIN; else `ATTEST_HSM_PIN`.
    public var hsmPinFile: String?
    /// `hsm.algorithm` / `ATTEST_HSM_ALGORITHM`: `ed25519` or `ecdsa-p256`; unset, Ed25519 when the
    /// token supports it (CKM_EDDSA), else ECDSA P-256.
    public var hsmAlgorithm: String?
    /// The PIN from `ATTEST_HSM_PIN` (never from YAML or flags, so it is not in files or `ps`).
    public var hsmPin: String?

    /// The witnesses, parsed (validate() names every bad one).
    public var parsedWitnesses: [(url: URL, verifier: Ed25519CosignatureVerifier)] {
        witnesses.compactMap { Self.parseWitness($0) }
    }

    static func parseWitness(_ text: String) -> (url: URL, verifier: Ed25519CosignatureVerifier)? {
        guard let eq = text.firstIndex(of: "="), let url = URL(string: String(text[..<eq])),
            url.scheme == "http" || url.scheme == "https", url.host != nil,
            let v = try? Ed25519CosignatureVerifier(verifierKey: String(text[text.index(after: eq)...]))
        else { return nil }
        return (url, v)
    }

    public init() {}

    /// Every key the YAML file may hold.
    public static let yamlKeys: Set<String> = [
        "data_dir", "host", "port", "tls", "tls.cert", "tls.key", "limits", "limits.max_body_bytes", "limits.queue_events",
        "limits.batch_events", "limits.proof_cache_mb", "signing", "signing.per_entry", "origin_prefix", "redaction", "redaction.pointers",
        "redaction.secret_shapes", "log_level", "database", "database_connections",
        "verification", "verification.interval_seconds", "verification.full_interval_seconds", "witnesses",
        "hsm", "hsm.module", "hsm.token_label", "hsm.key_label", "hsm.pin_file", "hsm.algorithm", "otlp_port", "risk", "risk.defaults",
        "risk.rules",
    ]

    /// Applies a YAML document; unknown keys and wrong types are errors naming every one.
    public mutating func apply(yaml text: String, source: String) throws(ConfigError) {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw ConfigError(["\(source): not valid YAML: \(error)"]) }
        guard let map = root as? [String: Any] else {
            if root == nil { return }
            throw ConfigError(["\(source): the top level must be a mapping"])
        }
        var flat: [String: Any] = [:]
        var problems: [String] = []
        for (k, v) in map {
            if let nested = v as? [String: Any] {
                for (k2, v2) in nested { flat["\(k).\(k2)"] = v2 }
                if !Self.yamlKeys.contains(k) { problems.append("\(source): unknown key \"\(k)\"") }
            } else {
                flat[k] = v
            }
        }
        for key in flat.keys.sorted() where !Self.yamlKeys.contains(key) {
            problems.append("\(source): unknown key \"\(key)\"")
        }
        func string(_ key: String) -> String? {
            guard let v = flat[key] else { return nil }
            if let s = v as? String { return s }
            problems.append("\(source): \(key) must be a string")
            return nil
        }
        func int(_ key: String) -> Int? {
            guard let v = flat[key] else { return nil }
            if let i = v as? Int { return i }
            problems.append("\(source): \(key) must be an integer")
            return nil
        }
        func bool(_ key: String) -> Bool? {
            guard let v = flat[key] else { return nil }
            if let b = v as? Bool { return b }
            problems.append("\(source): \(key) must be true or false")
            return nil
        }
        if let v = string("data_dir") { dataDir = v }
        if let v = string("host") { host = v }
        if let v = int("port") { port = v }
        if let v = string("tls.cert") { tlsCert = v }
        if let v = string("tls.key") { tlsKey = v }
        if let v = int("limits.max_body_bytes") { maxBodyBytes = v }
        if let v = int("limits.queue_events") { queueEvents = v }
        if let v = int("limits.batch_events") { batchEvents = v }
        if let v = int("limits.proof_cache_mb") { proofCacheMB = v }
        if let v = bool("signing.per_entry") { signEntries = v }
        if let v = string("origin_prefix") { originPrefix = v }
        if let v = flat["redaction.pointers"] {
            if let list = v as? [String] { redactPointers = list } else { problems.append("\(source): redaction.pointers must be a list of strings") }
        }
        if let v = bool("redaction.secret_shapes") { redactSecretShapes = v }
        if let v = string("log_level") { logLevel = v }
        if let v = string("database") { database = v }
        if let v = int("database_connections") { databaseConnections = v }
        if let v = int("verification.interval_seconds") { verifyIntervalSeconds = v }
        if let v = int("verification.full_interval_seconds") { verifyFullIntervalSeconds = v }
        if let v = string("hsm.module") { hsmModule = v }
        if let v = string("hsm.token_label") { hsmTokenLabel = v }
        if let v = string("hsm.key_label") { hsmKeyLabel = v }
        if let v = string("hsm.pin_file") { hsmPinFile = v }
        if let v = string("hsm.algorithm") { hsmAlgorithm = v }
        if let v = int("otlp_port") { otlpPort = v }
        if let v = bool("risk.defaults") { riskDefaults = v }
        if let v = flat["risk.rules"] {
            if let list = v as? [[String: Any]] {
                var rules: [CommandRiskRule] = []
                for (i, item) in list.enumerated() {
                    let unknown = Set(item.keys).subtracting(["id", "level", "pattern", "reason"]).sorted()
                    for k in unknown { problems.append("\(source): risk.rules[\(i)]: unknown key \"\(k)\"") }
                    let fields = ["id", "level", "pattern", "reason"].map { item[$0] as? String }
                    guard let id = fields[0], let level = fields[1], let pattern = fields[2], let reason = fields[3] else {
                        problems.append("\(source): risk.rules[\(i)] needs id, level, pattern and reason, all strings")
                        continue
                    }
                    rules.append(CommandRiskRule(id: id, level: level, pattern: pattern, reason: reason))
                }
                riskRules = rules
            } else {
                problems.append("\(source): risk.rules must be a list of mappings with id, level, pattern and reason")
            }
        }
        if let v = flat["witnesses"] {
            if let list = v as? [String] { witnesses = list } else { problems.append("\(source): witnesses must be a list of URL=VKEY strings") }
        }
        if !problems.isEmpty { throw ConfigError(problems.sorted()) }
    }

    /// Applies `ATTEST_*` variables.
    public mutating func apply(environment env: [String: String]) throws(ConfigError) {
        var problems: [String] = []
        func int(_ name: String) -> Int? {
            guard let v = env[name] else { return nil }
            guard let i = Int(v) else {
                problems.append("\(name)=\(v) is not an integer")
                return nil
            }
            return i
        }
        func bool(_ name: String) -> Bool? {
            guard let v = env[name] else { return nil }
            switch v.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default:
                problems.append("\(name)=\(v) is not true or false")
                return nil
            }
        }
        if let v = env["ATTEST_DATA_DIR"] { dataDir = v }
        if let v = env["ATTEST_HOST"] { host = v }
        if let v = int("ATTEST_PORT") { port = v }
        if let v = env["ATTEST_TLS_CERT"] { tlsCert = v }
        if let v = env["ATTEST_TLS_KEY"] { tlsKey = v }
        if let v = int("ATTEST_MAX_BODY_BYTES") { maxBodyBytes = v }
        if let v = int("ATTEST_QUEUE_EVENTS") { queueEvents = v }
        if let v = int("ATTEST_BATCH_EVENTS") { batchEvents = v }
        if let v = int("ATTEST_PROOF_CACHE_MB") { proofCacheMB = v }
        if let v = bool("ATTEST_SIGN_ENTRIES") { signEntries = v }
        if let v = env["ATTEST_ORIGIN_PREFIX"] { originPrefix = v }
        if let v = env["ATTEST_REDACT_POINTERS"] { redactPointers = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let v = bool("ATTEST_REDACT_SECRET_SHAPES") { redactSecretShapes = v }
        if let v = env["ATTEST_LOG_LEVEL"] { logLevel = v }
        if let v = env["ATTEST_DATABASE"] { database = v }
        if let v = int("ATTEST_DATABASE_CONNECTIONS") { databaseConnections = v }
        if let v = int("ATTEST_VERIFY_INTERVAL_SECONDS") { verifyIntervalSeconds = v }
        if let v = int("ATTEST_VERIFY_FULL_INTERVAL_SECONDS") { verifyFullIntervalSeconds = v }
        if let v = env["ATTEST_HSM_MODULE"] { hsmModule = v }
        if let v = env["ATTEST_HSM_TOKEN_LABEL"] { hsmTokenLabel = v }
        if let v = env["ATTEST_HSM_KEY_LABEL"] { hsmKeyLabel = v }
        if let v = env["ATTEST_HSM_PIN_FILE"] { hsmPinFile = v }
        if let v = env["ATTEST_HSM_ALGORITHM"] { hsmAlgorithm = v }
        if let v = env["ATTEST_HSM_PIN"] { hsmPin = v }
        if let v = int("ATTEST_OTLP_PORT") { otlpPort = v }
        if let v = bool("ATTEST_RISK_DEFAULTS") { riskDefaults = v }
        if let v = env["ATTEST_WITNESSES"] {
            witnesses = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if !problems.isEmpty { throw ConfigError(problems) }
    }

    /// Checks the whole configuration and names every problem.
    public func validate() throws(ConfigError) {
        var problems: [String] = []
        if !(1...65535).contains(port) { problems.append("port must be 1-65535, got \(port)") }
        if host.isEmpty { problems.append("host must not be empty") }
        if let p = otlpPort {
            if !(1...65535).contains(p) { problems.append("otlp_port must be 1-65535, got \(p)") }
            if p == port { problems.append("otlp_port must differ from port (\(port)): the OTLP paths are served on the main port already") }
        }
        do { _ = try riskClassifier() } catch { problems += error.problems }
        if (tlsCert == nil) != (tlsKey == nil) { problems.append("tls.cert and tls.key go together") }
        if maxBodyBytes < 1024 { problems.append("limits.max_body_bytes must be at least 1024") }
        if queueEvents < 1 { problems.append("limits.queue_events must be at least 1") }
        if !(1...100_000).contains(batchEvents) { problems.append("limits.batch_events must be 1-100000") }
        if !(0...65_536).contains(proofCacheMB) { problems.append("limits.proof_cache_mb must be 0-65536 (0 turns the cache off)") }
        for p in redactPointers {
            if !(p.hasPrefix("/attributes") || p.hasPrefix("/request") || p.hasPrefix("/changes")) || JSONPointer(p) == nil {
                problems.append("redaction pointer \"\(p)\" must be a JSON pointer under /attributes, /request or /changes")
            }
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            problems.append("log_level \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        if let database {
            do { _ = try PostgresURL(database) } catch let e as StoreError { problems.append(e.reason) } catch { problems.append("\(error)") }
        }
        if !(1...1000).contains(databaseConnections) { problems.append("database_connections must be 1-1000") }
        if !(0...86_400).contains(verifyIntervalSeconds) { problems.append("verification.interval_seconds must be 0-86400 (0 turns it off)") }
        if !(1...604_800).contains(verifyFullIntervalSeconds) { problems.append("verification.full_interval_seconds must be 1-604800") }
        if hsmModule != nil {
            if hsmTokenLabel == nil { problems.append("hsm.module needs hsm.token_label") }
            if hsmPin == nil && hsmPinFile == nil { problems.append("hsm.module needs the PIN: ATTEST_HSM_PIN or hsm.pin_file") }
            if let a = hsmAlgorithm, PKCS11Key.Algorithm(rawValue: a) == nil {
                problems.append("hsm.algorithm \"\(a)\" is not ed25519 or ecdsa-p256")
            }
        }
        for w in witnesses where Self.parseWitness(w) == nil {
            problems.append("witness \"\(w)\" must be URL=VKEY: an http(s) URL and a cosignature/v1 verifier key (type 0x04)")
        }
        if !problems.isEmpty { throw ConfigError(problems) }
    }
}

extension ServerConfig {
    /// The command risk rules in force: the built-in table (unless `risk.defaults` is false) with
    /// `risk.rules` replacing rules of the same id and adding the others; nil when there are none.
    public func riskClassifier() throws(CommandRiskError) -> CommandRiskClassifier? {
        var rules = riskDefaults ? CommandRiskClassifier.defaultRules : []
        for rule in riskRules {
            if let i = rules.firstIndex(where: { $0.id == rule.id }) { rules[i] = rule } else { rules.append(rule) }
        }
        return rules.isEmpty ? nil : try CommandRiskClassifier(rules: rules)
    }

    /// The HSM settings, with the PIN read, or nil when no module is configured.
    public func hsmConfig() throws(ConfigError) -> PKCS11Key.Config? {
        guard let module = hsmModule, let token = hsmTokenLabel else { return nil }
        var pin = hsmPin
        if pin == nil, let file = hsmPinFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ConfigError(["hsm.pin_file \(file): cannot read it"]) }
            pin = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let pin else { throw ConfigError(["hsm: no PIN (ATTEST_HSM_PIN or hsm.pin_file)"]) }
        var algorithm: PKCS11Key.Algorithm?
        if let a = hsmAlgorithm {
            guard let parsed = PKCS11Key.Algorithm(rawValue: a) else { throw ConfigError(["hsm.algorithm \"\(a)\" is not ed25519 or ecdsa-p256"]) }
            algorithm = parsed
        }
        return PKCS11Key.Config(module: module, tokenLabel: token, pin: pin, keyLabel: hsmKeyLabel, algorithm: algorithm)
    }
}

/// Configuration problems, all of them.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]
    public init(_ problems: [String]) { self.problems = problems }
    public var description: String { problems.joined(separator: "\n") }
}
