import AttestCore
import AttestServer
import AttestTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Reading: queries, details, proofs, export")
struct ReadRouteTests {
    /// 30 events: actors a0…a2, on behalf of u0/u1, actions tool.execute / file.write / role.grant, risks.
    static func seed(_ c: some TestClientProtocol, _ token: String, count: Int = 30) async throws {
        var lines: [String] = []
        let actions = ["tool.execute", "file.write", "role.grant"]
        let risks = ["none", "low", "medium", "high", "critical"]
        for i in 0..<count {
            lines.append(
                "{\"id\":\"q-\(i)\",\"time\":\"2026-01-01T00:00:\(String(format: "%02d", i))Z\",\"action\":\"\(actions[i % 3])\",\"category\":\"tool_call\",\"actor\":{\"id\":\"a\(i % 3)\"},\"on_behalf_of\":{\"id\":\"u\(i % 2)\"},\"risk\":{\"level\":\"\(risks[i % 5])\"},\"outcome\":{\"status\":\"\(i % 4 == 0 ? "failure" : "success")\"},\"session\":{\"id\":\"s\(i % 2)\"},\"resource\":{\"type\":\"repo\",\"id\":\"r\(i % 5)\"},\"agent\":{\"id\":\"claude-code\"}}"
            )
        }
        let r = try await c.call(
            .post,
            "/v1/events",
            token: token,
            body: Array(lines.joined(separator: "\n").utf8),
            headers: [.contentType: "application/x-ndjson"]
        )
        guard r.status == .created else { throw TestFailure("seed failed: \(r.text)") }
    }

    func ids(_ r: TestResponse) throws -> [String] {
        try r.json()["items"]?.arrayValue?.compactMap { $0["event"]?["id"]?.stringValue } ?? []
    }

    @Test("every filter narrows the result; the page carries seq, hash, received_at and event", arguments: ServerBackend.enabled)
    func filters(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            try await Self.seed(c, s.admin)
            let all = try await c.call(.get, "/v1/events?limit=1000", token: s.admin)
            #expect(all.status == .ok)
            let items = try #require(try all.json()["items"]?.arrayValue)
            #expect(items.count >= 30)
            #expect(items.first?["seq"]?.intValue != nil && items.first?["hash"]?.stringValue?.count == 64)
            #expect(items.first?["received_at"]?.stringValue?.hasSuffix("Z") == true)
            let cases: [(String, Int)] = [
                ("actor=a1", 10), ("on_behalf_of=u0", 15), ("action=tool.execute", 10), ("action=role.*", 10), ("category=tool_call&action=*", 30),
                ("category=tool_call", 30), ("min_risk=high", 12), ("outcome=failure", 8), ("session=s1", 15), ("resource_type=repo", 30),
                ("resource_id=r2", 6), ("agent=claude-code", 30), ("from=2026-01-01T00:00:10Z&to=2026-01-01T00:00:20Z", 10),
                ("actor=a0&on_behalf_of=u0&min_risk=none", 5),
            ]
            for (q, n) in cases {
                let r = try await c.call(.get, "/v1/events?limit=1000&\(q)", token: s.admin)
                #expect(r.status == .ok, "\(q): \(r.text)")
                #expect(try ids(r).count == n, "\(q)")
            }
        }
    }

    @Test("keyset pages are complete and stable while new events arrive", arguments: ServerBackend.enabled)
    func paging(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            try await Self.seed(c, s.admin)
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/events?actor=a0&limit=4" + (cursor.map { "&cursor=\($0)" } ?? "")
                let r = try await c.call(.get, uri, token: s.admin)
                #expect(r.status == .ok, "\(r.text)")
                seen += try ids(r)
                cursor = try r.json()["next_cursor"]?.stringValue
                // New events arrive between pages; they must not shift or repeat what is paged.
                _ = try await c.call(.post, "/v1/events", token: s.admin, json: "{\"action\":\"late\",\"actor\":{\"id\":\"a0\"}}")
                pages += 1
            } while cursor != nil && pages < 20
            #expect(seen == (0..<30).filter { $0 % 3 == 0 }.reversed().map { "q-\($0)" })
            #expect(pages == 3)
            // Ascending order pages too.
            let asc = try await c.call(.get, "/v1/events?actor=a1&order=asc&limit=100", token: s.admin)
            #expect(try ids(asc).prefix(2) == ["q-1", "q-4"])
        }
    }

    @Test(
        "bad filters and cursors are 400 problems naming each parameter",
        arguments: [
            ("bogus=1", ["/query/bogus"]), ("limit=0", ["/query/limit"]), ("limit=1001", ["/query/limit"]), ("limit=x", ["/query/limit"]),
            ("from=yesterday", ["/query/from"]), ("category=nope", ["/query/category"]), ("min_risk=9", ["/query/min_risk"]),
            ("cursor=garbage", ["/query/cursor"]), ("order=up", ["/query/order"]), ("action=a*b", ["/query/action"]),
            ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", ["/query/to"]), ("x=1&y=2", ["/query/x", "/query/y"]),
            ("actor=", ["/query/actor"]),
        ]
    )
    func badQueries(_ query: String, _ pointers: [String]) async throws {
        let s = try await TestServer()
        try await s.test { c in
            let r = try await c.call(.get, "/v1/events?\(query)", token: s.admin)
            #expect(r.status == .badRequest, "\(query): \(r.text)")
            #expect(try r.pointers() == pointers)
        }
    }

    @Test("a cursor only works with the filters it came from")
    func cursorBinding() async throws {
        let s = try await TestServer()
        try await s.test { c in
            try await Self.seed(c, s.admin)
            let r = try await c.call(.get, "/v1/events?actor=a0&limit=2", token: s.admin)
            let cursor = try #require(try r.json()["next_cursor"]?.stringValue)
            #expect(try await c.call(.get, "/v1/events?actor=a0&limit=2&cursor=\(cursor)", token: s.admin).status == .ok)
            #expect(try await c.call(.get, "/v1/events?actor=a1&limit=2&cursor=\(cursor)", token: s.admin).status == .badRequest)
            #expect(try await c.call(.get, "/v1/events?actor=a0&order=asc&cursor=\(cursor)", token: s.admin).status == .badRequest)
        }
    }

    @Test("NDJSON streaming with the cursor in a header")
    func ndjson() async throws {
        let s = try await TestServer()
        try await s.test { c in
            try await Self.seed(c, s.admin)
            let r = try await c.call(.get, "/v1/events?limit=5", token: s.admin, headers: [.accept: "application/x-ndjson"])
            #expect(r.headers[.contentType] == "application/x-ndjson")
            let lines = r.text.split(separator: "\n")
            #expect(lines.count == 5)
            #expect(try JSONParser.parse(String(lines[0]))["event"] != nil)
            #expect(r.headers[HTTPField.Name("Attest-Next-Cursor")!] != nil)
        }
    }

    @Test("an event's detail carries an inclusion proof that verifies against the signed checkpoint", arguments: ServerBackend.enabled)
    func detail(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            try await Self.seed(c, s.admin)
            let key = try Ed25519NoteVerifier(verifierKey: try await c.call(.get, "/v1/pubkey", token: s.admin).text)
            let r = try await c.call(.get, "/v1/events/q-7", token: s.admin)
            #expect(r.status == .ok)
            let j = try r.json()
            let proof = try #require(j["proof"])
            let note = try #require(proof["checkpoint"]?.stringValue)
            let cp = try SignedCheckpoint(verifying: note, with: key).checkpoint
            #expect(cp.size == UInt64(proof["tree_size"]?.intValue ?? -1))
            let leaf = try #require(Hash256(hex: j["hash"]?.stringValue ?? ""))
            let path = (proof["inclusion"]?.arrayValue ?? []).compactMap { Hash256(hex: $0.stringValue ?? "") }
            #expect((try? Merkle.verifyInclusion(leafHash: leaf, index: 7, size: cp.size, proof: path, root: cp.root).get()) != nil)
            #expect(try await c.call(.get, "/v1/events/nope", token: s.admin).status == .notFound)
            #expect(try await c.call(.get, "/v1/events/q-7?x=1", token: s.admin).status == .badRequest)
        }
    }

    @Test("checkpoint, inclusion and consistency proofs verify; bad parameters are 400", arguments: ServerBackend.enabled)
    func proofs(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            try await Self.seed(c, s.admin, count: 20)
            try await Self.seed(c, s.admin, count: 37)  // 17 new (ids q-20…q-36)
            let key = try Ed25519NoteVerifier(verifierKey: try await c.call(.get, "/v1/pubkey", token: s.admin).text)
            let note = try await c.call(.get, "/v1/checkpoint", token: s.admin)
            #expect(note.headers[.contentType]?.hasPrefix("text/plain") == true)
            let cp = try SignedCheckpoint(verifying: note.text, with: key).checkpoint
            #expect(cp.size == 37)
            let inc = try await c.call(.get, "/v1/proofs/inclusion?seq=13&size=30", token: s.admin).json()
            let root30 = try #require(Hash256(hex: inc["root"]?.stringValue ?? ""))
            let leaf = try #require(Hash256(hex: inc["leaf_hash"]?.stringValue ?? ""))
            let path = (inc["inclusion"]?.arrayValue ?? []).compactMap { Hash256(hex: $0.stringValue ?? "") }
            #expect((try? Merkle.verifyInclusion(leafHash: leaf, index: 13, size: 30, proof: path, root: root30).get()) != nil)
            let con = try await c.call(.get, "/v1/proofs/consistency?from=20", token: s.admin).json()
            let old = try #require(Hash256(hex: con["from_root"]?.stringValue ?? ""))
            let cpath = (con["consistency"]?.arrayValue ?? []).compactMap { Hash256(hex: $0.stringValue ?? "") }
            #expect(con["to"]?.intValue == 37)
            #expect((try? Merkle.verifyConsistency(oldSize: 20, newSize: 37, oldRoot: old, newRoot: cp.root, proof: cpath).get()) != nil)
            for bad in [
                "/v1/proofs/inclusion", "/v1/proofs/inclusion?seq=37", "/v1/proofs/inclusion?seq=1&size=99", "/v1/proofs/inclusion?seq=-1",
                "/v1/proofs/consistency", "/v1/proofs/consistency?from=30&to=20", "/v1/proofs/consistency?from=1&to=999",
                "/v1/proofs/inclusion?seq=1&bogus=2",
            ] {
                let r = try await c.call(.get, bad, token: s.admin)
                #expect(r.status == .badRequest, "\(bad): \(r.status)")
            }
        }
    }

    @Test("export streams a bundle that verifies, whole or from a start", arguments: ServerBackend.enabled)
    func export(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            try await Self.seed(c, s.admin)
            let key = try Ed25519NoteVerifier(verifierKey: try await c.call(.get, "/v1/pubkey", token: s.admin).text)
            for q in ["", "?start=7", "?start=3&end=17", "?start=30"] {
                let r = try await c.call(.get, "/v1/export\(q)", token: s.admin)
                #expect(r.status == .ok)
                let report = BundleVerifier.verify(Array(r.body.readableBytesView), pinnedKey: key)
                #expect(report.ok, "\(q): \(report)")
            }
            #expect(try await c.call(.get, "/v1/export?start=9&end=3", token: s.admin).status == .badRequest)
            #expect(try await c.call(.get, "/v1/export?end=100000", token: s.admin).status == .badRequest)
        }
    }

    @Test("every read of audit data is itself recorded as a data_access event naming the reader", arguments: ServerBackend.enabled)
    func readsAreAudited(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            try await Self.seed(c, s.admin, count: 3)
            let auditor = try await c.token(admin: s.admin, name: "aud", role: "auditor")
            _ = try await c.call(.get, "/v1/events?actor=a1", token: auditor)
            _ = try await c.call(.get, "/v1/events/q-1", token: auditor)
            _ = try await c.call(.get, "/v1/export", token: auditor)
            var found: [String] = []
            // Up to a minute (the reads are appended behind the requests; a loaded CI machine has
            // held the cooperative threads for over 30 s), ending as soon as all three are there.
            for _ in 0..<3_000 {
                let r = try await c.call(.get, "/v1/events?category=data_access&actor=token:aud&limit=100", token: s.admin)
                found = try r.json()["items"]?.arrayValue?.compactMap { $0["event"]?["action"]?.stringValue } ?? []
                if found.count >= 3 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Set(found) == ["audit.query", "audit.read", "audit.export"])
        }
    }
}
