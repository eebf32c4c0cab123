import AttestCore
import AttestPostgres
import AttestTesting
import Foundation
import Testing

/// `attest db init` and the data-directory commands on a real PostgreSQL, through the binary.
@Suite(.enabled(if: PostgresTestServer.enabled, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresCLITests {
    /// Roles belong to the whole cluster: each test uses its own, as separate installations would.
    static func roles() -> [String] {
        let tag = UUID().uuidString.lowercased().prefix(8)
        return ["--owner-role", "own_\(tag)", "--runtime-role", "run_\(tag)"]
    }

    @Test("db init writes a node directory; append, verify, export, checkpoint and pubkey work on it")
    func initAndUse() async throws {
        let admin = try await PostgresTestServer.emptyDatabase()
        let work = try TestEnvironment.temporaryDirectory("attest-pg-cli")
        let node = work.appendingPathComponent("node")
        let roles = Self.roles()
        let initialized = try await attest(
            ["db", "init", "--admin-url", admin.secretString, "--data-dir", node.path, "--origin-prefix", "cli.example"] + roles
        )
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(initialized.stdout.contains("applied migration(s) 1, 2, 3"))
        #expect(!initialized.stdout.contains(admin.password!), "the admin password must not be printed")
        for file in ["attest.yaml", "signing-key", "hmac-secret", "admin-token"] {
            let attrs = try FileManager.default.attributesOfItem(atPath: node.appendingPathComponent(file).path)
            #expect((attrs[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        let yaml = try String(contentsOf: node.appendingPathComponent("attest.yaml"), encoding: .utf8)
        #expect(yaml.contains("postgres://\(roles[3]):"))
        // Again: nothing to apply, the directory's password is kept (other nodes keep working).
        let again = try await attest(["db", "init", "--admin-url", admin.secretString, "--data-dir", node.path] + roles)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("schema attest is current") && again.stdout.contains("unchanged"))
        #expect(try String(contentsOf: node.appendingPathComponent("attest.yaml"), encoding: .utf8) == yaml)

        let events = work.appendingPathComponent("events.ndjson")
        try writeEvents(30, to: events)
        let appended = try await attest("append", "--data-dir", node.path, "--batch-size", "7", events.path)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdout.contains("appended 30 event(s)"))
        let verified = try await attest("verify", "--data-dir", node.path)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("OK cli.example/default: entries 0..<30 verified"))
        let bundle = work.appendingPathComponent("bundle.ndjson")
        #expect(try await attest("export", "--data-dir", node.path, "--out", bundle.path).status == 0)
        let key = try await attest("pubkey", "--data-dir", node.path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("cli.example/default+"))
        let bundleCheck = try await attest("verify", bundle.path, "--key", key)
        #expect(bundleCheck.status == 0, "\(bundleCheck.stdout) \(bundleCheck.stderr)")
        #expect(try await attest("checkpoint", "--data-dir", node.path).stdout.hasPrefix("cli.example/default\n30\n"))

        // Key rotation on PostgreSQL: the log records it, appends go on with the new key, and
        // every bundle verifies with the old key and the new one.
        let rotated = try await attest("keys", "rotate", "--data-dir", node.path)
        #expect(rotated.status == 0, "\(rotated.stdout) \(rotated.stderr)")
        #expect(rotated.stdout.contains("default: rotated at seq 30"))
        let newKey = try await attest("pubkey", "--data-dir", node.path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newKey != key && newKey.hasPrefix("cli.example/default+"))
        let more = work.appendingPathComponent("more.ndjson")
        try writeEvents(5, to: more, from: 100)
        let appendedAfter = try await attest("append", "--data-dir", node.path, more.path)
        #expect(appendedAfter.status == 0, "\(appendedAfter.stderr)")
        let afterRotation = try await attest("verify", "--data-dir", node.path)
        #expect(
            afterRotation.status == 0 && afterRotation.stdout.contains("key rotated 1 time(s)"),
            "\(afterRotation.stdout) \(afterRotation.stderr)"
        )
        #expect(try await attest("verify", bundle.path, "--key", key).status == 0)  // the old bundle, the old key
        let whole = work.appendingPathComponent("whole.ndjson")
        #expect(try await attest("export", "--data-dir", node.path, "--out", whole.path).status == 0)
        for pinned in [key, newKey] {
            let check = try await attest("verify", whole.path, "--key", pinned)
            #expect(check.status == 0 && check.stdout.contains("entries 0..<36 verified"), "\(check.stdout) \(check.stderr)")
        }
    }

    @Test("a second directory is refused while the role's password is in use, a node without the signing key too; nothing is half-written")
    func refusesAnotherKey() async throws {
        let admin = try await PostgresTestServer.emptyDatabase()
        let work = try TestEnvironment.temporaryDirectory("attest-pg-cli")
        let roles = Self.roles()
        let first = work.appendingPathComponent("first")
        #expect(try await attest(["db", "init", "--admin-url", admin.secretString, "--data-dir", first.path] + roles).status == 0)
        let events = work.appendingPathComponent("events.ndjson")
        try writeEvents(3, to: events)
        #expect(try await attest("append", "--data-dir", first.path, events.path).status == 0)
        // A second directory would need the running nodes' password: refused, nothing written.
        let second = work.appendingPathComponent("second")
        let refused = try await attest(["db", "init", "--admin-url", admin.secretString, "--data-dir", second.path] + roles)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("copy an existing node's data directory"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: second.path))
        // The first node still works: its password was not changed.
        #expect(try await attest("verify", "--data-dir", first.path).status == 0)
        // A node directory without the signing key may not sign this database's logs.
        let keyless = work.appendingPathComponent("keyless")
        try FileManager.default.copyItem(at: first, to: keyless)
        try FileManager.default.removeItem(at: keyless.appendingPathComponent("signing-key"))
        let noKey = try await attest("append", "--data-dir", keyless.path, events.path)
        #expect(noKey.status == 2)
        #expect(noKey.stderr.contains("every node must sign with the same key"), "\(noKey.stderr)")
        #expect(!FileManager.default.fileExists(atPath: keyless.appendingPathComponent("signing-key").path))
        // A copy of the first directory is a working node.
        let copy = work.appendingPathComponent("copy")
        try FileManager.default.copyItem(at: first, to: copy)
        try writeEvents(2, to: events, from: 3)
        #expect(try await attest("append", "--data-dir", copy.path, events.path).status == 0)
        #expect(try await attest("verify", "--data-dir", first.path).stdout.contains("entries 0..<5 verified"))
    }

    @Test("db init names bad input and unreachable servers")
    func badInput() async throws {
        let noURL = try await runProcess(TestEnvironment.attestBinary, ["db", "init"], environment: [:])
        #expect(noURL.status == 2 && noURL.stderr.contains("--admin-url"))
        let bad = try await attest("db", "init", "--admin-url", "postgres://x:secretpw@127.0.0.1:1/db", "--runtime-role", "Bad-Role")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("runtime role \"Bad-Role\""), "\(bad.stderr)")
        #expect(!bad.stderr.contains("secretpw"))
        let down = try await attest("db", "init", "--admin-url", "postgres://x:secretpw@127.0.0.1:1/db")
        #expect(down.status == 2)
        #expect(down.stderr.contains("127.0.0.1:1") && !down.stderr.contains("secretpw"), "\(down.stderr)")
    }
}
