import AttestCore
import AttestServer
import AttestStore
import AttestTesting
import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("POST /v1/events")
struct IngestRouteTests {
    static let event = #"{"id":"e-1","action":"tool.execute","actor":{"id":"alice"},"on_behalf_of":{"id":"bob"}}"#

    @Test("one object, an array and NDJSON are appended with receipts and a checkpoint", arguments: ServerBackend.enabled)
    func framings(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            let one = try await c.call(.post, "/v1/events", token: s.admin, json: Self.event)
            #expect(one.status == .created)
            let j = try one.json()
            #expect(j["receipts"]?[0]?["id"]?.stringValue == "e-1")
            #expect(j["receipts"]?[0]?["seq"]?.intValue == 0)
            #expect(j["checkpoint"]?["size"]?.intValue == 1)
            #expect(j["checkpoint"]?["root"]?.stringValue == j["receipts"]?[0]?["hash"]?.stringValue)

            let array = try await c.call(
                .post,
                "/v1/events",
                token: s.admin,
                json: #"[{"action":"a.b","actor":{"id":"x"}},{"action":"a.c","actor":{"id":"y"}}]"#
            )
            #expect(array.status == .created)
            #expect(try array.json()["receipts"]?.arrayValue?.map { $0["seq"]?.intValue } == [1, 2])

            let nd = "{\"action\":\"n.one\",\"actor\":{\"id\":\"z\"}}\n\n{\"action\":\"n.two\",\"actor\":{\"id\":\"z\"}}\r\n"
            let ndjson = try await c.call(.post, "/v1/events", token: s.admin, body: Array(nd.utf8), headers: [.contentType: "application/x-ndjson"])
            #expect(ndjson.status == .created)
            #expect(try ndjson.json()["checkpoint"]?["size"]?.intValue == 5)

            // gzip
            var raw = ByteBuffer(string: #"{"action":"g.z","actor":{"id":"gz"}}"#)
            let zipped = try raw.compress(with: .gzip())
            let gz = try await c.call(
                .post,
                "/v1/events",
                token: s.admin,
                body: Array(zipped.readableBytesView),
                headers: [.contentType: "application/json", .contentEncoding: "gzip"]
            )
            #expect(gz.status == .created, "\(gz.text)")
        }
    }

    @Test("a repeated id returns the first receipt with 200 and adds nothing")
    func idempotent() async throws {
        let s = try await TestServer()
        try await s.test { c in
            let first = try await c.call(.post, "/v1/events", token: s.admin, json: Self.event)
            let again = try await c.call(.post, "/v1/events", token: s.admin, json: Self.event)
            #expect(first.status == .created)
            #expect(again.status == .ok)
            #expect(try again.json()["receipts"] == first.json()["receipts"])
            #expect(try again.json()["checkpoint"]?["size"]?.intValue == 1)
        }
    }

    @Test("an invalid batch is refused whole with every problem listed, and nothing is written")
    func allOrNothing() async throws {
        let s = try await TestServer()
        try await s.test { c in
            let bad = try await c.call(
                .post,
                "/v1/events",
                token: s.admin,
                json:
                    #"[{"action":"ok.one","actor":{"id":"a"}},{"action":"bad action","actor":{}},{"actor":{"id":1}},{"action":"x","actor":{"id":"a"},"extra":1}]"#
            )
            #expect(bad.status == .badRequest)
            #expect(bad.headers[.contentType] == "application/problem+json")
            #expect(try bad.pointers() == ["/1/action", "/1/actor/id", "/2/action", "/2/actor/id", "/3/extra"])
            let cp = try await c.call(.get, "/v1/checkpoint", token: s.admin)
            #expect(cp.text.split(separator: "\n")[1] == "0")
        }
    }

    @Test(
        "bad input of every kind gets a 4xx problem and the log is unchanged",
        arguments: [
            ("not json", "application/json", HTTPResponse.Status.badRequest),
            ("{\"action\":\"a\",\"actor\":{\"id\":\"b\"}", "application/json", .badRequest),
            ("[]", "application/json", .badRequest),
            ("[1,2]", "application/json", .badRequest),
            ("{\"action\":\"a\",\"actor\":{\"id\":\"b\"},\"attributes\":{\"n\":123456789012345678901}}", "application/json", .badRequest),
            ("{\"action\":\"a\",\"action\":\"b\",\"actor\":{\"id\":\"b\"}}", "application/json", .badRequest),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "application/json", .badRequest),
            ("{\"action\":\"a\",\"actor\":{\"id\":\"b\"}}", "text/plain", .unsupportedMediaType),
            ("{\"action\":\"a\",\"actor\":{\"id\":\"b\"}}", "", .unsupportedMediaType),
            ("\n\n", "application/x-ndjson", .badRequest),
            ("{\"action\":\"a\",\"actor\":{\"id\":\"b\"}}\n{oops}\n", "application/x-ndjson", .badRequest),
        ]
    )
    func badInput(_ body: String, _ contentType: String, _ status: HTTPResponse.Status) async throws {
        let s = try await TestServer()
        try await s.test { c in
            let r = try await c.call(
                .post,
                "/v1/events",
                token: s.admin,
                body: Array(body.utf8),
                headers: contentType.isEmpty ? [:] : [.contentType: contentType]
            )
            #expect(r.status == status, "\(r.text)")
            #expect(r.headers[.contentType] == "application/problem+json")
            #expect(try r.json()["status"]?.intValue == Int64(status.code))
            let cp = try await c.call(.get, "/v1/checkpoint", token: s.admin)
            #expect(cp.text.split(separator: "\n")[1] == "0")
        }
    }

    @Test("bodies over the limit get 413, before and after decompression; bad gzip gets 400")
    func limits() async throws {
        let s = try await TestServer { $0.maxBodyBytes = 4096 }
        try await s.test { c in
            let big = "{\"action\":\"a\",\"actor\":{\"id\":\"b\"},\"attributes\":{\"x\":\"\(String(repeating: "y", count: 5000))\"}}"
            let r = try await c.call(.post, "/v1/events", token: s.admin, json: big)
            #expect(r.status == .contentTooLarge)
            var raw = ByteBuffer(string: big)
            let zipped = try raw.compress(with: .gzip())
            #expect(zipped.readableBytes < 4096)
            let z = try await c.call(
                .post,
                "/v1/events",
                token: s.admin,
                body: Array(zipped.readableBytesView),
                headers: [.contentType: "application/json", .contentEncoding: "gzip"]
            )
            #expect(z.status == .contentTooLarge)
            let notGzip = try await c.call(
                .post,
                "/v1/events",
                token: s.admin,
                body: Array("hello".utf8),
                headers: [.contentType: "application/json", .contentEncoding: "gzip"]
            )
            #expect(notGzip.status == .badRequest)
            let br = try await c.call(
                .post,
                "/v1/events",
                token: s.admin,
                body: Array("hello".utf8),
                headers: [.contentType: "application/json", .contentEncoding: "br"]
            )
            #expect(br.status == .unsupportedMediaType)
            let cp = try await c.call(.get, "/v1/checkpoint", token: s.admin)
            #expect(cp.text.split(separator: "\n")[1] == "0")
        }
    }

    @Test("concurrent requests are group-committed into one chain with no gaps", arguments: ServerBackend.enabled)
    func concurrent(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            let receipts = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let body = (0..<5).map { "{\"action\":\"c.\(i)\",\"actor\":{\"id\":\"u\($0)\"}}" }.joined(separator: ",")
                        let r = try await c.call(.post, "/v1/events", token: s.admin, json: "[\(body)]")
                        return try r.json()["receipts"]?.arrayValue?.compactMap { $0["seq"]?.intValue } ?? []
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(receipts.sorted() == (0..<200).map(Int64.init))
            let v = await StoreVerifier.verify(
                store: s.components.store,
                tenant: "default",
                key: try Ed25519NoteVerifier(verifierKey: try await c.call(.get, "/v1/pubkey", token: s.admin).text)
            )
            #expect(v.ok, "\(v)")
            #expect(v.checkpointsChecked < 41, "concurrent requests should share transactions")
        }
    }

    @Test("sensitive values are replaced by HMACs before hashing; /v1/hash reproduces them")
    func sensitive() async throws {
        let s = try await TestServer()
        try await s.test { c in
            let body =
                #"{"id":"s-1","action":"login","actor":{"id":"alice"},"attributes":{"password":"hunter2","note":"key AKIAIOSFODNN7EXAMPLE here"}}"#
            #expect(try await c.call(.post, "/v1/events", token: s.admin, json: body).status == .created)
            let stored = try await c.call(.get, "/v1/events/s-1", token: s.admin).json()
            let hmac = try #require(stored["event"]?["attributes"]?["password"]?["hmac"]?.stringValue)
            #expect(hmac.hasPrefix("hmac-sha256:"))
            #expect(stored["event"]?["attributes"]?["note"]?.stringValue?.contains("AKIAIOSFODNN7EXAMPLE") == false)
            let asked = try await c.call(.post, "/v1/hash", token: s.admin, json: #"{"value":"hunter2"}"#)
            #expect(try asked.json()["hmac"]?.stringValue == hmac)
            let wrong = try await c.call(.post, "/v1/hash", token: s.admin, json: #"{"value":"hunter3"}"#)
            #expect(try wrong.json()["hmac"]?.stringValue != hmac)
            #expect(try await c.call(.post, "/v1/hash", token: s.admin, json: #"{"nope":1}"#).pointers() == ["/nope", "/value"])
        }
    }
}
