import AttestCore

/// Realistic audit events for tests: varied actors, agents, nested attributes, the JSON corner
/// cases FORMAT.md calls out (Unicode keys, 1e21, 2.5e-7, -0.0, nested arrays).
public enum Fixtures {
    /// A deterministic generator (SplitMix64), so failures reproduce.
    public struct Rng: RandomNumberGenerator, Sendable {
        var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let actions = ["tool.execute", "command.execute", "file.write", "role.grant", "data.export", "record.delete", "policy.update"]
    static let categories = ["tool_call", "system_call", "data_change", "admin", "policy_decision", "approval", "model_call"]

    /// Event `i` as a JSON value (valid against the schema).
    public static func event(_ i: Int, id: String? = nil, rng: inout Rng) -> JSONValue {
        var attrs: [String: JSONValue] = [
            "i": .int(Int64(i)),
            "ratio": .double(Double(rng.next() % 10_000) / 7.0),
            "nested": .array([.int(1), .array([.int(2), .array([.string("three")])])]),
        ]
        switch i % 5 {
        case 0: attrs["big"] = .double(1e21)
        case 1: attrs["tiny"] = .double(2.5e-7)
        case 2: attrs["negzero"] = .double(-0.0)
        case 3: attrs["k\u{e9}y-\u{1F600}"] = .string("caf\u{e9} \u{2028} \"quoted\"\n")
        default: attrs["\u{e000}"] = .bool(true)
        }
        var e: [String: JSONValue] = [
            "action": .string(actions[i % actions.count]),
            "category": .string(categories[i % categories.count]),
            "actor": .object(["id": .string("agent-\(i % 7)"), "type": .string("agent"), "name": .string("Agent \(i % 7)")]),
            "on_behalf_of": .object(["id": .string("user-\(i % 3)"), "name": .string("User \(i % 3)")]),
            "agent": .object(["id": .string("claude-code"), "model": .string("claude-opus"), "version": .string("2.1.0")]),
            "outcome": .object(["status": .string(i % 11 == 0 ? "failure" : "success")]),
            "attributes": .object(attrs),
        ]
        if let id { e["id"] = .string(id) }
        return .object(e)
    }

    /// `count` validated events starting at index `from`, with ids `evt-<i>`.
    public static func events(_ count: Int, from: Int = 0, seed: UInt64 = 1) -> [AuditEvent] {
        var rng = Rng(seed: seed)
        let received = Timestamp(microseconds: 1_790_000_000_000_000)
        return (from..<(from + count)).map { i in
            guard case .success(let e) = AuditEvent.validate(event(i, id: "evt-\(i)", rng: &rng), receivedAt: received) else {
                preconditionFailure("fixture event \(i) is invalid")
            }
            return e
        }
    }
}
