import AttestCore
import AttestTesting
import Foundation
import Testing

/// `tools/independent-verifier` was written from docs/FORMAT.md alone, in Python. It must agree
/// with `attest` on every bundle: the same verdict, the same root, the same first bad seq.
///
/// Skipped only in a bare `swift test` on a machine without python3. Under `scripts/test`
/// (ATTEST_INTEGRATION=1) it always runs, so a missing python3 or `cryptography` makes it fail.
@Suite("Independent verifier agrees with attest", .enabled(if: TestEnvironment.peerAvailableOrRequired("python3")))
struct IndependentVerifierTests {
    static let script = TestEnvironment.repositoryRoot.appendingPathComponent("tools/independent-verifier/attest_verify.py").path

    struct Verdict: Equatable {
        let ok: Bool
        let seq: UInt64?
        let root: String?
    }

    func python(_ bundle: String, key: String) async throws -> Verdict {
        let python = try #require(TestEnvironment.which("python3"), "python3 is required (scripts/test installs it)")
        let r = try await runProcess(URL(fileURLWithPath: python), [Self.script, "-", "--key", key, "--json"], stdin: Data(bundle.utf8))
        #expect(r.status == 0 || r.status == 1, "independent verifier crashed or refused usage: \(r.stderr)")
        let v = try JSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        return Verdict(ok: v["ok"]?.boolValue == true, seq: v["seq"]?.intValue.map(UInt64.init), root: v["root"]?.stringValue)
    }

    func swift(_ bundle: String, key: String) throws -> Verdict {
        let r = BundleVerifier.verify(Array(bundle.utf8), pinnedKey: try Ed25519NoteVerifier(verifierKey: key))
        return Verdict(ok: r.ok, seq: r.failure?.seq, root: r.ok ? r.root?.hex : nil)
    }

    @Test("full, partial and per-entry-signed bundles with JSON corner cases; tampered copies")
    func agreement() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let data = dir.appendingPathComponent("data").path
        let events = dir.appendingPathComponent("events.ndjson")
        try writeEvents(45, to: events)
        // Extra corner cases: Unicode keys, 1e21, 1e20, 2.5e-7, -0.0, nested arrays, U+2028, controls.
        let extra = #"""
            {"action":"a.b","actor":{"id":"x"},"attributes":{"k\u00e9y":1e21,"big":1e20,"s":2.5e-7,"z":-0.0,"n":[[[]],[1,[2]]],"\ud83d\ude00":"\u2028\u0001","\ue000":0.1}}
            """#
        try (String(contentsOf: events, encoding: .utf8) + extra + "\n").write(to: events, atomically: true, encoding: .utf8)
        #expect(try await attest("append", "--data-dir", data, "--batch-size", "8", "--sign-entries", events.path).status == 0)
        let key = try await attest("pubkey", "--data-dir", data).stdout.trimmingCharacters(in: .newlines)

        var bundles: [(String, String)] = []
        for (start, end) in [(0, 46), (1, 46), (2, 46), (3, 46), (7, 30), (8, 46), (16, 16), (31, 46), (45, 46), (0, 0)] {
            let b = try await attest("export", "--data-dir", data, "--start", "\(start)", "--end", "\(end)")
            #expect(b.status == 0)
            bundles.append(("\(start)..<\(end)", b.stdout))
        }
        for (name, b) in bundles {
            let p = try await python(b, key: key)
            let s = try swift(b, key: key)
            #expect(p.ok, "python rejects \(name)")
            #expect(p == s, "\(name): python \(p), swift \(s)")
        }

        // Tampered copies of the full bundle: both fail, at the same seq.
        let full = bundles[0].1
        var lines = full.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // the empty string after the final newline
        func variant(_ f: (inout [String]) -> Void) -> String {
            var l = lines
            f(&l)
            return l.joined(separator: "\n") + "\n"
        }
        let otherKey = try Ed25519NoteSigner.generate(name: try Ed25519NoteVerifier(verifierKey: key).name)
        let tampered: [(String, String)] = [
            ("one character", variant { $0[11] = $0[11].replacingOccurrences(of: "agent-3", with: "agent-4") }),
            ("line removed", variant { $0.remove(at: 20) }),
            ("lines swapped", variant { $0.swapAt(5, 6) }),
            ("truncated", variant { $0.removeLast() }),
            ("cut mid-line", String(full.prefix(full.count / 2))),
            ("trailing data", variant { $0.append($0[3]) }),
            ("non-canonical", variant { $0[4] = $0[4].replacingOccurrences(of: "{\"entry\":", with: "{\"entry\" :") }),
            (
                "checkpoint re-signed",
                variant {
                    let note = try! JSONParser.parse($0[$0.count - 1])["checkpoint"]!.stringValue!
                    let cp = try! SignedCheckpoint(parsing: note).checkpoint
                    $0[$0.count - 1] = String(
                        decoding: BundleWriter.checkpointLine(try! SignedCheckpoint(signing: cp, with: otherKey).serialized).dropLast(),
                        as: UTF8.self
                    )
                }
            ),
        ]
        for (name, b) in tampered {
            let p = try await python(b, key: key)
            let s = try swift(b, key: key)
            #expect(!p.ok && !s.ok, "\(name) must fail")
            #expect(p.seq == s.seq, "\(name): python seq \(String(describing: p.seq)), swift seq \(String(describing: s.seq))")
        }
    }
}
