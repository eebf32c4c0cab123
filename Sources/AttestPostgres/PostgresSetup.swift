import AttestCore
import AttestStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `attest db init`: roles, schema, migrations, grants and the first partitions, as an
/// administrator. Idempotent: run it again to apply new migrations or to re-grant.
public enum PostgresSetup {
    /// What `initialize` did.
    public struct Report: Sendable {
        /// The URL the runtime role connects with (password included: write it only to 0600 files).
        /// Without a password when the role existed and its password was left alone.
        public let runtimeURL: PostgresURL
        /// Whether this run set the runtime role's password.
        public let setPassword: Bool
        /// Migration versions applied by this run (empty when the schema was current).
        public let applied: [Int]
        /// Whether the runtime role was created by this run.
        public let createdRuntimeRole: Bool
        /// The installation's origin prefix.
        public let originPrefix: String
    }

    /// Role names are spliced into DDL (identifiers cannot be bound parameters), so they are
    /// limited to lowercase letters, digits and `_`, and always double-quoted.
    public static func isValidRoleName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        func ok(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || b == 95 }
        return ok(first) && name.utf8.allSatisfy { ok($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// Runs `body` on one new connection to `url` (not a pool: a refused login or an unreachable
    /// server is reported at once, with the server's own message).
    public static func withConnection<T: Sendable>(
        _ url: PostgresURL,
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let conn: PostgresConnection
        do {
            conn = try await PostgresConnection.connect(
                on: PostgresClient.defaultEventLoopGroup.next(),
                configuration: try url.connectionConfiguration(),
                id: 0,
                logger: logger
            )
        } catch {
            throw PostgresLedgerStore.storeError(error)
        }
        do {
            let value = try await body(conn)
            try? await conn.close()
            return value
        } catch {
            try? await conn.close()
            throw PostgresLedgerStore.storeError(error)
        }
    }

    /// Creates (or updates) the owner and runtime roles, the schema, and applies migrations and grants.
    public static func initialize(
        adminURL: PostgresURL,
        ownerRole: String = "attest_owner",
        runtimeRole: String = "attest_runtime",
        runtimePassword: String? = nil,
        resetRuntimePassword: Bool = false,
        originPrefix: String? = nil,
        logger: Logger
    ) async throws -> Report {
        var problems: [String] = []
        for (what, name) in [("owner role", ownerRole), ("runtime role", runtimeRole)] where !isValidRoleName(name) {
            problems.append("\(what) \"\(name)\" must be 1-63 of a-z 0-9 _, starting with a letter or _")
        }
        if ownerRole == runtimeRole { problems.append("the owner and runtime roles must differ") }
        if let p = originPrefix, !SQLiteLedgerStore.isValidPrefix(p) {
            problems.append("origin prefix \"\(p)\" is not valid: use letters, digits, '.', '-', '_' and '/'")
        }
        if !problems.isEmpty { throw StoreError(.invalidArgument, problems.joined(separator: "; ")) }
        let owner = "\"\(ownerRole)\""
        let runtime = "\"\(runtimeRole)\""
        return try await withConnection(adminURL, logger: logger) { conn in
            func simple(_ sql: String) async throws {
                for statement in statements(sql) {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            func exists(_ role: String) async throws -> Bool {
                for try await _ in try await conn.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", logger: logger) { return true }
                return false
            }
            // One initializer at a time (session lock, released when the connection closes).
            try await conn.query("SELECT pg_advisory_lock(\(PostgresSchema.lockClass), 0)", logger: logger)
            if try await !exists(ownerRole) { try await simple("CREATE ROLE \(owner) NOLOGIN") }
            let createdRuntime = try await !exists(runtimeRole)
            if createdRuntime { try await simple("CREATE ROLE \(runtime) LOGIN") }
            try await simple("ALTER ROLE \(runtime) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
            // An existing role keeps its password (running nodes use it) unless one is given or a
            // reset is asked for. The password is quoted by the server (format %L), never by us.
            let password: String? = runtimePassword ?? (createdRuntime || resetRuntimePassword ? randomPassword() : nil)
            if let password {
                var alter: String?
                for try await s in try await conn.query(
                    "SELECT format('ALTER ROLE %I PASSWORD %L', \(runtimeRole)::text, \(password)::text)",
                    logger: logger
                ).decode(String.self) {
                    alter = s
                }
                try await simple(alter!)
            }
            var isSuper = false
            for try await s in try await conn.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", logger: logger).decode(Bool.self) {
                isSuper = s
            }
            if !isSuper { try await simple("GRANT \(owner) TO CURRENT_USER") }
            try await simple("CREATE SCHEMA IF NOT EXISTS attest AUTHORIZATION \(owner)")
            try await simple("SET ROLE \(owner)")
            try await simple(
                "CREATE TABLE IF NOT EXISTS attest.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            var done: Set<Int> = []
            for try await v in try await conn.query("SELECT version FROM attest.schema_migrations", logger: logger).decode(Int32.self) {
                done.insert(Int(v))
            }
            var applied: [Int] = []
            for m in PostgresSchema.migrations where !done.contains(m.version) {
                // Each migration and its record commit together, or not at all.
                try await simple("BEGIN")
                do {
                    try await simple(m.sql)
                    try await conn.query(
                        "INSERT INTO attest.schema_migrations (version, name) VALUES (\(Int32(m.version)), \(m.name))",
                        logger: logger
                    )
                    try await simple("COMMIT")
                } catch {
                    _ = try? await simple("ROLLBACK")
                    throw error
                }
                applied.append(m.version)
            }
            try await simple(PostgresSchema.grants(runtime: runtime))
            let now = Timestamp.now().microseconds
            try await conn.query("SELECT attest.ensure_partitions(\(now), 2)", logger: logger)
            var stored: String?
            for try await v in try await conn.query("SELECT value FROM attest.meta WHERE key = 'origin_prefix'", logger: logger).decode(String.self) {
                stored = v
            }
            if let stored, let originPrefix, stored != originPrefix {
                throw StoreError(.conflict, "this database's origin prefix is \"\(stored)\"; it cannot be changed to \"\(originPrefix)\"")
            }
            let prefix = stored ?? originPrefix ?? "attest.local/" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            if stored == nil {
                try await conn.query(
                    "INSERT INTO attest.meta (key, value) VALUES ('origin_prefix', \(prefix)), ('format', 'attest/v1') ON CONFLICT (key) DO NOTHING",
                    logger: logger
                )
            }
            try await simple("RESET ROLE")
            try await conn.query("SELECT pg_advisory_unlock(\(PostgresSchema.lockClass), 0)", logger: logger)
            return Report(
                runtimeURL: adminURL.with(user: runtimeRole, password: password),
                setPassword: password != nil,
                applied: applied,
                createdRuntimeRole: createdRuntime,
                originPrefix: prefix
            )
        }
    }

    /// 32 random bytes as hex: URL-safe and strong.
    static func randomPassword() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
    }
}

extension PostgresSetup {
    /// Splits a SQL script into statements at top-level `;`, respecting `'…'` strings, `"…"`
    /// identifiers, `--` comments and `$tag$…$tag$` bodies. postgres-nio sends every statement
    /// through the extended protocol, which takes one statement at a time. Hand-written: the
    /// scripts are our own migrations, not arbitrary SQL.
    static func statements(_ script: String) -> [String] {
        let s = Array(script.unicodeScalars)
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            let meaningful = text.split(separator: "\n").contains { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") && !$0.isEmpty }
            if meaningful { out.append(text) }
            current = String.UnicodeScalarView()
        }
        while i < s.count {
            let c = s[i]
            if c == "-" && i + 1 < s.count && s[i + 1] == "-" {
                while i < s.count && s[i] != "\n" {
                    current.append(s[i])
                    i += 1
                }
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                i += 1
                while i < s.count {
                    current.append(s[i])
                    if s[i] == c {
                        i += 1
                        break
                    }
                    i += 1
                }
                continue
            }
            if c == "$" {
                var j = i + 1
                while j < s.count && (s[j].properties.isAlphabetic || s[j] == "_") { j += 1 }
                if j < s.count && s[j] == "$" {
                    let tag = s[i...j]
                    var k = j + 1
                    while k + tag.count <= s.count && !s[k..<(k + tag.count)].elementsEqual(tag) { k += 1 }
                    let end = min(s.count, k + tag.count)
                    current.append(contentsOf: s[i..<end])
                    i = end
                    continue
                }
            }
            if c == ";" {
                flush()
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        flush()
        return out
    }
}
