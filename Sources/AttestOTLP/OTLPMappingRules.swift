import AttestCore
import AttestStore
import Foundation

/// The table-driven mapping from agents' OpenTelemetry records to audit events (DESIGN §4).
///
/// A rule matches a log record's event name (Claude Code, Codex) or a span's
/// `gen_ai.operation.name` / name (GenAI semantic conventions, Factory Droid), sets the category
/// and action, and copies attributes to event fields, each with a conversion. The same tables
/// render the mapping tables of docs/OTLP.md (a test keeps the two equal). What no rule matches
/// is kept as a `telemetry` event; in every case the whole record stays under `attributes.otlp`.
public struct OTLPFieldRule: Sendable {
    /// Where the value goes, as a path of object members (`["usage", "input_tokens"]`).
    public let target: [String]
    /// Attribute keys to read, first present wins (record or span attributes, then resource).
    public let sources: [String]
    public let conversion: OTLPConversion
    /// A fixed value instead of an attribute (e.g. `resource.type` = `tool`).
    public let constant: String?

    public init(_ target: String, _ sources: [String], _ conversion: OTLPConversion = .string) {
        self.target = target.split(separator: ".").map(String.init)
        self.sources = sources
        self.conversion = conversion
        self.constant = nil
    }

    public init(_ target: String, constant: String) {
        self.target = target.split(separator: ".").map(String.init)
        self.sources = []
        self.conversion = .string
        self.constant = constant
    }
}

/// How an attribute becomes an event value. Agents often send numbers and booleans as strings
/// ("42", "true"); every numeric and boolean conversion accepts both.
public enum OTLPConversion: String, Sendable {
    /// Text (numbers and booleans are written as text).
    case string
    /// An integer ≥ 0 (a fractional value is rounded).
    case integer
    /// A number.
    case number
    /// JSON text parsed into a value (an object or array), else kept as the text.
    case json
    /// US dollars as an integer number of micro-dollars.
    case usdToMicros = "usd_to_micros"
    /// `true`/`false` (or 1/0) as outcome status `success`/`failure`.
    case successFlag = "success_flag"
    /// A status word as an outcome status: connected/ok/success/succeeded/completed → `success`,
    /// failed/failure/error → `failure`, denied/rejected/blocked → `denied`; others are not copied.
    case statusWord = "status_word"
    /// An HTTP status as an outcome status: below 400 → `success`, else `failure`.
    case httpStatus = "http_status"
}

/// Who the event's actor is.
public enum OTLPInitiator: String, Sendable {
    /// The agent acted (`actor` is the agent, `on_behalf_of` the user).
    case agent
    /// The user acted (`actor` is the user); the agent is still recorded under `agent`.
    case user
}

/// Rule logic that a field copy cannot express.
public enum OTLPSpecial: String, Sendable {
    /// A tool call: the shell command (if any) becomes `request.args.command`, the action
    /// `command.execute`, and the command is risk-classified.
    case toolCall = "tool_call"
    /// A permission decision: by configuration or a hook → `policy_decision` with `policy.decision`;
    /// by the user → `approval` with `approval.decision` and the user as approver.
    case toolDecision = "tool_decision"
    /// A settings change that can switch off permission prompts or the sandbox: risk-classified.
    case settings
    /// An authentication event: the `action` attribute (`login`, `logout`) names the action.
    case authAction = "auth_action"
    /// A span: its status sets the outcome (error → `error` with the status message).
    case spanStatus = "span_status"
}

/// One mapping rule.
public struct OTLPEventRule: Sendable {
    /// Event names (logs) or operation names (spans) the rule matches.
    public let names: [String]
    public let category: String
    public let action: String
    public let initiator: OTLPInitiator
    /// The outcome status set before fields are copied (fields may override it), or nil.
    public let outcome: String?
    public let fields: [OTLPFieldRule]
    public let special: [OTLPSpecial]
    /// What one matched record adds to usage analytics (a tool call, a session), if anything.
    public let counts: UsageMeasure?

    public init(
        _ names: [String],
        category: String,
        action: String,
        initiator: OTLPInitiator = .agent,
        outcome: String? = nil,
        fields: [OTLPFieldRule] = [],
        special: [OTLPSpecial] = [],
        counts: UsageMeasure? = nil
    ) {
        self.names = names
        self.category = category
        self.action = action
        self.initiator = initiator
        self.outcome = outcome
        self.fields = fields
        self.special = special
        self.counts = counts
    }
}

/// The mapping tables.
public enum OTLPMappingRules {
    /// Fields every mapped record and span gets (identity, session, source); see docs/OTLP.md.
    public static let userKeys = ["user.email", "user.id", "user.account_uuid", "user.account_id", "enduser.id"]
    public static let sessionKeys = ["session.id", "conversation.id", "gen_ai.conversation.id"]
    public static let conversationKeys = ["conversation.id", "gen_ai.conversation.id"]
    public static let modelKeys = ["model", "gen_ai.response.model", "gen_ai.request.model"]
    public static let providerKeys = ["gen_ai.provider.name", "gen_ai.system"]
    public static let versionKeys = ["service.version", "app.version"]

    /// Claude Code log events (`claude_code.*`; the record's `event.name` may omit the prefix).
    public static let claudeCode: [OTLPEventRule] = [
        OTLPEventRule(
            ["claude_code.user_prompt"],
            category: "agent_action",
            action: "prompt.submit",
            initiator: .user,
            outcome: "success",
            fields: [
                OTLPFieldRule("request.args.prompt_length", ["prompt_length"], .integer),
                OTLPFieldRule("request.args.prompt", ["prompt"]),
            ]
        ),
        OTLPEventRule(
            ["claude_code.tool_result"],
            category: "tool_call",
            action: "tool.execute",
            fields: [
                OTLPFieldRule("resource.type", constant: "tool"),
                OTLPFieldRule("resource.id", ["tool_name"]),
                OTLPFieldRule("resource.name", ["tool_name"]),
                OTLPFieldRule("outcome.status", ["success"], .successFlag),
                OTLPFieldRule("outcome.reason", ["error"]),
                OTLPFieldRule("request.args", ["tool_parameters"], .json),
                OTLPFieldRule("attributes.duration_ms", ["duration_ms"], .number),
                OTLPFieldRule("attributes.call_id", ["tool_use_id"]),
                OTLPFieldRule("attributes.error_type", ["error_type"]),
                OTLPFieldRule("attributes.decision", ["decision_type", "decision"]),
                OTLPFieldRule("attributes.decision_source", ["decision_source", "source"]),
                OTLPFieldRule("attributes.result_size_bytes", ["tool_result_size_bytes"], .integer),
            ],
            special: [.toolCall],
            counts: .toolCalls
        ),
        OTLPEventRule(
            ["claude_code.api_request"],
            category: "model_call",
            action: "model.request",
            outcome: "success",
            fields: [
                OTLPFieldRule("agent.model", ["model"]),
                OTLPFieldRule("usage.input_tokens", ["input_tokens"], .integer),
                OTLPFieldRule("usage.output_tokens", ["output_tokens"], .integer),
                OTLPFieldRule("usage.cost_micros", ["cost_usd"], .usdToMicros),
                OTLPFieldRule("attributes.cache_read_tokens", ["cache_read_tokens"], .integer),
                OTLPFieldRule("attributes.cache_creation_tokens", ["cache_creation_tokens"], .integer),
                OTLPFieldRule("attributes.duration_ms", ["duration_ms"], .number),
            ]
        ),
        OTLPEventRule(
            ["claude_code.api_error"],
            category: "model_call",
            action: "model.request",
            outcome: "error",
            fields: [
                OTLPFieldRule("agent.model", ["model"]),
                OTLPFieldRule("outcome.reason", ["error"]),
                OTLPFieldRule("attributes.status_code", ["status_code"]),
                OTLPFieldRule("attributes.attempt", ["attempt"], .integer),
                OTLPFieldRule("attributes.duration_ms", ["duration_ms"], .number),
            ]
        ),
        OTLPEventRule(
            ["claude_code.tool_decision"],
            category: "policy_decision",
            action: "tool.permission",
            fields: [
                OTLPFieldRule("resource.type", constant: "tool"),
                OTLPFieldRule("resource.id", ["tool_name"]),
                OTLPFieldRule("resource.name", ["tool_name"]),
                OTLPFieldRule("request.args", ["tool_parameters"], .json),
                OTLPFieldRule("attributes.call_id", ["tool_use_id"]),
                OTLPFieldRule("attributes.tool_source", ["tool_source"]),
            ],
            special: [.toolDecision]
        ),
        OTLPEventRule(
            ["claude_code.auth"],
            category: "authentication",
            action: "auth.login",
            initiator: .user,
            fields: [
                OTLPFieldRule("outcome.status", ["success"], .successFlag),
                OTLPFieldRule("outcome.reason", ["error_category", "error"]),
                OTLPFieldRule("attributes.auth_method", ["auth_method"]),
                OTLPFieldRule("attributes.status_code", ["status_code"]),
            ],
            special: [.authAction]
        ),
        OTLPEventRule(
            ["claude_code.permission_mode_changed"],
            category: "configuration",
            action: "permission_mode.change",
            initiator: .user,
            outcome: "success",
            fields: [
                OTLPFieldRule("changes.before", ["from_mode"]),
                OTLPFieldRule("changes.after", ["to_mode"]),
                OTLPFieldRule("attributes.trigger", ["trigger"]),
            ],
            special: [.settings]
        ),
        OTLPEventRule(
            ["claude_code.mcp_server_connection"],
            category: "system_call",
            action: "mcp.connect",
            fields: [
                OTLPFieldRule("system_call.protocol", constant: "other"),
                OTLPFieldRule("system_call.target", ["server_name"]),
                OTLPFieldRule("system_call.method", ["transport_type"]),
                OTLPFieldRule("system_call.status", ["status"]),
                OTLPFieldRule("outcome.status", ["status"], .statusWord),
                OTLPFieldRule("outcome.reason", ["error", "error_code"]),
                OTLPFieldRule("attributes.server_scope", ["server_scope"]),
                OTLPFieldRule("attributes.duration_ms", ["duration_ms"], .number),
            ]
        ),
        OTLPEventRule(
            ["claude_code.hook_execution_complete"],
            category: "agent_action",
            action: "hook.execute",
            fields: [
                OTLPFieldRule("resource.type", constant: "hook"),
                OTLPFieldRule("resource.id", ["hook_name", "hook_event"]),
                OTLPFieldRule("resource.name", ["hook_name", "hook_event"]),
                OTLPFieldRule("attributes.hook_event", ["hook_event"]),
                OTLPFieldRule("attributes.hooks", ["num_hooks"], .integer),
                OTLPFieldRule("attributes.succeeded", ["num_success"], .integer),
                OTLPFieldRule("attributes.blocking", ["num_blocking"], .integer),
                OTLPFieldRule("attributes.errors", ["num_non_blocking_error"], .integer),
                OTLPFieldRule("attributes.cancelled", ["num_cancelled"], .integer),
                OTLPFieldRule("attributes.duration_ms", ["total_duration_ms", "duration_ms"], .number),
            ]
        ),
    ]

    /// Codex log events (`codex.*`).
    public static let codex: [OTLPEventRule] = [
        OTLPEventRule(
            ["codex.conversation_starts"],
            category: "session",
            action: "session.start",
            outcome: "success",
            fields: [
                OTLPFieldRule("agent.model", ["model"]),
                OTLPFieldRule("attributes.approval_policy", ["approval_policy"]),
                OTLPFieldRule("attributes.sandbox_policy", ["sandbox_policy"]),
                OTLPFieldRule("attributes.reasoning_effort", ["reasoning_effort"]),
                OTLPFieldRule("attributes.mcp_servers", ["mcp_servers"]),
                OTLPFieldRule("agent.provider", ["provider_name"]),
            ],
            special: [.settings],
            counts: .sessions
        ),
        OTLPEventRule(
            ["codex.api_request"],
            category: "model_call",
            action: "model.request",
            fields: [
                OTLPFieldRule("agent.model", ["model"]),
                OTLPFieldRule("outcome.status", ["http.response.status_code"], .httpStatus),
                OTLPFieldRule("outcome.reason", ["error.message"]),
                OTLPFieldRule("attributes.status_code", ["http.response.status_code"]),
                OTLPFieldRule("attributes.attempt", ["attempt"], .integer),
                OTLPFieldRule("attributes.duration_ms", ["duration_ms"], .number),
            ]
        ),
        OTLPEventRule(
            ["codex.user_prompt"],
            category: "agent_action",
            action: "prompt.submit",
            initiator: .user,
            outcome: "success",
            fields: [
                OTLPFieldRule("request.args.prompt_length", ["prompt_length"], .integer),
                OTLPFieldRule("request.args.prompt", ["prompt"]),
            ]
        ),
        OTLPEventRule(
            ["codex.tool_decision"],
            category: "policy_decision",
            action: "tool.permission",
            fields: [
                OTLPFieldRule("resource.type", constant: "tool"),
                OTLPFieldRule("resource.id", ["tool_name"]),
                OTLPFieldRule("resource.name", ["tool_name"]),
                OTLPFieldRule("attributes.call_id", ["call_id"]),
            ],
            special: [.toolDecision]
        ),
        OTLPEventRule(
            ["codex.tool_result"],
            category: "tool_call",
            action: "tool.execute",
            fields: [
                OTLPFieldRule("resource.type", constant: "tool"),
                OTLPFieldRule("resource.id", ["tool_name"]),
                OTLPFieldRule("resource.name", ["tool_name"]),
                OTLPFieldRule("outcome.status", ["success"], .successFlag),
                OTLPFieldRule("request.args", ["arguments"], .json),
                OTLPFieldRule("attributes.call_id", ["call_id"]),
                OTLPFieldRule("attributes.duration_ms", ["duration_ms"], .number),
                OTLPFieldRule("attributes.mcp_server", ["mcp_server"]),
            ],
            special: [.toolCall],
            counts: .toolCalls
        ),
    ]

    /// OpenTelemetry GenAI semantic-convention spans, matched on `gen_ai.operation.name`.
    public static let genAI: [OTLPEventRule] = [
        OTLPEventRule(
            ["invoke_agent", "create_agent"],
            category: "agent_action",
            action: "agent.invoke",
            fields: [
                OTLPFieldRule("agent.id", ["gen_ai.agent.id", "gen_ai.agent.name"]),
                OTLPFieldRule("agent.name", ["gen_ai.agent.name"]),
                OTLPFieldRule("agent.model", ["gen_ai.response.model", "gen_ai.request.model"]),
                OTLPFieldRule("agent.provider", ["gen_ai.provider.name", "gen_ai.system"]),
                OTLPFieldRule("usage.input_tokens", ["gen_ai.usage.input_tokens"], .integer),
                OTLPFieldRule("usage.output_tokens", ["gen_ai.usage.output_tokens"], .integer),
                OTLPFieldRule("attributes.operation", ["gen_ai.operation.name"]),
            ],
            special: [.spanStatus]
        ),
        OTLPEventRule(
            ["execute_tool"],
            category: "tool_call",
            action: "tool.execute",
            fields: [
                OTLPFieldRule("resource.type", constant: "tool"),
                OTLPFieldRule("resource.id", ["gen_ai.tool.name"]),
                OTLPFieldRule("resource.name", ["gen_ai.tool.name"]),
                OTLPFieldRule("request.args", ["gen_ai.tool.call.arguments"], .json),
                OTLPFieldRule("request.result", ["gen_ai.tool.call.result"], .json),
                OTLPFieldRule("attributes.call_id", ["gen_ai.tool.call.id"]),
                OTLPFieldRule("attributes.tool_type", ["gen_ai.tool.type"]),
            ],
            special: [.spanStatus, .toolCall],
            counts: .toolCalls
        ),
        OTLPEventRule(
            ["chat", "text_completion", "generate_content", "embeddings"],
            category: "model_call",
            action: "model.request",
            fields: [
                OTLPFieldRule("agent.model", ["gen_ai.response.model", "gen_ai.request.model"]),
                OTLPFieldRule("agent.provider", ["gen_ai.provider.name", "gen_ai.system"]),
                OTLPFieldRule("usage.input_tokens", ["gen_ai.usage.input_tokens"], .integer),
                OTLPFieldRule("usage.output_tokens", ["gen_ai.usage.output_tokens"], .integer),
                OTLPFieldRule("attributes.operation", ["gen_ai.operation.name"]),
                OTLPFieldRule("attributes.response_id", ["gen_ai.response.id"]),
                OTLPFieldRule("attributes.finish_reasons", ["gen_ai.response.finish_reasons"]),
            ],
            special: [.spanStatus]
        ),
    ]

    /// Factory Droid spans (`droid.*`), matched on the span name (a trailing `*` matches a prefix).
    /// Factory documents the span families (`droid.tool.*`, `droid.message.*`, sent when message
    /// content logging is on) but not their attributes, so the tool name and arguments are read
    /// from the usual spellings. Droid's metrics feed usage analytics (see ``OTLPMetricRules``).
    public static let droid: [OTLPEventRule] = [
        OTLPEventRule(
            ["droid.tool*"],
            category: "tool_call",
            action: "tool.execute",
            fields: [
                OTLPFieldRule("resource.type", constant: "tool"),
                OTLPFieldRule("resource.id", ["tool.name", "tool_name", "gen_ai.tool.name"]),
                OTLPFieldRule("resource.name", ["tool.name", "tool_name", "gen_ai.tool.name"]),
                OTLPFieldRule("request.args", ["tool.arguments", "tool.input", "arguments", "gen_ai.tool.call.arguments"], .json),
                OTLPFieldRule("outcome.status", ["success"], .successFlag),
            ],
            special: [.spanStatus, .toolCall]
        ),
        OTLPEventRule(
            ["droid.message*"],
            category: "agent_action",
            action: "message.send",
            fields: [
                OTLPFieldRule("agent.model", ["model", "gen_ai.request.model"]),
                OTLPFieldRule("attributes.role", ["message.role", "role"]),
            ],
            special: [.spanStatus]
        ),
    ]

    /// Every rule set, with the agent it belongs to (for the docs and agent detection).
    public static let sets: [(agent: String, provider: String?, rules: [OTLPEventRule])] = [
        ("Claude Code", "anthropic", claudeCode),
        ("Codex", "openai", codex),
        ("GenAI semantic conventions", nil, genAI),
        ("Factory Droid", nil, droid),
    ]

    static let logRules: [String: (rule: OTLPEventRule, provider: String?)] = {
        var out: [String: (OTLPEventRule, String?)] = [:]
        for set in sets where set.agent != "GenAI semantic conventions" {
            for rule in set.rules { for name in rule.names where !name.hasSuffix("*") { out[name] = (rule, set.provider) } }
        }
        return out
    }()

    static let prefixRules: [(prefix: String, rule: OTLPEventRule, provider: String?)] = sets.flatMap { set in
        set.rules.flatMap { rule in rule.names.filter { $0.hasSuffix("*") }.map { (String($0.dropLast()), rule, set.provider) } }
    }

    static let operationRules: [String: OTLPEventRule] = {
        var out: [String: OTLPEventRule] = [:]
        for rule in genAI { for name in rule.names { out[name] = rule } }
        return out
    }()

    /// The rule for a log event or span name, trying the bare name under `claude_code.` and
    /// `codex.` when the record comes from that agent (Claude Code sends `event.name` = `tool_result`).
    static func rule(forEvent name: String, agentHint: String?) -> (rule: OTLPEventRule, provider: String?)? {
        if let r = logRules[name] { return r }
        if !name.utf8.contains(UInt8(ascii: ".")), let agentHint, let r = logRules[agentHint + "." + name] { return r }
        if let p = prefixRules.first(where: { name.hasPrefix($0.prefix) }) { return (p.rule, p.provider) }
        return nil
    }

    /// Markdown tables of every rule set, as docs/OTLP.md shows them.
    public static func markdown() -> String {
        var out = ""
        for set in sets {
            out += "#### \(set.agent)\n\n"
            out += "| matches | category | action | actor | fields (target ← attribute) | also |\n|---|---|---|---|---|---|\n"
            for rule in set.rules {
                let names = rule.names.map { "`\($0)`" }.joined(separator: ", ")
                var fields = rule.outcome.map { ["`outcome.status` = \($0)"] } ?? []
                fields += rule.fields.map { f in
                    let target = "`" + f.target.joined(separator: ".") + "`"
                    if let constant = f.constant { return target + " = `" + constant + "`" }
                    let conv = f.conversion == .string ? "" : " (\(f.conversion.rawValue))"
                    return target + " ← " + f.sources.map { "`\($0)`" }.joined(separator: " / ") + conv
                }
                let also = (rule.special.map { "`\($0.rawValue)`" } + (rule.counts.map { ["usage: \($0.rawValue)"] } ?? []))
                    .joined(separator: ", ")
                out +=
                    "| \(names) | \(rule.category) | \(rule.action) | \(rule.initiator.rawValue) | \(fields.joined(separator: "<br>")) | \(also) |\n"
            }
            out += "\n"
        }
        return out
    }
}
