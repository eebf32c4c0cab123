import AttestCore
import AttestStore
import Foundation

/// One OTLP record or span as an audit event, with what it adds to usage analytics.
public struct OTLPMapped: Sendable {
    /// Where it came from in the request (`/resourceLogs/0/scopeLogs/0/logRecords/3`).
    public let pointer: String
    public let event: JSONValue
    /// Usage analytics points (a tool call, a session start); not ledger data.
    public let usage: [UsagePoint]
}

/// What the mapping needs to know about one record or span, whatever its signal.
struct OTLPItem {
    /// Candidate names to match rules on (event name, `event.name`, …).
    var names: [String]
    /// The GenAI operation name of a span.
    var operation: String?
    var attributes: [String: JSONValue]
    var resource: [String: JSONValue]
    var scopeName: String
    var timeNanos: UInt64
    var traceID: Data
    var spanID: Data
    /// The record's name, from which the action is made when no rule matches (``OTLPLogMapper/actionName(_:)``).
    var fallbackName: String?
    /// The action when no rule matches and there is no name (`telemetry.log`, `telemetry.span`).
    var fallbackDefault: String
    /// Fallback action when no rule matches: made only then (it cost ~1% of the server's CPU per record).
    var fallbackAction: String { fallbackName.map(OTLPLogMapper.actionName) ?? fallbackDefault }
    /// The span's status: nil for logs; (isError, message) for spans.
    var spanStatus: (isError: Bool, message: String)?
    /// Everything of the record, kept whole under `attributes.otlp`.
    var otlp: [String: JSONValue]
}

/// Builds audit events from ``OTLPItem``s with the rules of ``OTLPMappingRules``.
struct OTLPEventBuilder {
    let risk: CommandRiskClassifier?

    func lookup(_ item: OTLPItem, _ key: String) -> JSONValue? {
        if let v = item.attributes[key], v != .null { return v }
        if let v = item.resource[key], v != .null { return v }
        return nil
    }

    func string(_ item: OTLPItem, _ keys: [String]) -> String? {
        for key in keys {
            if let v = lookup(item, key), let s = Self.text(v), !s.isEmpty { return s }
        }
        return nil
    }

    /// A scalar value as text (numbers and booleans too), nil for arrays and objects.
    static func text(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
        default: return nil
        }
    }

    static func flag(_ v: JSONValue) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// The agent a record comes from, for bare event names (`tool_result` → `claude_code.tool_result`).
    static func agentHint(_ item: OTLPItem) -> String? {
        let service = item.resource["service.name"].flatMap(text) ?? ""
        let scope = item.scopeName
        if contains(service, "claude") || contains(scope, "claude_code") || contains(scope, "claude-code") { return "claude_code" }
        if contains(service, "codex") || contains(scope, "codex") { return "codex" }
        return nil
    }

    /// Terminal types that name an IDE (lower-case; matched anywhere in `terminal.type`, any case).
    static let ides: [StaticString] = ["vscode", "cursor", "windsurf", "jetbrains", "intellij", "pycharm", "webstorm", "zed", "vim", "emacs"]

    /// Whether `hay` contains `needle` (lower-case ASCII) ignoring ASCII case: the same answer as
    /// `hay.lowercased().contains(needle)` for these needles, as no character outside ASCII
    /// lower-cases to one of their letters, without a lower-cased copy and Foundation's search
    /// (about 1% of the server's CPU on OTLP logs, for every record).
    static func contains(_ hay: String, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        var hay = hay
        return hay.withUTF8 { h in
            guard h.count >= n else { return false }
            let p = needle.utf8Start
            for start in 0...(h.count - n) {
                var k = 0
                while k < n {
                    var c = h[start + k]
                    if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                    if c != p[k] { break }
                    k += 1
                }
                if k == n { return true }
            }
            return false
        }
    }

    func convert(_ v: JSONValue, _ conversion: OTLPConversion) -> JSONValue? {
        switch conversion {
        case .string:
            return Self.text(v).map(JSONValue.string) ?? .string(String(decoding: v.canonicalBytes, as: UTF8.self))
        case .integer:
            guard let d = Self.number(v), d >= 0, d < 9e15 else { return nil }
            return .int(Int64(d.rounded()))
        case .number:
            return Self.number(v).map(JSONValue.double)
        case .json:
            if case .string(let s) = v, let first = s.first, first == "{" || first == "[",
                let parsed = try? JSONParser.parse(Array(s.utf8))
            {
                return parsed
            }
            return v
        case .usdToMicros:
            guard let d = Self.number(v), d >= 0, d < 9e9 else { return nil }
            return .int(Int64((d * 1_000_000).rounded()))
        case .successFlag:
            return Self.flag(v).map { .string($0 ? "success" : "failure") }
        case .httpStatus:
            guard let code = Self.number(v), code >= 100, code < 600 else { return nil }
            return .string(code < 400 ? "success" : "failure")
        case .statusWord:
            switch Self.text(v)?.lowercased() {
            case "connected", "ok", "success", "succeeded", "completed": return "success"
            case "failed", "failure", "error": return "failure"
            case "denied", "rejected", "blocked": return "denied"
            default: return nil
            }
        }
    }

    static func set(_ event: inout [String: JSONValue], _ path: [String], _ value: JSONValue) {
        set(&event, path[...], value)
    }

    static func set(_ event: inout [String: JSONValue], _ path: ArraySlice<String>, _ value: JSONValue) {
        guard let head = path.first else { return }
        if path.count == 1 {
            event[head] = value
            return
        }
        // Taken out first, so the inner object is not shared and is changed in place (reading it
        // while `event` still held it made every nested set copy the whole object).
        var inner = event.removeValue(forKey: head)?.objectValue ?? [String: JSONValue](minimumCapacity: 4)
        set(&inner, path.dropFirst(), value)
        event[head] = .object(inner)
    }

    static func get(_ event: [String: JSONValue], _ path: [String]) -> JSONValue? {
        var current: JSONValue = .object(event)
        for key in path {
            guard let next = current[key] else { return nil }
            current = next
        }
        return current
    }

    /// The matched rule, if any: span operation first, then the candidate names.
    func match(_ item: OTLPItem) -> (rule: OTLPEventRule, provider: String?)? {
        if let op = item.operation, let r = OTLPMappingRules.operationRules[op] { return (r, nil) }
        let hint = Self.agentHint(item)
        for name in item.names where !name.isEmpty {
            if let r = OTLPMappingRules.rule(forEvent: name, agentHint: hint) { return r }
        }
        return nil
    }

    func build(_ item: OTLPItem, pointer: String) -> OTLPMapped {
        let matched = match(item)
        var event = [String: JSONValue](minimumCapacity: 16)
        if item.timeNanos != 0 { event["time"] = .string(Timestamp(microseconds: Int64(item.timeNanos / 1000)).rfc3339) }
        let user = string(item, OTLPMappingRules.userKeys)
        let service = string(item, ["service.name"])
        var session: [String: JSONValue] = [:]
        if let id = string(item, OTLPMappingRules.sessionKeys) { session["id"] = .string(id) }
        if let c = string(item, OTLPMappingRules.conversationKeys) { session["conversation_id"] = .string(c) }
        if !item.traceID.isEmpty { session["trace_id"] = .string(OTLPLogMapper.hex(item.traceID)) }
        if !item.spanID.isEmpty { session["span_id"] = .string(OTLPLogMapper.hex(item.spanID)) }
        if !session.isEmpty { event["session"] = .object(session) }
        var source: [String: JSONValue] = ["ingest": "otlp"]
        if let service { source["system"] = .string(service) }
        if let version = string(item, OTLPMappingRules.versionKeys) { source["version"] = .string(version) }
        event["source"] = .object(source)
        var attributes: [String: JSONValue] = ["otlp": .object(item.otlp)]
        if let org = string(item, ["organization.id"]) { attributes["organization_id"] = .string(org) }
        event["attributes"] = .object(attributes)
        var usage: [UsagePoint] = []

        guard let (rule, provider) = matched else {
            // The generic mapping: a telemetry event named after the record.
            event["category"] = "telemetry"
            event["action"] = .string(item.fallbackAction)
            if let user {
                event["actor"] = .object(["type": "human", "id": .string(user)])
            } else {
                event["actor"] = .object(["type": "service", "id": .string(service ?? "otlp")])
            }
            return OTLPMapped(pointer: pointer, event: Self.fit(.object(event), EventSchema.root), usage: [])
        }

        event["category"] = .string(rule.category)
        event["action"] = .string(rule.action)
        // The agent, and who acted.
        let agentID = service ?? "otlp"
        var agent: [String: JSONValue] = ["id": .string(agentID), "name": .string(agentID)]
        if let version = string(item, OTLPMappingRules.versionKeys) { agent["version"] = .string(version) }
        if let model = string(item, OTLPMappingRules.modelKeys) { agent["model"] = .string(model) }
        if let p = string(item, OTLPMappingRules.providerKeys) ?? provider { agent["provider"] = .string(p) }
        event["agent"] = .object(agent)
        switch rule.initiator {
        case .user:
            if let user {
                event["actor"] = .object(["type": "human", "id": .string(user)])
            } else {
                event["actor"] = .object(["type": "human", "id": "unknown"])
            }
        case .agent:
            event["actor"] = .object(["type": "agent", "id": .string(agentID), "name": .string(agentID)])
            if let user { event["on_behalf_of"] = .object(["id": .string(user)]) }
        }
        if let terminal = string(item, ["terminal.type"]) {
            event["channel"] = .string(Self.ides.contains { Self.contains(terminal, $0) } ? "ide" : "cli")
        }
        if let status = rule.outcome { Self.set(&event, ["outcome", "status"], .string(status)) }
        for field in rule.fields {
            if let constant = field.constant {
                Self.set(&event, field.target, .string(constant))
                continue
            }
            for key in field.sources {
                if let raw = lookup(item, key), let v = convert(raw, field.conversion) {
                    Self.set(&event, field.target, v)
                    break
                }
            }
        }
        for special in rule.special {
            apply(special, item: item, event: &event, user: user, usage: &usage)
        }
        if let measure = rule.counts {
            usage.append(usagePoint(measure, item: item, event: event, user: user))
        }
        // An outcome needs a status: a reason alone reports an error.
        if let outcome = event["outcome"]?.objectValue, outcome["status"] == nil {
            var o = outcome
            o["status"] = "error"
            event["outcome"] = .object(o)
        }
        return OTLPMapped(pointer: pointer, event: Self.fit(.object(event), EventSchema.root), usage: usage)
    }

    /// Mapped text longer than the schema allows is cut to fit (marked with `…`), so a long error
    /// message or model name does not cost the whole record; the full value stays in `attributes.otlp`.
    static func fit(_ value: JSONValue, _ type: FieldType) -> JSONValue {
        fitted(value, type) ?? value
    }

    /// ``fit(_:_:)``'s result when it differs from `value`, else nil: objects are copied only
    /// when something inside them was shortened (copying every object of every record, and
    /// counting the scalars of every string, had cost about 7% of the server's CPU on OTLP logs).
    static func fitted(_ value: JSONValue, _ type: FieldType) -> JSONValue? {
        switch (value, type) {
        case (.object(let o), .object(let fields, _)):
            var out: [String: JSONValue]?
            for (k, v) in o {
                if let t = fields[k], let new = fitted(v, t) {
                    if out == nil { out = o }
                    out![k] = new
                }
            }
            return out.map(JSONValue.object)
        case (.string(let s), .string(let max, _)), (.string(let s), .stringOrInteger(let max)):
            // A string has at most as many scalars as UTF-8 bytes: most are not counted at all.
            guard max > 1, s.utf8.count > max, s.unicodeScalars.count > max else { return nil }
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: s.unicodeScalars.prefix(max - 1))
            scalars.append("…")
            return .string(String(scalars))
        default:
            return nil
        }
    }

    func usagePoint(_ measure: UsageMeasure, item: OTLPItem, event: [String: JSONValue], user: String?) -> UsagePoint {
        let time = item.timeNanos != 0 ? Timestamp(microseconds: Int64(item.timeNanos / 1000)) : Timestamp.now()
        return UsagePoint(
            series: "",
            measure: measure,
            time: time,
            value: 1,
            user: user ?? "",
            agent: event["agent"]?["id"]?.stringValue ?? "",
            model: event["agent"]?["model"]?.stringValue ?? ""
        )
    }

    func apply(_ special: OTLPSpecial, item: OTLPItem, event: inout [String: JSONValue], user: String?, usage: inout [UsagePoint]) {
        switch special {
        case .toolCall:
            guard let command = Self.command(Self.get(event, ["request", "args"])) else {
                // No shell command: the query or path a tool works on is classified instead
                // (a SQL tool's `DROP TABLE`, a file tool reading `~/.aws/credentials`).
                if let text = Self.targets(Self.get(event, ["request", "args"])) { classify(text, into: &event) }
                return
            }
            Self.set(&event, ["action"], "command.execute")
            Self.set(&event, ["request", "args", "command"], .string(command))
            classify(command, into: &event)
        case .toolDecision:
            let decision = (string(item, ["decision"]) ?? "").lowercased()
            let source = (string(item, ["source", "decision_source"]) ?? "").lowercased()
            let allowed = ["accept", "accepted", "allow", "allowed", "yes"].contains(decision) || decision.hasPrefix("approved")
            let known = allowed || ["reject", "rejected", "denied", "deny", "abort", "no"].contains(decision)
            if source.hasPrefix("user") {
                event["category"] = "approval"
                event["action"] = "tool.approval"
                event["actor"] = .object(["type": "human", "id": .string(user ?? "unknown")])
                event["on_behalf_of"] = nil  // the user acts for themselves
                var approval: [String: JSONValue] = ["approver": .object(["id": .string(user ?? "unknown")])]
                if known { approval["decision"] = .string(allowed ? "approved" : "rejected") }
                approval["justification"] = .string(source)
                event["approval"] = .object(approval)
            } else {
                var policy: [String: JSONValue] = [:]
                if known { policy["decision"] = .string(allowed ? "allow" : "deny") }
                if !source.isEmpty {
                    policy["reason"] = .string("decided by \(source)")
                    policy["policy_id"] = .string(source)
                }
                event["policy"] = .object(policy)
            }
            if known {
                Self.set(&event, ["outcome", "status"], .string(allowed ? "success" : "denied"))
            }
            if !decision.isEmpty { Self.set(&event, ["attributes", "decision"], .string(decision)) }
        case .settings:
            // The new setting only (leaving bypassPermissions is not a risk), in a fixed order.
            var values: [String] = []
            if let after = Self.get(event, ["changes", "after"]).flatMap(Self.text) { values.append(after) }
            for (key, value) in (event["attributes"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key })
            where key.hasSuffix("_policy") || key.hasSuffix("_mode") {
                if let t = Self.text(value) { values.append(t) }
            }
            let text = values.joined(separator: "\n")
            classify(text, into: &event)
        case .authAction:
            if let a = string(item, ["action"])?.lowercased(), ["login", "logout"].contains(a) {
                event["action"] = .string("auth." + a)
            }
        case .spanStatus:
            guard let status = item.spanStatus else { return }
            if status.isError {
                Self.set(&event, ["outcome", "status"], "error")
                let reason = status.message.isEmpty ? (string(item, ["error.type"]) ?? "") : status.message
                if !reason.isEmpty { Self.set(&event, ["outcome", "reason"], .string(reason)) }
            } else if Self.get(event, ["outcome", "status"]) == nil {
                Self.set(&event, ["outcome", "status"], "success")
            }
        }
    }

    func classify(_ command: String, into event: inout [String: JSONValue]) {
        guard let risk, let (level, reasons) = risk.classify(command) else { return }
        event["risk"] = .object(["level": .string(level), "reasons": .array(reasons.map(JSONValue.string))])
    }

    /// Argument members naming what a non-shell tool acts on, classified for risk.
    static let targetKeys = ["query", "sql", "statement", "file_path", "path", "notebook_path", "url"]

    static func targets(_ args: JSONValue?) -> String? {
        guard let args, case .object(let o) = args else { return nil }
        let texts = targetKeys.compactMap { o[$0]?.stringValue }.filter { !$0.isEmpty }
        return texts.isEmpty ? nil : texts.joined(separator: "\n")
    }

    /// The shell command in a tool's arguments: Claude Code's `full_command`/`bash_command`, or a
    /// `command`/`cmd` member (a string, or an argv array such as Codex's `["bash", "-lc", "…"]`).
    static func command(_ args: JSONValue?) -> String? {
        guard let args, case .object(let o) = args else { return nil }
        for key in ["full_command", "bash_command", "command", "cmd", "script"] {
            switch o[key] {
            case .string(let s)? where !s.isEmpty:
                return s
            case .array(let parts)?:
                let words = parts.compactMap(\.stringValue)
                guard !words.isEmpty else { continue }
                if words.count >= 3, ["bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/bin/zsh"].contains(words[0]), words[1].hasPrefix("-"),
                    words[1].contains("c")
                {
                    return words[2...].joined(separator: " ")
                }
                return words.joined(separator: " ")
            default:
                continue
            }
        }
        return nil
    }
}
