import AttestCore
import AttestOTLPProto
import Foundation

public typealias OTLPTracesRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
public typealias OTLPTracesResponse = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse

/// OTLP spans as audit events, one event per span, at the span's start time.
///
/// GenAI semantic-convention spans (matched on `gen_ai.operation.name`) and Factory Droid spans
/// (`droid.*`, on the span name) become typed events (``OTLPMappingRules``); any other span
/// becomes a `telemetry` event with action `telemetry.span`. The name, kind, times, duration,
/// status, parent, attributes, events and links are kept under `attributes.otlp`.
public enum OTLPSpanMapper {
    public static func map(_ request: OTLPTracesRequest, risk: CommandRiskClassifier? = .default) -> [OTLPMapped] {
        let builder = OTLPEventBuilder(risk: risk)
        var out: [OTLPMapped] = []
        for (ri, rs) in request.resourceSpans.enumerated() {
            let resource = OTLPLogMapper.attributes(rs.resource.attributes)
            for (si, ss) in rs.scopeSpans.enumerated() {
                let scope = OTLPLogMapper.scopeObject(ss.scope)
                for (pi, span) in ss.spans.enumerated() {
                    let pointer = "/resourceSpans/\(ri)/scopeSpans/\(si)/spans/\(pi)"
                    out.append(builder.build(item(span, resource: resource, scope: scope, scopeName: ss.scope.name), pointer: pointer))
                }
            }
        }
        return out
    }

    static let kinds = ["unspecified", "internal", "server", "client", "producer", "consumer"]

    static func item(
        _ span: Opentelemetry_Proto_Trace_V1_Span,
        resource: [String: JSONValue],
        scope: [String: JSONValue],
        scopeName: String
    ) -> OTLPItem {
        let attrs = OTLPLogMapper.attributes(span.attributes)
        var otlp: [String: JSONValue] = [
            "name": .string(span.name), "attributes": .object(attrs), "resource": .object(resource),
        ]
        if !scope.isEmpty { otlp["scope"] = .object(scope) }
        let kind = span.kind.rawValue
        otlp["kind"] = .string(kind >= 0 && kind < kinds.count ? kinds[kind] : String(kind))
        if span.startTimeUnixNano != 0 { otlp["start_time_unix_nano"] = .string(String(span.startTimeUnixNano)) }
        if span.endTimeUnixNano != 0 { otlp["end_time_unix_nano"] = .string(String(span.endTimeUnixNano)) }
        if span.endTimeUnixNano >= span.startTimeUnixNano && span.startTimeUnixNano != 0 {
            otlp["duration_ms"] = .double(Double(span.endTimeUnixNano - span.startTimeUnixNano) / 1_000_000)
        }
        if !span.parentSpanID.isEmpty { otlp["parent_span_id"] = .string(OTLPLogMapper.hex(span.parentSpanID)) }
        if !span.traceState.isEmpty { otlp["trace_state"] = .string(span.traceState) }
        if span.flags != 0 { otlp["flags"] = .int(Int64(span.flags)) }
        if span.hasStatus {
            var status: [String: JSONValue] = ["code": .string(["unset", "ok", "error"][min(2, max(0, span.status.code.rawValue))])]
            if !span.status.message.isEmpty { status["message"] = .string(span.status.message) }
            otlp["status"] = .object(status)
        }
        if !span.events.isEmpty {
            otlp["events"] = .array(
                span.events.map { e in
                    var o: [String: JSONValue] = ["name": .string(e.name)]
                    if e.timeUnixNano != 0 { o["time_unix_nano"] = .string(String(e.timeUnixNano)) }
                    if !e.attributes.isEmpty { o["attributes"] = .object(OTLPLogMapper.attributes(e.attributes)) }
                    return .object(o)
                }
            )
        }
        if !span.links.isEmpty {
            otlp["links"] = .array(
                span.links.map { l in
                    var o: [String: JSONValue] = ["trace_id": .string(OTLPLogMapper.hex(l.traceID)), "span_id": .string(OTLPLogMapper.hex(l.spanID))]
                    if !l.attributes.isEmpty { o["attributes"] = .object(OTLPLogMapper.attributes(l.attributes)) }
                    return .object(o)
                }
            )
        }
        let isError = span.status.code == .error
        var withDuration = attrs
        // The span's duration is where rules look for `duration_ms` when the span has no such attribute.
        if withDuration["duration_ms"] == nil, let d = otlp["duration_ms"] { withDuration["duration_ms"] = d }
        return OTLPItem(
            names: [span.name],
            operation: OTLPLogMapper.string(attrs["gen_ai.operation.name"]),
            attributes: withDuration,
            resource: resource,
            scopeName: scopeName,
            timeNanos: span.startTimeUnixNano,
            traceID: span.traceID,
            spanID: span.spanID,
            fallbackName: nil,
            fallbackDefault: "telemetry.span",
            spanStatus: (isError, span.status.message),
            otlp: otlp
        )
    }
}
