import AttestCore
import Synchronization

/// Everything between the request body and the sequencer: parse, validate every event (all
/// problems at once), fill in `id` and `time`, protect sensitive values (HMAC per tenant, secret
/// shapes redacted), and record how the event came in.
public struct IngestNormalizer: Sendable {
    public let keys: TenantKeys
    public let policy: RedactionPolicy
    /// The `source.ingest` value recorded when an event has no `source`.
    public let ingestKind: String

    /// The redactor of each tenant met so far: building one compiles the policy's key names and
    /// pointers, which cost 5% of the server's CPU when the OTLP path built one per log record.
    private let redactors = RedactorCache()

    public init(keys: TenantKeys, policy: RedactionPolicy = .default, ingestKind: String = "rest") {
        self.keys = keys
        self.policy = policy
        self.ingestKind = ingestKind
    }

    /// The redactor of `tenant` (built once per tenant).
    public func redactor(tenant: String) -> Redactor {
        if let kept = redactors.byTenant.withLock({ $0[tenant] }) { return kept }
        let made = Redactor(policy: policy, key: keys.key(tenant: tenant))
        redactors.byTenant.withLock { $0[tenant] = made }
        return made
    }

    /// The batch's events, ready for the ledger, or every problem in it.
    ///
    /// The byte path (``FastEventPath``) takes the batch when it can; otherwise, and always for a
    /// batch with a problem, the tree path does (``normalize(_:problems:tenant:receivedAt:makeID:)``).
    /// Both give the same events, byte for byte.
    public func normalize(
        body: [UInt8],
        framing: EventBatchParser.Framing,
        tenant: String,
        receivedAt: Timestamp
    ) -> Result<[AuditEvent], ValidationProblems> {
        var ids = UUIDv7.Batch()
        return normalize(body: body, framing: framing, tenant: tenant, receivedAt: receivedAt, makeID: { ids.make() })
    }

    /// ``normalize(body:framing:tenant:receivedAt:)`` with the ids of events without one from `makeID`.
    func normalize(
        body: [UInt8],
        framing: EventBatchParser.Framing,
        tenant: String,
        receivedAt: Timestamp,
        makeID: () -> String,
        bytePath: Bool = true
    ) -> Result<[AuditEvent], ValidationProblems> {
        if bytePath,
            let events = FastEventPath(redactor: redactor(tenant: tenant), ingestKind: ingestKind)
                .normalize(body: body, framing: framing, receivedAt: receivedAt, makeID: makeID)
        {
            return .success(events)
        }
        let (parsed, parseProblems) = EventBatchParser.parse(body, framing: framing)
        return normalize(parsed, problems: parseProblems, tenant: tenant, receivedAt: receivedAt, makeID: makeID)
    }

    /// Validates and protects already parsed events (`prefix` locates each one's problems).
    ///
    /// Each event's tree is handed on, never shared, from the parsed batch to the stored event, so
    /// filling in `id`, `time` and `source` changes it in place: a tree still held by the batch or
    /// by the validated event was copied whole at each of those steps (about 5% of the server's
    /// CPU with batches of 100).
    public func normalize(
        _ parsed: consuming [(prefix: String, value: JSONValue)],
        problems initial: [Problem] = [],
        tenant: String,
        receivedAt: Timestamp,
        makeID: () -> String = { UUIDv7.make() }
    ) -> Result<[AuditEvent], ValidationProblems> {
        var problems = initial
        var valid: [AuditEvent?] = []
        valid.reserveCapacity(parsed.count)
        for i in parsed.indices {
            let prefix = parsed[i].prefix
            let value = parsed[i].value
            parsed[i].value = .null
            switch AuditEvent.validate(value, receivedAt: receivedAt, makeID: makeID) {
            case .success(let e): valid.append(e)
            case .failure(let p): problems.append(contentsOf: p.problems.map { $0.prefixed(prefix) })
            }
        }
        guard problems.isEmpty else {
            // Report in batch order: by event index, then by pointer.
            return .failure(ValidationProblems(problems.sorted(by: Self.batchOrder)))
        }
        let redactor = redactor(tenant: tenant)
        var ready: [AuditEvent] = []
        ready.reserveCapacity(valid.count)
        for i in valid.indices {
            guard let event = valid[i].take() else { continue }
            var (value, _) = redactor.apply(to: event.value)
            _ = consume event  // so the tree's only holder is `value`
            if case .object(var m) = value, m["source"] == nil {
                value = .null  // so `m` is the only reference and is changed in place
                m["source"] = .object(["ingest": .string(ingestKind)])
                value = .object(m)
            }
            // id and time are filled in and exempt from redaction, so the stored form parses back;
            // a policy that replaced them is refused rather than storing the event unprotected.
            guard let stored = AuditEvent(stored: value) else {
                let prefix = parsed.indices.contains(i) ? parsed[i].prefix : ""
                return .failure(
                    ValidationProblems([
                        Problem(pointer: prefix + "/id", message: "the redaction policy replaced id or time, which must stay strings")
                    ])
                )
            }
            // The canonical bytes are made here, in parallel across requests, not in the writer.
            ready.append(stored.withCanonicalBytes())
        }
        return .success(ready)
    }

    static func batchOrder(_ a: Problem, _ b: Problem) -> Bool {
        let ia = index(a.pointer)
        let ib = index(b.pointer)
        if ia != ib { return ia < ib }
        return a.pointer < b.pointer
    }

    static func index(_ pointer: String) -> Int {
        guard pointer.hasPrefix("/") else { return -1 }
        let token = pointer.dropFirst().prefix(while: { $0 != "/" })
        return Int(token) ?? -1
    }
}

/// Redactors by tenant, shared by the copies of an ``IngestNormalizer``.
final class RedactorCache: Sendable {
    let byTenant = Mutex<[String: Redactor]>([:])
}
