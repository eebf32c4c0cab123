/// The typed shape of an audit event (DESIGN §4), as data, so that validation, documentation and
/// the OpenAPI document come from one table.
public indirect enum FieldType: Sendable {
    /// A string of at most `maxLength` characters; `pattern` names a syntax check.
    case string(maxLength: Int, syntax: StringSyntax = .any)
    /// One of the listed strings.
    case oneOf([String])
    /// An integer `>= min`.
    case integer(min: Int64)
    /// A number (integer or fraction) `>= min`.
    case number(min: Double)
    /// An array of values of one type, at most `maxItems`.
    case array(FieldType, maxItems: Int)
    /// An object with known fields; `required` must be present; unknown fields are refused.
    case object([String: FieldType], required: Set<String> = [])
    /// A string or an integer (e.g. an HTTP status or a version).
    case stringOrInteger(maxLength: Int)
    /// Any JSON value, kept whole.
    case any
    /// Any JSON object, kept whole.
    case anyObject
}

/// Syntax checks on strings.
public enum StringSyntax: Sendable {
    case any
    /// RFC 3339 date-time.
    case rfc3339
    /// Dotted name: segments of `A-Z a-z 0-9 _ -` joined by dots.
    case dotted
    /// An identifier: no control characters, not empty.
    case identifier
}

/// The audit event schema v1 (DESIGN §4).
public enum EventSchema {
    static let short = 256
    static let medium = 1024
    static let long = 8192

    /// Event categories.
    public static let categories = [
        "agent_action", "tool_call", "model_call", "system_call", "policy_decision", "approval", "session",
        "authentication", "authorization", "configuration", "data_access", "data_change", "admin", "telemetry",
    ]
    /// Outcome statuses.
    public static let outcomeStatuses = ["success", "failure", "denied", "error", "unknown"]
    /// Actor types.
    public static let actorTypes = ["human", "agent", "service", "system"]
    /// Resource sensitivities.
    public static let sensitivities = ["public", "internal", "confidential", "personal", "financial", "secret"]
    /// Channels.
    public static let channels = ["ui", "api", "cli", "ide", "chat", "ci", "workflow", "scheduler"]
    /// Risk levels, lowest first.
    public static let riskLevels = ["none", "low", "medium", "high", "critical"]
    /// Ingest paths.
    public static let ingestKinds = ["rest", "otlp", "sdk", "cli"]

    static let person: FieldType = .object(
        ["id": .string(maxLength: short, syntax: .identifier), "name": .string(maxLength: medium)],
        required: ["id"]
    )

    /// The top-level fields and their types.
    public static let fields: [String: FieldType] = [
        "id": .string(maxLength: short, syntax: .identifier),
        "time": .string(maxLength: 64, syntax: .rfc3339),
        "category": .oneOf(categories),
        "action": .string(maxLength: short, syntax: .dotted),
        "outcome": .object(["status": .oneOf(outcomeStatuses), "reason": .string(maxLength: long)]),
        "actor": .object(
            [
                "type": .oneOf(actorTypes), "id": .string(maxLength: short, syntax: .identifier),
                "name": .string(maxLength: medium), "roles": .array(.string(maxLength: short), maxItems: 256),
                "ip": .string(maxLength: 64), "user_agent": .string(maxLength: medium), "device": .string(maxLength: medium),
            ],
            required: ["id"]
        ),
        "on_behalf_of": person,
        "agent": .object([
            "id": .string(maxLength: short, syntax: .identifier), "name": .string(maxLength: medium),
            "version": .string(maxLength: short), "model": .string(maxLength: short), "provider": .string(maxLength: short),
        ]),
        "session": .object([
            "id": .string(maxLength: short, syntax: .identifier), "conversation_id": .string(maxLength: short),
            "trace_id": .string(maxLength: 64), "span_id": .string(maxLength: 64),
        ]),
        "resource": .object([
            "type": .string(maxLength: short), "id": .string(maxLength: medium), "name": .string(maxLength: medium),
            "sensitivity": .oneOf(sensitivities), "owner": .string(maxLength: short),
        ]),
        "channel": .oneOf(channels),
        "changes": .object(["before": .any, "after": .any]),
        "request": .object(["args": .any, "result": .any]),
        "system_call": .object([
            "protocol": .oneOf(["http", "rfc", "sql", "grpc", "other"]), "target": .string(maxLength: long),
            "method": .string(maxLength: short), "status": .stringOrInteger(maxLength: short),
            "latency_ms": .number(min: 0), "request_digest": .string(maxLength: short),
        ]),
        "policy": .object([
            "decision": .oneOf(["allow", "deny"]), "reason": .string(maxLength: long),
            "policy_id": .string(maxLength: short), "policy_version": .stringOrInteger(maxLength: short),
        ]),
        "approval": .object([
            "approver": person, "decision": .oneOf(["approved", "rejected"]), "justification": .string(maxLength: long),
            "device": .string(maxLength: medium), "for_event": .string(maxLength: short, syntax: .identifier),
        ]),
        "risk": .object(["level": .oneOf(riskLevels), "reasons": .array(.string(maxLength: medium), maxItems: 64)]),
        "usage": .object([
            "input_tokens": .integer(min: 0), "output_tokens": .integer(min: 0), "cost_micros": .integer(min: 0),
        ]),
        "source": .object([
            "system": .string(maxLength: short), "ingest": .oneOf(ingestKinds), "version": .string(maxLength: short),
        ]),
        "attributes": .anyObject,
    ]

    /// Fields an event must have.
    public static let required: Set<String> = ["action", "actor"]

    /// The root type.
    public static let root: FieldType = .object(fields, required: required)
}
