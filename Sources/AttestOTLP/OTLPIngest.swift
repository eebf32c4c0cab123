import AttestCore
import AttestIngest
import AttestStore

/// Mapped OTLP records as ledger events, validated and protected: what the OTLP routes append.
public struct OTLPPrepared: Sendable {
    /// The events, in request order.
    public var events: [AuditEvent] = []
    /// A message for each record that did not make a valid event.
    public var rejected: [String] = []
    /// Usage analytics points by event id (of records that made an event).
    public var usage: [(id: String, points: [UsagePoint])] = []

    public init() {}
}

/// From decoded OTLP requests to events for the sequencer (docs/OTLP.md).
public enum OTLPIngest {
    /// An OTLP event's id: `otlp-` and the first 32 hex digits of SHA-256(SHA-256(body) ‖ pointer),
    /// where the body is the request's bytes after gzip and the pointer the record's place in it
    /// (`/resourceLogs/0/scopeLogs/0/logRecords/3`). An exporter's retry sends the same bytes, so
    /// it adds nothing twice. (Until 2026-12-02 the id hashed the mapped event's canonical JSON,
    /// which cost a second serialization of every record, about 10% of the server's CPU.)
    public static func eventID(body digest: Hash256, pointer: String) -> String {
        var material = digest.bytes
        material += Array(pointer.utf8)
        return "otlp-" + String(Hash256.sha256(material).hex.prefix(32))
    }

    /// Mapped records (as trees) validated and protected one by one, so that a record that does not
    /// make a valid event is rejected alone.
    public static func prepare(
        _ mapped: [OTLPMapped],
        body digest: Hash256,
        normalizer: IngestNormalizer,
        tenant: String,
        receivedAt: Timestamp
    ) -> OTLPPrepared {
        var out = OTLPPrepared()
        for m in mapped {
            var event = m.event
            if case .object(var o) = event {
                event = .null  // so `o` is the only reference and is changed in place
                o["id"] = .string(eventID(body: digest, pointer: m.pointer))
                event = .object(o)
            }
            switch normalizer.normalize([(prefix: m.pointer, value: event)], tenant: tenant, receivedAt: receivedAt) {
            case .success(let e):
                out.events += e
                if !m.usage.isEmpty, let id = e.first?.id { out.usage.append((id, m.usage)) }
            case .failure(let p):
                out.rejected.append(p.problems.map { "\($0.pointer): \($0.message)" }.joined(separator: "; "))
            }
        }
        return out
    }
}
