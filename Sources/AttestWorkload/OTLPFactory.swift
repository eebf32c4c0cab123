import AttestOTLPProto
import Foundation
import SwiftProtobuf

/// OTLP/HTTP bodies: one ExportLogsServiceRequest of Claude Code `tool_result` records with the
/// attributes Claude Code documents. Attest derives OTLP event ids from the record's content, so
/// every record carries a 16-byte marker that is overwritten per request (same length, so the
/// protobuf stays valid) and no two requests repeat records.
public enum OTLPFactory {
    public static let marker = Array("MARKERMARKERMARK".utf8)

    public static func body(records: Int, seed: UInt64) throws -> [UInt8] {
        var rng = SplitMix64(state: seed)
        func kv(_ key: String, _ value: String) -> Opentelemetry_Proto_Common_V1_KeyValue {
            var kv = Opentelemetry_Proto_Common_V1_KeyValue()
            kv.key = key
            kv.value.stringValue = value
            return kv
        }
        func kv(_ key: String, _ value: Int) -> Opentelemetry_Proto_Common_V1_KeyValue {
            var kv = Opentelemetry_Proto_Common_V1_KeyValue()
            kv.key = key
            kv.value.intValue = Int64(value)
            return kv
        }
        var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
        scope.scope.name = "com.anthropic.claude_code.events"
        for i in 0..<records {
            var record = Opentelemetry_Proto_Logs_V1_LogRecord()
            record.timeUnixNano = 1_796_137_200_000_000_000 + UInt64(i) * 1000
            record.observedTimeUnixNano = record.timeUnixNano
            record.body.stringValue = "claude_code.tool_result"
            let words = (0..<Int.random(in: 3...30, using: &rng)).map { _ in EventFactory.words.randomElement(using: &rng)! }
            let parameters = "{\"bash_command\":\"\(words[0])\",\"full_command\":\"\(words.joined(separator: " "))\"}"
            record.attributes = [
                kv("event.name", "tool_result"), kv("event.timestamp", "2026-12-01T10:00:00.000Z"), kv("event.sequence", i),
                kv("prompt.id", String(decoding: marker, as: UTF8.self)),
                kv("session.id", "sess-\(Int.random(in: 0..<50, using: &rng))"),
                kv("user.email", "user-\(Int.random(in: 0..<100, using: &rng))@example.com"),
                kv("user.account_uuid", "acct-\(Int.random(in: 0..<100, using: &rng))"), kv("organization.id", "org-1"),
                kv("terminal.type", "vscode"), kv("app.version", "2.1.214"), kv("tool_name", "Bash"),
                kv("tool_use_id", "toolu_\(i)"), kv("success", "true"), kv("duration_ms", Int.random(in: 10...900, using: &rng)),
                kv("decision_type", "accept"), kv("decision_source", "config"),
                kv("tool_result_size_bytes", Int.random(in: 100...5000, using: &rng)), kv("tool_parameters", parameters),
            ]
            scope.logRecords.append(record)
        }
        var resource = Opentelemetry_Proto_Logs_V1_ResourceLogs()
        resource.resource.attributes = [kv("service.name", "claude-code"), kv("service.version", "2.1.214"), kv("os.type", "linux")]
        resource.scopeLogs = [scope]
        var request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest()
        request.resourceLogs = [resource]
        return try request.serializedBytes()
    }

    /// Offsets of every marker in `body`.
    public static func markerOffsets(_ body: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var i = 0
        while i + marker.count <= body.count {
            if body[i] == marker[0] && Array(body[i..<i + marker.count]) == marker {
                offsets.append(i)
                i += marker.count
            } else {
                i += 1
            }
        }
        return offsets
    }

    /// A copy of `body` with each marker replaced by a 16-character token unique to (run, request).
    public static func stamp(_ body: [UInt8], offsets: [Int], run: UInt32, request: Int) -> [UInt8] {
        var out = body
        let token = Array((String(run, radix: 16) + "-" + String(request, radix: 16)).utf8)
        for offset in offsets {
            for k in 0..<marker.count {
                out[offset + k] = k < 16 - token.count ? UInt8(ascii: "0") : token[k - (16 - token.count)]
            }
        }
        return out
    }
}
