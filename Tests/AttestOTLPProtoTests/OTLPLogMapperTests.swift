import AttestCore
import AttestOTLP
import AttestOTLPProto
import Foundation
import SwiftProtobuf
import Testing

/// The generic OTLP log mapping (records no agent rule knows): every record an event that
/// validates, nothing dropped.
@Suite("OTLP log records as audit events")
struct OTLPLogMapperTests {
    typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue
    typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue

    static func kv(_ key: String, _ value: AnyValue.OneOf_Value) -> KeyValue {
        KeyValue.with {
            $0.key = key
            $0.value = AnyValue.with { $0.value = value }
        }
    }

    static func request(_ records: [Opentelemetry_Proto_Logs_V1_LogRecord], resource: [KeyValue]) -> OTLPLogsRequest {
        OTLPLogsRequest.with {
            $0.resourceLogs = [
                .with {
                    $0.resource = .with { $0.attributes = resource }
                    $0.scopeLogs = [
                        .with {
                            $0.scope = .with {
                                $0.name = "com.anthropic.claude_code"
                                $0.version = "2.1.0"
                            }
                            $0.logRecords = records
                        }
                    ]
                }
            ]
        }
    }

    @Test("a record keeps every attribute, the resource, the body and trace context, and validates as an event")
    func mapping() throws {
        let record = Opentelemetry_Proto_Logs_V1_LogRecord.with {
            $0.timeUnixNano = 1_796_157_372_608_066_648
            $0.severityNumber = .info
            $0.severityText = "INFO"
            $0.eventName = "claude_code.feedback_survey"
            $0.traceID = Data(repeating: 0xAB, count: 16)
            $0.spanID = Data(repeating: 0x01, count: 8)
            $0.body = AnyValue.with { $0.value = .kvlistValue(.with { $0.values = [Self.kv("k", .intValue(7))] }) }
            $0.attributes = [
                Self.kv("user.id", .stringValue("u-42")), Self.kv("session.id", .stringValue("s-1")),
                Self.kv("decision", .stringValue("accept")), Self.kv("ratio", .doubleValue(0.5)), Self.kv("ok", .boolValue(true)),
                Self.kv("raw", .bytesValue(Data([1, 2, 3]))),
                Self.kv("list", .arrayValue(.with { $0.values = [AnyValue.with { $0.value = .stringValue("a") }] })),
            ]
        }
        let mapped = OTLPLogMapper.map(Self.request([record], resource: [Self.kv("service.name", .stringValue("claude-code"))]))
        #expect(mapped.count == 1 && mapped[0].pointer == "/resourceLogs/0/scopeLogs/0/logRecords/0")
        guard case .success(let event) = AuditEvent.validate(mapped[0].event, receivedAt: .now()) else {
            Issue.record("the mapped event does not validate: \(mapped[0].event)")
            return
        }
        let e = try #require(event.value.objectValue)
        #expect(e["action"] == .string("claude_code.feedback_survey"))
        #expect(e["actor"] == .object(["type": "human", "id": "u-42"]))
        #expect(e["time"] == .string("2026-12-01T20:36:12.608066Z"))
        #expect(e["session"] == .object(["id": "s-1", "trace_id": .string(String(repeating: "ab", count: 16)), "span_id": "0101010101010101"]))
        let otlp = try #require(e["attributes"]?.objectValue?["otlp"]?.objectValue)
        #expect(otlp["body"] == .object(["k": .int(7)]))
        #expect(otlp["attributes"]?.objectValue?["raw"] == .string("AQID"))
        #expect(otlp["attributes"]?.objectValue?["list"] == .array(["a"]))
        #expect(otlp["scope"]?.objectValue?["name"] == .string("com.anthropic.claude_code"))
        #expect(otlp["severity_number"] == .int(9))
        #expect(e["source"] == .object(["ingest": "otlp", "system": "claude-code"]))
    }

    @Test("a record without a body has no body member; an empty body is null")
    func absentBody() throws {
        let without = Opentelemetry_Proto_Logs_V1_LogRecord.with { $0.eventName = "my_agent.step" }
        let empty = Opentelemetry_Proto_Logs_V1_LogRecord.with {
            $0.eventName = "my_agent.step"
            $0.body = AnyValue()
        }
        let mapped = OTLPLogMapper.map(Self.request([without, empty], resource: []))
        let otlp = try mapped.map { try #require($0.event["attributes"]?["otlp"]?.objectValue) }
        #expect(otlp[0]["body"] == nil)
        #expect(otlp[1]["body"] == .null)
    }

    @Test("values longer than the schema allows are cut to the limit with an ellipsis, counted in scalars; others are kept as sent")
    func longValuesFit() throws {
        let limit = 256  // actor.id, session.id, source.version
        let long = String(repeating: "é", count: limit + 10)  // 2 UTF-8 bytes a scalar
        let exact = String(repeating: "é", count: limit)  // 512 bytes but only 256 scalars: kept
        let record = Opentelemetry_Proto_Logs_V1_LogRecord.with {
            $0.eventName = "acme.check"
            $0.attributes = [Self.kv("user.id", .stringValue(long)), Self.kv("session.id", .stringValue(exact))]
        }
        let mapped = OTLPLogMapper.map(
            Self.request([record], resource: [Self.kv("service.name", .stringValue("svc")), Self.kv("service.version", .stringValue(long))])
        )
        let e = try #require(mapped.first?.event.objectValue)
        let cut = String(repeating: "é", count: limit - 1) + "…"
        #expect(e["actor"]?["id"] == .string(cut))
        #expect(e["session"]?["id"] == .string(exact))
        #expect(e["source"]?["version"] == .string(cut))
        // The whole record under attributes.otlp (any JSON, no limit) keeps the value as sent.
        #expect(e["attributes"]?["otlp"]?["attributes"]?["user.id"] == .string(long))
        guard case .success = AuditEvent.validate(.object(e), receivedAt: .now()) else {
            Issue.record("the fitted event does not validate")
            return
        }
    }

    @Test("event names become dotted actions; no name is telemetry.log; no user is the service")
    func names() throws {
        #expect(OTLPLogMapper.actionName("codex.tool_result") == "codex.tool_result")
        #expect(OTLPLogMapper.actionName("User Prompt!") == "telemetry.user_prompt_")
        #expect(OTLPLogMapper.actionName("..") == "telemetry.log")
        let bare = OTLPLogMapper.map(Self.request([.with { $0.body = .with { $0.value = .stringValue("x") } }], resource: []))
        let e = try #require(bare[0].event.objectValue)
        #expect(e["action"] == .string("telemetry.log"))
        #expect(e["actor"] == .object(["type": "service", "id": "otlp"]))
        #expect(e["time"] == nil)
        // The attribute spellings agents use for the event name are found too.
        let viaAttribute = OTLPLogMapper.map(
            Self.request([.with { $0.attributes = [Self.kv("event.name", .stringValue("acme.audit_ping"))] }], resource: [])
        )
        #expect(viaAttribute[0].event.objectValue?["action"] == .string("acme.audit_ping"))
    }

    @Test("OTLP/JSON hex ids are turned into what protobuf JSON expects, and decode to the right bytes")
    func jsonIDs() throws {
        let text = """
            {"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
            "timeUnixNano":"1544712660300000000","body":{"stringValue":"x"},"unknownField":1}]}]}]}
            """
        let value = OTLPJSON.normalizeIDs(try JSONParser.parse(Array(text.utf8)))
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        let decoded = try OTLPLogsRequest(jsonUTF8Bytes: value.canonicalBytes, options: options)
        let record = decoded.resourceLogs[0].scopeLogs[0].logRecords[0]
        #expect(record.traceID.map { String(format: "%02x", $0) }.joined() == "5b8efff798038103d269b633813fc60c")
        #expect(record.spanID.count == 8)
        #expect(record.timeUnixNano == 1_544_712_660_300_000_000)
    }

    @Test("the 400 body is a google.rpc.Status in protobuf")
    func status() throws {
        let bytes = OTLPJSON.statusProtobuf(code: 3, message: "bad")
        #expect(bytes == [0x08, 0x03, 0x12, 0x03] + Array("bad".utf8))
        let long = OTLPJSON.statusProtobuf(code: 3, message: String(repeating: "x", count: 200))
        #expect(Array(long.prefix(5)) == [0x08, 0x03, 0x12, 0xC8, 0x01])
    }
}

@Suite("OTLP/JSON id rewrite on text")
struct OTLPJSONTextTests {
    @Test("hex ids become base64 by key, anywhere; other strings, escapes and 64-bit numbers are untouched")
    func rewrite() throws {
        let text =
            #"{"traceId" : "5b8efff798038103d269b633813fc60c","x":"spanId","spanId":"eee19b7ec3c1b174","n":18446744073709551615,"#
            + #""s":"a \"spanId\": \"00\"","links":[{"parentSpanId":"0102"}],"bad":"zz","spanId2":"00"}"#
        let out = String(decoding: OTLPJSON.normalizeIDs(json: Array(text.utf8)), as: UTF8.self)
        #expect(
            out == #"{"traceId" : "W47/95gDgQPSabYzgT/GDA==","x":"spanId","spanId":"7uGbfsPBsXQ=","n":18446744073709551615,"#
                + #""s":"a \"spanId\": \"00\"","links":[{"parentSpanId":"AQI="}],"bad":"zz","spanId2":"00"}"#
        )
        // A value that is not hex is left for the decoder to refuse; truncated text is passed through.
        #expect(OTLPJSON.normalizeIDs(json: Array(#"{"spanId":"xyz"}"#.utf8)) == Array(#"{"spanId":"xyz"}"#.utf8))
        #expect(OTLPJSON.normalizeIDs(json: Array(#"{"spanId":"00"#.utf8)) == Array(#"{"spanId":"00"#.utf8))
    }
}
