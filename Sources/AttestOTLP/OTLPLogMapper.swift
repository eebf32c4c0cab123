import AttestCore
import AttestOTLPProto
import Foundation
import SwiftProtobuf

public typealias OTLPLogsRequest = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest
public typealias OTLPLogsResponse = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse

/// OTLP log records as audit events.
///
/// Records whose event name (the `event_name` field, else the `event.name` or `event_name`
/// attribute, else a string body) matches a rule of ``OTLPMappingRules`` (Claude Code, Codex,
/// Droid) become typed events: tool calls, model calls, approvals, policy decisions and so on.
/// Any other record becomes a `telemetry` event whose `action` is its event name (or
/// `telemetry.log`). In both cases every attribute, the resource, the scope, the body, severity
/// and trace context are kept under `attributes.otlp`: nothing is dropped.
public enum OTLPLogMapper {
    public static func map(_ request: OTLPLogsRequest, risk: CommandRiskClassifier? = .default) -> [OTLPMapped] {
        let builder = OTLPEventBuilder(risk: risk)
        var out: [OTLPMapped] = []
        for (ri, rl) in request.resourceLogs.enumerated() {
            let resource = attributes(rl.resource.attributes)
            for (si, sl) in rl.scopeLogs.enumerated() {
                let scope = scopeObject(sl.scope)
                for (li, record) in sl.logRecords.enumerated() {
                    let pointer = "/resourceLogs/\(ri)/scopeLogs/\(si)/logRecords/\(li)"
                    out.append(builder.build(item(record, resource: resource, scope: scope, scopeName: sl.scope.name), pointer: pointer))
                }
            }
        }
        return out
    }

    static func scopeObject(_ s: Opentelemetry_Proto_Common_V1_InstrumentationScope) -> [String: JSONValue] {
        var scope: [String: JSONValue] = [:]
        if !s.name.isEmpty { scope["name"] = .string(s.name) }
        if !s.version.isEmpty { scope["version"] = .string(s.version) }
        if !s.attributes.isEmpty { scope["attributes"] = .object(attributes(s.attributes)) }
        return scope
    }

    static func string(_ v: JSONValue?) -> String? {
        if case .string(let s)? = v, !s.isEmpty { return s }
        return nil
    }

    static func item(
        _ r: Opentelemetry_Proto_Logs_V1_LogRecord,
        resource: [String: JSONValue],
        scope: [String: JSONValue],
        scopeName: String
    ) -> OTLPItem {
        let attrs = attributes(r.attributes)
        func lookup(_ key: String) -> String? { string(attrs[key]) ?? string(resource[key]) }
        var names = [r.eventName, lookup("event.name") ?? "", lookup("event_name") ?? ""].filter { !$0.isEmpty }
        // (`Optional.none`, not `nil`: a bare nil here is JSONValue's nil literal, `.null`, which
        // gave every record without a body `"body": null` until 2026-12-03.)
        let body: JSONValue? = r.hasBody ? value(r.body) : Optional.none
        let name = names.first
        // Some agents put the full event name in the body (`claude_code.tool_result`).
        // (Byte checks: Foundation's `contains` cost about 1% of the server's CPU here.)
        if case .string(let b)? = body, b.utf8.count <= 128, b.utf8.contains(UInt8(ascii: ".")), !b.utf8.contains(UInt8(ascii: " ")) {
            names.append(b)
        }
        var otlp: [String: JSONValue] = ["attributes": .object(attrs), "resource": .object(resource)]
        if !scope.isEmpty { otlp["scope"] = .object(scope) }
        if let body { otlp["body"] = body }
        if r.severityNumber.rawValue != 0 { otlp["severity_number"] = .int(Int64(r.severityNumber.rawValue)) }
        if !r.severityText.isEmpty { otlp["severity_text"] = .string(r.severityText) }
        if r.flags != 0 { otlp["flags"] = .int(Int64(r.flags)) }
        if !r.eventName.isEmpty { otlp["event_name"] = .string(r.eventName) }
        if r.observedTimeUnixNano != 0 { otlp["observed_time_unix_nano"] = .string(String(r.observedTimeUnixNano)) }
        if r.droppedAttributesCount != 0 { otlp["dropped_attributes_count"] = .int(Int64(r.droppedAttributesCount)) }
        return OTLPItem(
            names: names,
            operation: nil,
            attributes: attrs,
            resource: resource,
            scopeName: scopeName,
            timeNanos: r.timeUnixNano != 0 ? r.timeUnixNano : r.observedTimeUnixNano,
            traceID: r.traceID,
            spanID: r.spanID,
            fallbackName: name,
            fallbackDefault: "telemetry.log",
            spanStatus: nil,
            otlp: otlp
        )
    }

    /// An event name as a dotted action: lower case; characters outside letters, digits, `_`,
    /// `-` and `.` become `_`; a name without a dot is put under `telemetry.`.
    public static func actionName(_ name: String) -> String {
        asciiActionName(name) ?? scalarActionName(name)
    }

    /// ``actionName(_:)`` scalar by scalar, for any name.
    static func scalarActionName(_ name: String) -> String {
        let mapped = String(
            name.lowercased().unicodeScalars.map { c -> Character in
                c.isASCII && (CharacterSet.alphanumerics.contains(c) || "_-.".unicodeScalars.contains(c)) ? Character(c) : "_"
            }
        )
        let parts = mapped.split(separator: ".", omittingEmptySubsequences: true)
        let joined = parts.joined(separator: ".")
        return parts.count >= 2 ? joined : "telemetry." + (joined.isEmpty ? "log" : joined)
    }

    /// ``actionName(_:)`` of an all-ASCII name, on its bytes (the general path builds a
    /// `Character` per scalar); nil for any other name.
    static func asciiActionName(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var parts: [[UInt8]] = [[]]
        for b in bytes {
            var c = b
            if c >= 0x41 && c <= 0x5A { c += 0x20 }  // A-Z
            let kept = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
            if c == 0x2E {  // .
                parts.append([])
            } else {
                parts[parts.count - 1].append(kept ? c : 0x5F)
            }
        }
        let nonEmpty = parts.filter { !$0.isEmpty }
        let joined = String(decoding: Array(nonEmpty.joined(separator: [0x2E])), as: UTF8.self)
        return nonEmpty.count >= 2 ? joined : "telemetry." + (joined.isEmpty ? "log" : joined)
    }

    static func attributes(_ kvs: [Opentelemetry_Proto_Common_V1_KeyValue]) -> [String: JSONValue] {
        var out = [String: JSONValue](minimumCapacity: kvs.count)
        for kv in kvs { out[kv.key] = value(kv.value) }
        return out
    }

    static func value(_ v: Opentelemetry_Proto_Common_V1_AnyValue) -> JSONValue {
        switch v.value {
        case .stringValue(let s): return .string(s)
        case .boolValue(let b): return .bool(b)
        // Beyond ±(2^53−1) an integer is not I-JSON: keep its exact digits as text.
        case .intValue(let i): return (-JSONValue.maxSafeInteger...JSONValue.maxSafeInteger).contains(i) ? .int(i) : .string(String(i))
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

    /// The same rewrite on JSON text, token by token, leaving everything else byte for byte: OTLP/JSON
    /// may carry 64-bit integers as numbers beyond what a JSON tree of doubles keeps exactly, so the
    /// request is handed to SwiftProtobuf as text. Hand-written (a small JSON scanner): no library
    /// rewrites string values by key without building a tree. Malformed JSON is left as it is, for
    /// the decoder to refuse.
    public static func normalizeIDs(json bytes: [UInt8]) -> [UInt8] {
        let keys: Set<[UInt8]> = Set(idKeys.map { Array($0.utf8) })
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var i = 0
        var lastString: [UInt8]? = nil  // the previous string token, if it was a key candidate
        var afterColon = false
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x22 {  // a string token: find its end, honoring escapes
                var j = i + 1
                var escaped = false
                while j < bytes.count {
                    if escaped {
                        escaped = false
                    } else if bytes[j] == 0x5C {
                        escaped = true
                    } else if bytes[j] == 0x22 {
                        break
                    }
                    j += 1
                }
                guard j < bytes.count else {
                    out += bytes[i...]
                    return out
                }
                let content = Array(bytes[(i + 1)..<j])
                if afterColon, let key = lastString, keys.contains(key), let raw = hexBytes(String(decoding: content, as: UTF8.self)) {
                    out.append(0x22)
                    out += Array(Data(raw).base64EncodedString().utf8)
                    out.append(0x22)
                    lastString = nil
                } else {
                    out += bytes[i...j]
                    lastString = afterColon ? nil : content
                }
                afterColon = false
                i = j + 1
                continue
            }
            out.append(b)
            if b == 0x3A {
                afterColon = true
            } else if !isSpace(b) {
                afterColon = false
                lastString = nil
            }
            i += 1
        }
        return out
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
