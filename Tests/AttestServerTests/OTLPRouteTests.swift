import AttestCore
import AttestOTLP
import AttestOTLPProto
import AttestServer
import AttestStore
import AttestTesting
import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwiftProtobuf
import Testing

/// OTLP/HTTP in-process: typed events from agent records, idempotent retries, spans over OTLP/JSON,
/// metrics into usage analytics, and every refusal as a google.rpc.Status that changes nothing.
@Suite("OTLP/HTTP routes")
struct OTLPRouteTests {
    typealias KV = Opentelemetry_Proto_Common_V1_KeyValue

    static func kv(_ k: String, _ v: String) -> KV {
        .with {
            $0.key = k
            $0.value.stringValue = v
        }
    }

    /// `n` Claude Code tool_result records (Bash, one risky command among them).
    static func logs(_ n: Int, session: String = "s-1") -> OTLPLogsRequest {
        .with {
            $0.resourceLogs = [
                .with {
                    $0.resource.attributes = [kv("service.name", "claude-code"), kv("service.version", "2.1.0")]
                    $0.scopeLogs = [
                        .with {
                            $0.scope.name = "com.anthropic.claude_code.events"
                            $0.logRecords = (0..<n).map { i in
                                .with {
                                    $0.timeUnixNano = 1_796_137_200_000_000_000 + UInt64(i)
                                    $0.body.stringValue = "claude_code.tool_result"
                                    $0.attributes = [
                                        kv("event.name", "tool_result"), kv("session.id", session), kv("user.email", "dev@example.com"),
                                        kv("tool_name", "Bash"), kv("success", "true"), kv("duration_ms", "\(10 + i)"),
                                        kv("tool_parameters", i == 0 ? #"{"full_command":"git push --force"}"# : #"{"full_command":"ls \#(i)"}"#),
                                    ]
                                }
                            }
                        }
                    ]
                }
            ]
        }
    }

    static func size(_ c: some TestClientProtocol, _ token: String) async throws -> Int {
        let r = try await c.call(.get, "/v1/checkpoint", token: token)
        return Int(r.text.split(separator: "\n")[1])!
    }

    static func events(_ c: some TestClientProtocol, _ token: String, _ query: String) async throws -> [JSONValue] {
        for _ in 0..<1_200 {  // up to a minute on a loaded machine; returns at the first page with items
            let r = try await c.call(.get, "/v1/events?\(query)", token: token)
            let items = try r.json()["items"]?.arrayValue ?? []
            if !items.isEmpty { return items }
            try await Task.sleep(for: .milliseconds(50))
        }
        return []
    }

    @Test("Claude Code logs over protobuf become typed, risk-classified events; a retried request adds nothing", arguments: ServerBackend.enabled)
    func logsProtobuf(_ backend: ServerBackend) async throws {
        let s = try await TestServer(backend: backend)
        try await s.test { c in
            let body: [UInt8] = try Self.logs(3).serializedBytes()
            let headers: HTTPFields = [.contentType: "application/x-protobuf"]
            let r = try await c.call(.post, "/v1/logs", token: s.admin, body: body, headers: headers)
            #expect(r.status == .ok && r.headers[.contentType] == "application/x-protobuf")
            let reply = try OTLPLogsResponse(serializedBytes: Array(r.body.readableBytesView))
            #expect(!reply.hasPartialSuccess)
            let size = try await Self.size(c, s.admin)
            #expect(size == 3)
            // The exporter retries the same request (e.g. after a timeout): nothing is added twice.
            let again = try await c.call(.post, "/v1/logs", token: s.admin, body: body, headers: headers)
            #expect(again.status == .ok)
            #expect(try await Self.size(c, s.admin) == size)
            // The same bytes gzip'd are the same request; another request (one record more) is not.
            var raw = ByteBuffer(bytes: body)
            let zipped = try raw.compress(with: .gzip())
            let gzipped = try await c.call(
                .post,
                "/v1/logs",
                token: s.admin,
                body: Array(zipped.readableBytesView),
                headers: [.contentType: "application/x-protobuf", .contentEncoding: "gzip"]
            )
            #expect(gzipped.status == .ok)
            #expect(try await Self.size(c, s.admin) == size)
            let other = try await c.call(.post, "/v1/logs", token: s.admin, body: try Self.logs(4).serializedBytes(), headers: headers)
            #expect(other.status == .ok)
            #expect(try await Self.size(c, s.admin) == size + 4)

            let items = try await Self.events(c, s.admin, "category=tool_call&order=asc")
            #expect(items.count == 7)
            let first = try #require(items.first?["event"])
            #expect(first["action"] == "command.execute" && first["actor"]?["type"] == "agent")
            #expect(first["on_behalf_of"] == .object(["id": "dev@example.com"]))
            #expect(first["risk"]?["level"] == "high")
            // OTLP.md: otlp- and 32 hex digits of SHA-256(SHA-256(body) ‖ position).
            let position = Array("/resourceLogs/0/scopeLogs/0/logRecords/0".utf8)
            let expectedID = "otlp-" + Hash256.sha256(Hash256.sha256(body).bytes + position).hex.prefix(32)
            #expect(first["id"]?.stringValue == expectedID)
            let risky = try await Self.events(c, s.admin, "min_risk=high")
            #expect(risky.count == 2)
            // Each tool call counted once in usage analytics.
            let usage = try await c.call(.get, "/v1/analytics/usage?group_by=user", token: s.admin)
            #expect(usage.status == .ok)
            #expect(try usage.json()["items"]?[0]?["tool_calls"] == .int(7))
            #expect(try usage.json()["items"]?[0]?["key"] == "dev@example.com")
        }
    }

    @Test("usage of answered log records is written just behind them without a query, and at shutdown")
    func usageWrittenBehind() async throws {
        let s = try await TestServer()
        let headers: HTTPFields = [.contentType: "application/x-protobuf"]
        let toolCalls: @Sendable () async throws -> Double? = {
            try await s.components.store.usage(tenant: "default", from: nil, to: nil, groupBy: .user).first?.totals[.toolCalls]
        }
        try await s.test { c in
            let r = try await c.call(.post, "/v1/logs", token: s.admin, body: try Self.logs(3).serializedBytes(), headers: headers)
            #expect(r.status == .ok)
            // Straight from the store, no usage query: the recorder writes within about 250 ms.
            var seen: Double?
            for _ in 0..<1_200 where seen == nil {  // up to a minute on a loaded machine
                seen = try await toolCalls()
                if seen == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(seen == 3)
            // Answered just before shutdown: written as the services stop.
            let last = try await c.call(.post, "/v1/logs", token: s.admin, body: try Self.logs(5, session: "s-2").serializedBytes(), headers: headers)
            #expect(last.status == .ok)
        }
        #expect(try await toolCalls() == 3 + 5)
    }

    @Test("spans over OTLP/JSON (hex ids, string nanos, integer enums, unknown fields), gzip, answered in JSON")
    func tracesJSON() async throws {
        let s = try await TestServer()
        try await s.test { c in
            let text = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-agent"}}]},
                "scopeSpans":[{"scope":{"name":"my.agent"},"spans":[
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"execute_tool run_sql","kind":1,
                 "startTimeUnixNano":"1796137200000000000","endTimeUnixNano":1796137200500000000,"futureField":{"x":1},
                 "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},
                               {"key":"gen_ai.tool.name","value":{"stringValue":"run_sql"}},
                               {"key":"gen_ai.tool.call.arguments","value":{"stringValue":"{\\"query\\":\\"DROP TABLE users\\"}"}},
                               {"key":"enduser.id","value":{"stringValue":"alice"}}],
                 "status":{"code":2,"message":"denied by policy"}},
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"aaa19b7ec3c1b174","name":"GET /","kind":2,
                 "startTimeUnixNano":"1796137200000000000","endTimeUnixNano":"1796137200100000000"}]}]}]}
                """
            var raw = ByteBuffer(string: text)
            let zipped = try raw.compress(with: .gzip())
            let r = try await c.call(
                .post,
                "/v1/traces",
                token: s.admin,
                body: Array(zipped.readableBytesView),
                headers: [.contentType: "application/json", .contentEncoding: "gzip"]
            )
            #expect(r.status == .ok && r.headers[.contentType] == "application/json")
            #expect(r.text == "{}")
            let tool = try await Self.events(c, s.admin, "category=tool_call")
            let e = try #require(tool.first?["event"])
            #expect(e["outcome"] == .object(["status": "error", "reason": "denied by policy"]))
            #expect(e["session"]?["trace_id"] == "5b8efff798038103d269b633813fc60c" && e["session"]?["span_id"] == "eee19b7ec3c1b174")
            #expect(e["risk"]?["level"] == "high" && e["on_behalf_of"]?["id"] == "alice")
            let other = try await Self.events(c, s.admin, "action=telemetry.span")
            #expect(other.first?["event"]?["attributes"]?["otlp"]?["kind"] == "server")
        }
    }

    @Test("metrics feed usage analytics (cumulative turned into increases), not the ledger; the usage route groups and filters")
    func metrics() async throws {
        let s = try await TestServer()
        try await s.test { c in
            func request(_ tokens: Int64, cost: Double, time: UInt64) -> OTLPMetricsRequest {
                .with {
                    $0.resourceMetrics = [
                        .with {
                            $0.resource.attributes = [Self.kv("service.name", "claude-code")]
                            $0.scopeMetrics = [
                                .with {
                                    $0.metrics = [
                                        .with {
                                            $0.name = "claude_code.token.usage"
                                            $0.sum = .with {
                                                $0.aggregationTemporality = .cumulative
                                                $0.isMonotonic = true
                                                $0.dataPoints = [
                                                    .with {
                                                        $0.asInt = tokens
                                                        $0.startTimeUnixNano = 1_796_137_000_000_000_000
                                                        $0.timeUnixNano = time
                                                        $0.attributes = [
                                                            Self.kv("type", "input"), Self.kv("model", "claude-sonnet-4-5"),
                                                            Self.kv("user.email", "dev@example.com"),
                                                        ]
                                                    }
                                                ]
                                            }
                                        },
                                        .with {
                                            $0.name = "claude_code.cost.usage"
                                            $0.sum = .with {
                                                $0.aggregationTemporality = .delta
                                                $0.dataPoints = [
                                                    .with {
                                                        $0.asDouble = cost
                                                        $0.timeUnixNano = time
                                                        $0.attributes = [
                                                            Self.kv("model", "claude-sonnet-4-5"), Self.kv("user.email", "dev@example.com"),
                                                        ]
                                                    }
                                                ]
                                            }
                                        },
                                        .with {
                                            $0.name = "claude_code.token.usage"
                                            $0.sum = .with {
                                                $0.aggregationTemporality = .delta
                                                $0.dataPoints = [
                                                    .with {
                                                        $0.asInt = 5
                                                        $0.attributes = [Self.kv("type", "thinking")]
                                                    }
                                                ]
                                            }
                                        },
                                    ]
                                }
                            ]
                        }
                    ]
                }
            }
            let headers: HTTPFields = [.contentType: "application/x-protobuf"]
            let first = try await c.call(
                .post,
                "/v1/metrics",
                token: s.admin,
                body: try request(1000, cost: 0.5, time: 1_796_137_200_000_000_000).serializedBytes(),
                headers: headers
            )
            #expect(first.status == .ok)
            let reply = try OTLPMetricsResponse(serializedBytes: Array(first.body.readableBytesView))
            #expect(reply.partialSuccess.rejectedDataPoints == 1 && reply.partialSuccess.errorMessage.contains("thinking"))
            _ = try await c.call(
                .post,
                "/v1/metrics",
                token: s.admin,
                body: try request(1600, cost: 0.25, time: 1_796_223_600_000_000_000).serializedBytes(),
                headers: headers
            )
            #expect(try await Self.size(c, s.admin) == 0)

            let byModel = try await c.call(.get, "/v1/analytics/usage?group_by=model", token: s.admin)
            let item = try #require(try byModel.json()["items"]?[0])
            #expect(item["key"] == "claude-sonnet-4-5" && item["input_tokens"] == .int(1600) && item["tokens"] == .int(1600))
            #expect(item["cost_usd"] == .double(0.75) && item["commits"] == .int(0))
            let byDay = try await c.call(.get, "/v1/analytics/usage?group_by=day&from=2026-12-02T00:00:00Z", token: s.admin)
            #expect(try byDay.json()["items"]?.arrayValue?.map { $0["key"] } == ["2026-12-02"])
            #expect(try byDay.json()["items"]?[0]?["input_tokens"] == .int(600))

            let bad = try await c.call(.get, "/v1/analytics/usage?group_by=team&from=yesterday&limit=3", token: s.admin)
            #expect(bad.status == .badRequest)
            #expect(try bad.pointers().sorted() == ["/query/limit"])
            let bad2 = try await c.call(.get, "/v1/analytics/usage?group_by=team&from=yesterday", token: s.admin)
            #expect(try bad2.pointers().sorted() == ["/query/from", "/query/group_by"])
            let ingest = try await c.token(admin: s.admin, name: "writer", role: "ingest")
            #expect(try await c.call(.get, "/v1/analytics/usage", token: ingest).status == .forbidden)
            let auditor = try await c.token(admin: s.admin, name: "auditor", role: "auditor")
            #expect(try await c.call(.get, "/v1/analytics/usage", token: auditor).status == .ok)
        }
    }

    @Test("refusals are google.rpc.Status bodies with the right code, and change nothing", arguments: ["/v1/logs", "/v1/traces", "/v1/metrics"])
    func refusals(_ path: String) async throws {
        let s = try await TestServer { $0.maxBodyBytes = 4096 }
        try await s.test { c in
            let before = try await Self.size(c, s.admin)
            func status(_ r: TestResponse) throws -> (Int32, String) {
                let bytes = Array(r.body.readableBytesView)
                #expect(r.headers[.contentType] == "application/x-protobuf", "\(path) \(r.status)")
                // google.rpc.Status: field 1 code (varint), field 2 message.
                var code: Int32 = 0
                var message = ""
                var i = 0
                while i < bytes.count {
                    let tag = bytes[i]
                    i += 1
                    var v: UInt64 = 0
                    var shift: UInt64 = 0
                    while true {
                        let b = bytes[i]
                        i += 1
                        v |= UInt64(b & 0x7F) << shift
                        shift += 7
                        if b & 0x80 == 0 { break }
                    }
                    if tag == 0x08 {
                        code = Int32(truncatingIfNeeded: v)
                    } else if tag == 0x12 {
                        message = String(decoding: bytes[i..<i + Int(v)], as: UTF8.self)
                        i += Int(v)
                    }
                }
                return (code, message)
            }
            let proto: HTTPFields = [.contentType: "application/x-protobuf"]
            let noToken = try await c.call(.post, path, token: nil, body: [], headers: proto)
            #expect(noToken.status == .unauthorized)
            #expect(try status(noToken).0 == 16)
            let malformed = try await c.call(.post, path, token: s.admin, body: [0xFF, 0xFF, 0xFF, 0x01], headers: proto)
            #expect(malformed.status == .badRequest)
            let (code, message) = try status(malformed)
            #expect(code == 3 && message.contains("not an OTLP"))
            let badGzip = try await c.call(
                .post,
                path,
                token: s.admin,
                body: Array("nope".utf8),
                headers: [.contentType: "application/x-protobuf", .contentEncoding: "gzip"]
            )
            #expect(badGzip.status == .badRequest)
            #expect(try status(badGzip).1.contains("gzip"))
            let wrongType = try await c.call(.post, path, token: s.admin, body: [], headers: [.contentType: "text/plain"])
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(try status(wrongType).0 == 3)
            let big = try await c.call(.post, path, token: s.admin, body: [UInt8](repeating: 0, count: 5000), headers: proto)
            #expect(big.status == .contentTooLarge)
            let badJSON = try await c.call(.post, path, token: s.admin, json: #"{"resourceLogs": 7, "resourceSpans": 7, "resourceMetrics": 7}"#)
            #expect(badJSON.status == .badRequest && badJSON.headers[.contentType] == "application/json")
            #expect(try badJSON.json()["code"] == .int(3))
            let unknownParam = try await c.call(.post, path + "?x=1", token: s.admin, body: [], headers: proto)
            #expect(unknownParam.status == .badRequest)
            #expect(try await Self.size(c, s.admin) == before)
            #expect(try await c.call(.get, "/v1/analytics/usage", token: s.admin).json()["items"] == .array([]))
        }
    }

    @Test("a record that cannot make a valid event is counted in partial_success; the others are appended")
    func partialSuccess() async throws {
        let s = try await TestServer()
        try await s.test { c in
            var request = Self.logs(3)
            // A session id with a control character makes an invalid event (long values are cut to fit instead).
            request.resourceLogs[0].scopeLogs[0].logRecords[1].attributes.append(Self.kv("session.id", "bad\u{01}id"))
            request.resourceLogs[0].scopeLogs[0].logRecords[2].attributes.append(Self.kv("model", String(repeating: "m", count: 300)))
            request.resourceLogs[0].scopeLogs[0].logRecords[1].attributes.removeAll { $0.key == "session.id" && $0.value.stringValue == "s-1" }
            let r = try await c.call(
                .post,
                "/v1/logs",
                token: s.admin,
                body: try request.serializedBytes(),
                headers: [.contentType: "application/x-protobuf"]
            )
            #expect(r.status == .ok)
            let reply = try OTLPLogsResponse(serializedBytes: Array(r.body.readableBytesView))
            #expect(reply.partialSuccess.rejectedLogRecords == 1)
            #expect(reply.partialSuccess.errorMessage.contains("/resourceLogs/0/scopeLogs/0/logRecords/1"))
            #expect(try await Self.size(c, s.admin) == 2)
            let items = try await Self.events(c, s.admin, "category=tool_call&order=asc")
            let cut = try #require(items.last?["event"]?["agent"]?["model"]?.stringValue)
            #expect(cut.count == 256 && cut.hasSuffix("…"))
        }
    }

    @Test("a full ingest queue answers 429 with Retry-After; nothing is half-written")
    func throttling() async throws {
        let s = try await TestServer { $0.queueEvents = 1 }
        try await s.test { c in
            let body: [UInt8] = try Self.logs(50).serializedBytes()
            var throttled = 0
            var accepted = 0
            for round in 0..<5 where throttled == 0 {
                let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?, Int32?).self) { group in
                    for i in 0..<24 {
                        // A distinct session per request, so no two requests are the same events.
                        let b: [UInt8] = try Self.logs(50, session: "r\(round)-\(i)").serializedBytes()
                        group.addTask {
                            let r = try await c.call(.post, "/v1/logs", token: s.admin, body: b, headers: [.contentType: "application/x-protobuf"])
                            let code: Int32? = r.status == .tooManyRequests ? 8 : nil
                            return (r.status, r.headers[.retryAfter], code)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for (status, retry, _) in statuses {
                    if status == .tooManyRequests {
                        throttled += 1
                        #expect(retry == "1")
                    } else {
                        #expect(status == .ok)
                        accepted += 1
                    }
                }
            }
            _ = body
            #expect(throttled > 0, "24 concurrent requests against a queue of 1 were never throttled")
            #expect(try await Self.size(c, s.admin) == accepted * 50)
        }
    }
}
