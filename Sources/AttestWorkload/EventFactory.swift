/// The workload of the benchmarks: realistic audit events for `attest-load` and the micro
/// benchmarks (Benchmarks/AttestBenchmarks), so both measure the same shapes and sizes.

import Foundation

/// A small deterministic generator (SplitMix64), so two runs with the same seed send the same
/// events and figures can be compared.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Realistic audit events, as coding agents send them: varied actors, principals, agents,
/// sessions and resources, nested request arguments and attributes, 300 to 1500 bytes of JSON.
/// Values come from fixed alphabets; about a third of the shell commands quote an argument (`git
/// commit -m "…"`, `grep -rn "…" src`), written with JSON's escaped quotes as agents send them.
public enum EventFactory {
    static let actions = [
        ("command.execute", "tool_call"), ("tool.execute", "tool_call"), ("file.write", "data_change"),
        ("file.read", "data_access"), ("role.grant", "admin"), ("data.export", "data_access"),
        ("policy.evaluate", "policy_decision"), ("model.invoke", "model_call"), ("approval.grant", "approval"),
    ]
    static let agents = [
        ("claude-code", "Claude Code", "2.1.214", "claude-opus-4", "anthropic"),
        ("codex", "Codex CLI", "0.46.0", "gpt-5-codex", "openai"),
        ("factory-droid", "Factory Droid", "1.8.2", "claude-sonnet-4-5", "anthropic"),
        ("support-bot", "Support agent", "3.2.0", "in-house-7b", "internal"),
    ]
    public static let words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau"
        .split(separator: " ").map(String.init)
    static let statuses = ["success", "success", "success", "success", "failure", "denied"]
    static let sensitivities = ["public", "internal", "internal", "confidential", "personal", "financial"]
    static let channels = ["cli", "ide", "ci", "api", "chat"]

    /// One event as compact JSON; `target` picks the length of the free-text parts so that the
    /// whole event lands near it (300...1500 bytes).
    public static func event(_ rng: inout SplitMix64, target: Int) -> String {
        let (action, category) = actions.randomElement(using: &rng)!
        let (agentID, agentName, version, model, provider) = agents.randomElement(using: &rng)!
        let actor = Int.random(in: 0..<200, using: &rng)
        let user = Int.random(in: 0..<1000, using: &rng)
        let session = Int.random(in: 0..<5000, using: &rng)
        let repo = Int.random(in: 0..<300, using: &rng)
        let status = statuses.randomElement(using: &rng)!
        let sensitivity = sensitivities.randomElement(using: &rng)!
        let tags = (0..<Int.random(in: 1...5, using: &rng)).map { _ in "\"\(words.randomElement(using: &rng)!)\"" }
        // The parts every event has, then optional parts while the event is well under its target,
        // as a short shell command differs from a detailed file edit.
        var head = """
            {"action":"\(action)","category":"\(category)",\
            "actor":{"type":"agent","id":"agent-\(actor)"},\
            "on_behalf_of":{"id":"user-\(user)@example.com"},\
            "agent":{"id":"\(agentID)","model":"\(model)"},\
            "session":{"id":"sess-\(session)"},\
            "outcome":{"status":"\(status)"},
            """
        var tail = "\"attributes\":{\"duration_ms\":\(Int.random(in: 1...90_000, using: &rng))}}"
        let optional = [
            "\"resource\":{\"type\":\"repo\",\"id\":\"repo-\(repo)\",\"sensitivity\":\"\(sensitivity)\"},",
            "\"channel\":\"\(channels.randomElement(using: &rng)!)\",",
            "\"usage\":{\"input_tokens\":\(Int.random(in: 0..<200_000, using: &rng)),\"output_tokens\":\(Int.random(in: 0..<20_000, using: &rng))},",
        ]
        for part in optional where head.utf8.count + tail.utf8.count + part.utf8.count + 120 < target { head += part }
        if head.utf8.count + tail.utf8.count + 300 < target {
            head = head.replacingOccurrences(of: "\"id\":\"agent-\(actor)\"}", with: "\"id\":\"agent-\(actor)\",\"name\":\"\(agentName)\"}")
            head = head.replacingOccurrences(
                of: "\"model\":\"\(model)\"}",
                with: "\"model\":\"\(model)\",\"version\":\"\(version)\",\"provider\":\"\(provider)\"}"
            )
            tail = """
                "attributes":{"duration_ms":\(Int.random(in: 1...90_000, using: &rng)),\
                "exit_code":\(Int.random(in: 0...2, using: &rng)),\
                "tags":[\(tags.joined(separator: ","))],"cwd":"/work/repo-\(repo)"}}
                """
        }
        // The command (and, for longer events, a file list) fills the event up to its target size.
        let fixed = head.utf8.count + tail.utf8.count + 48
        var command = ""
        while fixed + command.utf8.count < min(target, fixed + 160) || command.isEmpty {
            command += (command.isEmpty ? "" : " ") + words.randomElement(using: &rng)!
        }
        // Quoting adds 20 to 24 bytes; the file list below still fills the event to its target.
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: command = #"git commit -m \"\#(command)\""#
        case 1: command = #"grep -rn \"\#(command)\" src"#
        default: break
        }
        var files: [String] = []
        var size = fixed + command.utf8.count
        while size < target {
            let file =
                "\"src/\(words.randomElement(using: &rng)!)/\(words.randomElement(using: &rng)!)-\(Int.random(in: 0..<100, using: &rng)).swift\""
            files.append(file)
            size += file.utf8.count + 1
        }
        let fileList = files.isEmpty ? "" : ",\"files\":[\(files.joined(separator: ","))]"
        head += "\"request\":{\"args\":{\"command\":\"\(command)\"\(fileList)}},"
        return head + tail
    }

    /// `count` events, sizes spread evenly over 300...1500 bytes.
    public static func events(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(state: seed)
        return (0..<count).map { _ in event(&rng, target: Int.random(in: 300...1500, using: &rng)) }
    }
}
