/// A validated, normalized audit event (DESIGN §4): what gets hashed into the ledger.
///
/// Normalization fills in `id` (a UUIDv7) and `time` (the receive time) when absent, and nothing
/// else: the event is otherwise kept exactly as sent.
public struct AuditEvent: Hashable, Sendable {
    /// The event as a tree, when it was built as one (see ``init(trustedCanonicalBytes:id:time:columns:)``).
    private let tree: JSONValue?
    /// The normalized event object. An event that came in on the byte path has no tree: it is
    /// parsed from its canonical bytes when asked for (nothing on the ingest path asks).
    public var value: JSONValue {
        if let tree { return tree }
        guard let bytes = canonicalBytes, let parsed = try? JSONParser.parse(bytes) else { return .null }
        return parsed
    }
    /// The idempotency key.
    public let id: String
    /// When it happened.
    public let time: Timestamp
    /// RFC 8785 bytes of `value`, when computed ahead (see ``withCanonicalBytes()``).
    public private(set) var canonicalBytes: [UInt8]?
    /// The query-index columns, when computed ahead (see ``withCanonicalBytes()``).
    public private(set) var precomputedColumns: IndexColumns?

    private init(value: JSONValue, id: String, time: Timestamp) {
        self.tree = value
        self.id = id
        self.time = time
    }

    /// An event from the byte path (AttestIngest's `FastEventPath`), which checked, protected and
    /// serialized it without building a tree.
    /// - Precondition: `canonicalBytes` is the RFC 8785 form of a valid, normalized event whose
    ///   `id` and `time` are these, and `columns` are its query-index columns.
    public init(trustedCanonicalBytes canonicalBytes: [UInt8], id: String, time: Timestamp, columns: IndexColumns) {
        tree = nil
        self.id = id
        self.time = time
        self.canonicalBytes = canonicalBytes
        precomputedColumns = columns
    }

    /// The event with the canonical bytes of its value and its query-index columns computed now.
    /// The ingest path calls this on the request's own task, so the ledger's single writer only
    /// splices the bytes into the entry instead of serializing every event itself, and the
    /// sequencer hands the indexer columns instead of looking up ten members of each event after
    /// the commit (4.5% of the server's CPU, on the sequencer's one task, in a profile of batches
    /// of 100).
    public func withCanonicalBytes() -> AuditEvent {
        var e = self
        if e.canonicalBytes == nil { e.canonicalBytes = value.canonicalBytes }
        if e.precomputedColumns == nil { e.precomputedColumns = IndexColumns(self) }
        return e
    }

    /// The query-index columns (computed now unless computed ahead).
    public var columns: IndexColumns { precomputedColumns ?? IndexColumns(self) }

    // Equality and hashing are those of the event; the cached bytes follow from `value`.
    public static func == (a: AuditEvent, b: AuditEvent) -> Bool { a.value == b.value && a.id == b.id && a.time == b.time }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
        hasher.combine(id)
        hasher.combine(time)
    }

    /// Validates `value` and returns the normalized event, or every problem found.
    ///
    /// - Parameters:
    ///   - receivedAt: the receive time, used for `time` when the event has none.
    ///   - makeID: makes an ID when the event has none.
    public static func validate(
        _ value: consuming JSONValue,
        receivedAt: Timestamp,
        makeID: () -> String = { UUIDv7.make() }
    ) -> Result<AuditEvent, ValidationProblems> {
        var problems = EventValidator().problems(value, against: EventSchema.root)
        if KeyRotation.isRotation(value) {
            // Only the ledger writes rotation entries; a verifier checks every entry with this action.
            problems.append(Problem(pointer: "/action", message: "\(KeyRotation.action) is reserved for the ledger's own key rotation entries"))
        }
        guard problems.isEmpty, case .object(var members) = value else {
            return .failure(ValidationProblems(problems.isEmpty ? [Problem(pointer: "", message: "must be an object")] : problems))
        }
        // The caller handed the tree over: let go of it here, so filling in id and time changes
        // `members` in place instead of copying them.
        value = .null
        let id: String
        if case .string(let given)? = members["id"] {
            id = given
        } else {
            id = makeID()
            members["id"] = .string(id)
        }
        let time: Timestamp
        if case .string(let t)? = members["time"], let parsed = Timestamp(rfc3339: t) {
            time = parsed
        } else {
            time = receivedAt
            members["time"] = .string(receivedAt.rfc3339)
        }
        return .success(AuditEvent(value: .object(members), id: id, time: time))
    }

    /// Rebuilds an event from a stored, already validated value (e.g. read back from the ledger).
    public init?(stored value: JSONValue) {
        guard case .string(let id)? = value["id"], case .string(let t)? = value["time"], let time = Timestamp(rfc3339: t)
        else { return nil }
        self.init(value: value, id: id, time: time)
    }

    /// The `action`.
    public var action: String { value["action"]?.stringValue ?? "" }
    /// The `category`, if given.
    public var category: String? { value["category"]?.stringValue }
    /// `actor.id`.
    public var actorID: String { value["actor"]?["id"]?.stringValue ?? "" }
    /// `on_behalf_of.id`, if given.
    public var onBehalfOfID: String? { value["on_behalf_of"]?["id"]?.stringValue }
    /// `agent.id`, or `agent.name` when there is no id.
    public var agentID: String? { value["agent"]?["id"]?.stringValue ?? value["agent"]?["name"]?.stringValue }
    /// `session.id`, if given.
    public var sessionID: String? { value["session"]?["id"]?.stringValue }
    /// `resource.type`, if given.
    public var resourceType: String? { value["resource"]?["type"]?.stringValue }
    /// `resource.id`, if given.
    public var resourceID: String? { value["resource"]?["id"]?.stringValue }
    /// `outcome.status`, if given.
    public var outcomeStatus: String? { value["outcome"]?["status"]?.stringValue }
    /// `risk.level` as a rank (0 = none … 4 = critical), if given.
    public var riskRank: Int? {
        guard let level = value["risk"]?["level"]?.stringValue else { return nil }
        return EventSchema.riskLevels.firstIndex(of: level)
    }
}

/// The members of an event that the query index holds (the filters of `GET /v1/events`).
public struct IndexColumns: Sendable, Hashable {
    public let action: String
    public let category: String?
    public let actorID: String
    public let onBehalfOfID: String?
    public let agentID: String?
    public let sessionID: String?
    public let resourceType: String?
    public let resourceID: String?
    public let outcome: String?
    public let risk: Int?

    public init(
        action: String,
        category: String?,
        actorID: String,
        onBehalfOfID: String?,
        agentID: String?,
        sessionID: String?,
        resourceType: String?,
        resourceID: String?,
        outcome: String?,
        risk: Int?
    ) {
        self.action = action
        self.category = category
        self.actorID = actorID
        self.onBehalfOfID = onBehalfOfID
        self.agentID = agentID
        self.sessionID = sessionID
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.outcome = outcome
        self.risk = risk
    }

    /// The columns of `event`, from its members.
    public init(_ event: AuditEvent) {
        action = event.action
        category = event.category
        actorID = event.actorID
        onBehalfOfID = event.onBehalfOfID
        agentID = event.agentID
        sessionID = event.sessionID
        resourceType = event.resourceType
        resourceID = event.resourceID
        outcome = event.outcomeStatus
        risk = event.riskRank
    }
}
