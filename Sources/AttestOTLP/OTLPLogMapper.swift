import AttestCore
import AttestOTLPProto
import Foundation
import SwiftProtobuf

public typealias OTLPLogsRequest = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest
public typealias OTLPLogsResponse = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse

/// OTLP log records as audit events: the generic mapping, which keeps everything.
///
/// Each record becomes one `telemetry` event whose `action` is the record's event name (the
/// `event_name` field, else the `event.name` or `event_name` attribute, as agents such as Claude
/// Code and Codex send it), else `telemetry.log`. The actor comes from `user.id`/`user.email`/
/// `user.account_uuid` (a human), else `service.name` (a service). Every record attribute, the
/// resource attributes, the scope, the body, severity and trace context are kept under
/// `attributes.otlp`: nothing is dropped. (Agent-specific mappings to tool_call, model_call,
/// policy_decision and so on are the next step of the OTLP issue.)
public enum OTLPLogMapper {
    /// One mapped record and where it came from (for problem pointers and partial_success).
    public struct Mapped: Sendable {
        public let pointer: String
        public let event: JSONValue
    }

    public static func map(_ request: OTLPLogsRequest) -> [Mapped] {
        var out: [Mapped] = []
        for (ri, rl) in request.resourceLogs.enumerated() {
            let resource = attributes(rl.resource.attributes)
            for (si, sl) in rl.scopeLogs.enumerated() {
                var scope: [String: JSONValue] = [:]
                if !sl.scope.name.isEmpty { scope["name"] = .string(sl.scope.name) }
                if !sl.scope.version.isEmpty { scope["version"] = .string(sl.scope.version) }
                if !sl.scope.attributes.isEmpty { scope["attributes"] = .object(attributes(sl.scope.attributes)) }
                for (li, record) in sl.logRecords.enumerated() {
                    let pointer = "/resourceLogs/\(ri)/scopeLogs/\(si)/logRecords/\(li)"
                    out.append(Mapped(pointer: pointer, event: event(record, resource: resource, scope: scope)))
                }
            }
        }
        return out
    }

    static func string(_ v: JSONValue?) -> String? {
        if case .string(let s)? = v, !s.isEmpty { return s }
        return nil
    }

    static func event(_ r: Opentelemetry_Proto_Logs_V1_LogRecord, resource: [String: JSONValue], scope: [String: JSONValue]) -> JSONValue {
        let attrs = attributes(r.attributes)
        func lookup(_ key: String) -> String? { string(attrs[key]) ?? string(resource[key]) }
        let name = [r.eventName, lookup("event.name") ?? "", lookup("event_name") ?? ""].first { !$0.isEmpty }
        var event: [String: JSONValue] = [
            "action": .string(name.map(actionName) ?? "telemetry.log"),
            "category": "telemetry",
        ]
        let nanos = r.timeUnixNano != 0 ? r.timeUnixNano : r.observedTimeUnixNano
        if nanos != 0 { event["time"] = .string(Timestamp(microseconds: Int64(nanos / 1000)).rfc3339) }
        if let user = lookup("user.id") ?? lookup("user.email") ?? lookup("user.account_uuid") {
            event["actor"] = .object(["type": "human", "id": .string(user)])
        } else {
            event["actor"] = .object(["type": "service", "id": .string(lookup("service.name") ?? "otlp")])
        }
        var session: [String: JSONValue] = [:]
        if let id = lookup("session.id") { session["id"] = .string(id) }
        if !r.traceID.isEmpty { session["trace_id"] = .string(hex(r.traceID)) }
        if !r.spanID.isEmpty { session["span_id"] = .string(hex(r.spanID)) }
        if !session.isEmpty { event["session"] = .object(session) }
        var otlp: [String: JSONValue] = ["attributes": .object(attrs), "resource": .object(resource)]
        if !scope.isEmpty { otlp["scope"] = .object(scope) }
        if r.hasBody { otlp["body"] = value(r.body) }
        if r.severityNumber.rawValue != 0 { otlp["severity_number"] = .int(Int64(r.severityNumber.rawValue)) }
        if !r.severityText.isEmpty { otlp["severity_text"] = .string(r.severityText) }
        if r.flags != 0 { otlp["flags"] = .int(Int64(r.flags)) }
        event["attributes"] = .object(["otlp": .object(otlp)])
        var source: [String: JSONValue] = ["ingest": "otlp"]
        if let service = lookup("service.name") { source["system"] = .string(service) }
        if let version = lookup("service.version") { source["version"] = .string(version) }
        event["source"] = .object(source)
        return .object(event)
    }

    /// An event name as a dotted action: lower case; characters outside letters, digits, `_`,
    /// `-` and `.` become `_`; a name without a dot is put under `telemetry.`.
    public static func actionName(_ name: String) -> String {
        let mapped = String(
            name.lowercased().unicodeScalars.map { c -> Character in
                c.isASCII && (CharacterSet.alphanumerics.contains(c) || "_-.".unicodeScalars.contains(c)) ? Character(c) : "_"
            }
        )
        let parts = mapped.split(separator: ".", omittingEmptySubsequences: true)
        let joined = parts.joined(separator: ".")
        return parts.count >= 2 ? joined : "telemetry." + (joined.isEmpty ? "log" : joined)
    }

    static func attributes(_ kvs: [Opentelemetry_Proto_Common_V1_KeyValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for kv in kvs { out[kv.key] = value(kv.value) }
        return out
    }

    static func value(_ v: Opentelemetry_Proto_Common_V1_AnyValue) -> JSONValue {
        switch v.value {
        case .stringValue(let s): return .string(s)
        case .boolValue(let b): return .bool(b)
        case .intValue(let i): return .int(i)
        case .doubleValue(let d): return d.isFinite ? .double(d) : .string(String(d))
        case .arrayValue(let a): return .array(a.values.map(value))
        case .kvlistValue(let l): return .object(attributes(l.values))
        case .bytesValue(let b): return .string(b.base64EncodedString())
        default: return .null
        }
    }

    static func hex(_ d: Data) -> String { d.map { String(format: "%02x", $0) }.joined() }
}

/// OTLP/JSON differs from protobuf's JSON mapping in one way that matters: trace and span ids are
/// hex, not base64. This rewrites them (in any object, at any depth) so SwiftProtobuf decodes them.
public enum OTLPJSON {
    static let idKeys: Set<String> = ["traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"]

    public static func normalizeIDs(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, x) in o {
                if idKeys.contains(k), case .string(let s) = x, let bytes = hexBytes(s) {
                    out[k] = .string(Data(bytes).base64EncodedString())
                } else {
                    out[k] = normalizeIDs(x)
                }
            }
            return .object(out)
        case .array(let a): return .array(a.map(normalizeIDs))
        default: return v
        }
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        func nib(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nib(u[i]), let l = nib(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    /// A google.rpc.Status (code, message) in protobuf binary: the body of a 400 for OTLP/protobuf.
    /// Hand-encoded (two fields) rather than generating the whole rpc package.
    public static func statusProtobuf(code: Int32, message: String) -> [UInt8] {
        var out: [UInt8] = [0x08]
        var v = UInt64(UInt32(bitPattern: code))
        repeat {
            var b = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { b |= 0x80 }
            out.append(b)
        } while v != 0
        let m = Array(message.utf8)
        out.append(0x12)
        var len = UInt64(m.count)
        repeat {
            var b = UInt8(len & 0x7F)
            len >>= 7
            if len != 0 { b |= 0x80 }
            out.append(b)
        } while len != 0
        return out + m
    }
}
