import AttestCore
import AttestTesting
import Foundation
import GRDB
import Testing

@Suite("attest CLI, run as a real process")
struct CLITests {
    @Test("keygen writes a 0600 private key, prints the verifier key, and never overwrites")
    func keygen() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let keyPath = dir.appendingPathComponent("k.key").path
        let r = try await attest("keygen", "--origin", "attest.example.com/default", "--out", keyPath)
        #expect(r.status == 0, "\(r.stderr)")
        let vkey = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let verifier = try Ed25519NoteVerifier(verifierKey: vkey)
        #expect(verifier.name == "attest.example.com/default")
        let attrs = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let signer = try Ed25519NoteSigner(privateKey: try String(contentsOfFile: keyPath, encoding: .utf8))
        #expect(signer.verifierKey == vkey)
        let again = try await attest("keygen", "--origin", "attest.example.com/default", "--out", keyPath)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        #expect(try await attest("keygen", "--origin", "has space").status == 2)
    }

    @Test("append validates everything first: every bad line named, nothing written, exit 2")
    func badInput() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let data = dir.appendingPathComponent("data").path
        let input = """
            {"action":"tool.execute","actor":{"id":"alice"}}
            {"action":"x y","actor":{}}
            {"bad json

            {"action":"a","actor":{"id":"b"},"foo":1,"category":"nope","time":"yesterday"}
            {"action":"a","actor":{"id":"b"},"n":12345678901234567890}
            [1,2]
            {"action":"a","actor":{"id":"b"},"a":1,"a":2}
            """
        let r = try await attest("append", "--data-dir", data, "-", stdin: Data(input.utf8))
        #expect(r.status == 2)
        let expected = [
            "line 2: /action: must be a dotted name",
            "line 2: /actor/id: is required",
            "line 3: invalid JSON: line 1, column",
            "line 5: /category: must be one of",
            "line 5: /foo: is not a known field",
            "line 5: /time: must be an RFC 3339 date-time",
            "line 6: invalid JSON",
            "line 7: /: must be an object, got array",
            "line 8: invalid JSON",
            "6 bad line(s)",
            "nothing was written",
        ]
        for e in expected { #expect(r.stderr.contains(e), "missing \"\(e)\" in:\n\(r.stderr)") }
        #expect(!r.stderr.contains("line 1:"))
        #expect(!FileManager.default.fileExists(atPath: data), "bad input must not even create the data directory")

        // With an existing log, a bad file leaves it exactly as it was.
        let good = dir.appendingPathComponent("good.ndjson")
        try writeEvents(10, to: good)
        #expect(try await attest("append", "--data-dir", data, good.path).status == 0)
        let before = try await attest("checkpoint", "--data-dir", data).stdout
        #expect(try await attest("append", "--data-dir", data, "-", stdin: Data(input.utf8)).status == 2)
        #expect(try await attest("checkpoint", "--data-dir", data).stdout == before)
        #expect(try await attest("append", "--data-dir", data, dir.appendingPathComponent("missing.ndjson").path).status == 2)
        #expect(try await attest("append", "--data-dir", data, "-", stdin: Data()).status == 2)
    }

    @Test("append, verify, export and verify the bundle; the round trip is exact")
    func roundTrip() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let data = dir.appendingPathComponent("data").path
        let events = dir.appendingPathComponent("events.ndjson")
        try writeEvents(250, to: events)
        let appended = try await attest("append", "--data-dir", data, "--batch-size", "64", "--origin-prefix", "attest.example.com", events.path)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdout.contains("appended 250 event(s), 0 duplicate(s)"))
        // Appending the same file again adds nothing.
        let again = try await attest("append", "--data-dir", data, events.path)
        #expect(again.stdout.contains("appended 0 event(s), 250 duplicate(s)"), "\(again.stdout)")

        let verified = try await attest("verify", "--data-dir", data)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("OK attest.example.com/default: entries 0..<250 verified"))

        let vkey = try await attest("pubkey", "--data-dir", data).stdout.trimmingCharacters(in: .newlines)
        let checkpoint = try await attest("checkpoint", "--data-dir", data).stdout
        let signed = try SignedCheckpoint(verifying: checkpoint, with: try Ed25519NoteVerifier(verifierKey: vkey))
        #expect(signed.checkpoint.size == 250)

        let bundle = dir.appendingPathComponent("b.ndjson").path
        #expect(try await attest("export", "--data-dir", data, "--out", bundle).status == 0)
        let ok = try await attest("verify", bundle, "--key", vkey)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("entries 0..<250 verified, root \(signed.checkpoint.root.hex)"))

        // The events come back byte for byte as their canonical form.
        let lines = try String(contentsOfFile: bundle, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 252)
        let sentLines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
        for i in 0..<250 {
            let sent = try JSONParser.parse(String(sentLines[i]))
            let stored = try JSONParser.parse(String(lines[i + 1]), limits: .ledger)["entry"]!["event"]!
            var withoutTime = stored.objectValue!
            withoutTime["time"] = nil
            #expect(JSONValue.object(withoutTime).canonicalBytes == sent.canonicalBytes, "event \(i)")
        }

        // Partial bundles, from stdin too.
        for (start, end) in [(0, 1), (1, 250), (64, 128), (77, 200), (249, 250), (250, 250)] {
            let part = dir.appendingPathComponent("p\(start).ndjson").path
            #expect(try await attest("export", "--data-dir", data, "--start", "\(start)", "--end", "\(end)", "--out", part).status == 0)
            let r = try await attest("verify", "-", "--key", vkey, stdin: try Data(contentsOf: URL(fileURLWithPath: part)))
            #expect(r.status == 0, "\(start)..<\(end): \(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("entries \(start)..<\(end) verified"))
        }
        // Export to stdout equals export to a file.
        let stdoutExport = try await attest("export", "--data-dir", data)
        #expect(stdoutExport.stdout == (try String(contentsOfFile: bundle, encoding: .utf8)))
        #expect(try await attest("export", "--data-dir", data, "--start", "10", "--end", "5").status == 2)
        #expect(try await attest("export", "--data-dir", data, "--end", "251").status == 2)
    }

    @Test("a tampered bundle fails with exit 1 naming the entry; a wrong key fails too")
    func tamperedBundle() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let data = dir.appendingPathComponent("data").path
        let events = dir.appendingPathComponent("events.ndjson")
        try writeEvents(30, to: events)
        #expect(try await attest("append", "--data-dir", data, "--sign-entries", events.path).status == 0)
        let bundle = try await attest("export", "--data-dir", data).stdout
        let vkey = try await attest("pubkey", "--data-dir", data).stdout.trimmingCharacters(in: .newlines)
        var lines = bundle.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[13] = lines[13].replacingOccurrences(of: "\"agent-5\"", with: "\"agent-6\"")
        let r = try await attest("verify", "-", "--key", vkey, stdin: Data(lines.joined(separator: "\n").utf8))
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAILED") && r.stdout.contains("entry 12:"), "\(r.stdout)")

        let otherKey = try await attest(
            "keygen",
            "--origin",
            vkey.split(separator: "+")[0].description,
            "--out",
            dir.appendingPathComponent("o.key").path
        )
        let wrong = try await attest("verify", "-", "--key", otherKey.stdout.trimmingCharacters(in: .newlines), stdin: Data(bundle.utf8))
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("key_mismatch"))
    }

    @Test("verify --data-dir names the first bad entry after the SQLite file is edited")
    func tamperedStore() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let data = dir.appendingPathComponent("data")
        let events = dir.appendingPathComponent("events.ndjson")
        try writeEvents(40, to: events)
        #expect(try await attest("append", "--data-dir", data.path, "--tenant", "acme", events.path).status == 0)
        #expect(try await attest("append", "--data-dir", data.path, "--tenant", "zeta", events.path).status == 0)
        let db = try DatabaseQueue(path: data.appendingPathComponent("ledger.sqlite").path)
        try await db.writeWithoutTransaction { db in
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM entries WHERE seq = 20") }
            for name in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                try db.execute(sql: "DROP TRIGGER \(name)")
            }
            try db.execute(sql: "DELETE FROM entries WHERE seq = 20 AND log_id = (SELECT log_id FROM logs WHERE tenant = 'zeta')")
        }
        let r = try await attest("verify", "--data-dir", data.path)
        #expect(r.status == 1)
        #expect(r.stdout.contains("OK attest."), "\(r.stdout)")
        #expect(r.stdout.contains("/zeta: entry 20:"), "\(r.stdout)")
        #expect(try await attest("verify", "--data-dir", data.path, "--tenant", "acme").status == 0)
    }

    @Test(
        "usage errors exit 2 with a message",
        arguments: [
            ["verify"], ["verify", "x.ndjson", "--data-dir", "d"], ["append"], ["append", "--batch-size", "0", "x"],
            ["export", "--data-dir", "/nonexistent/attest"], ["checkpoint", "--data-dir", "/nonexistent/attest"],
            ["verify", "--data-dir", "/nonexistent/attest"], ["no-such-command"], ["verify", "x", "--bogus"],
            ["append", "--tenant", "Bad Tenant", "-"], ["verify", "x.ndjson", "--key", "not-a-key"],
        ]
    )
    func usage(_ args: [String]) async throws {
        let r = try await runProcess(TestEnvironment.attestBinary, args, stdin: Data())
        #expect(r.status == 2, "\(args): \(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test("--help and --version exit 0")
    func help() async throws {
        let r = try await attest("--help")
        #expect(r.status == 0)
        for sub in ["keygen", "append", "verify", "export", "checkpoint", "pubkey"] { #expect(r.stdout.contains(sub)) }
        #expect(try await attest("--version").status == 0)
        #expect(try await attest("verify", "--help").stdout.contains("--data-dir"))
    }
}
