import AttestCore
import AttestIngest

/// Fixed keys and helpers shared by the redaction tests.
enum RedactionFixtures {
    /// `b"attest-redaction-known-answer-k1"` (32 bytes): the key of the known-answer HMACs.
    static let key1 = Array("attest-redaction-known-answer-k1".utf8)
    /// `b"attest-redaction-known-answer-k2"` (32 bytes).
    static let key2 = Array("attest-redaction-known-answer-k2".utf8)

    static func redactor(_ policy: RedactionPolicy = .default, key: [UInt8] = key1) -> Redactor {
        Redactor(policy: policy, key: key)
    }

    /// The replacement object for a value whose HMAC under `key1` is `hex`.
    static func hmacObject(_ hex: String) -> JSONValue {
        .object(["hmac": .string("hmac-sha256:" + hex)])
    }

    static func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(text)
    }

    /// A typical event without any secret (721 bytes as canonical JSON: 36 members, 21 strings).
    static let typicalEventText = """
        {"id":"evt-7f3a9c21","time":"2026-11-23T08:15:30.123Z","category":"tool_call","action":"command.execute",
         "actor":{"type":"agent","id":"claude-code@laptop-42","name":"Claude Code"},
         "on_behalf_of":{"id":"alice@example.com"},
         "agent":{"id":"claude-code","version":"2.1.0","model":"claude-opus-4","provider":"anthropic"},
         "session":{"id":"sess-91"},
         "request":{"args":{"command":"terraform apply -auto-approve","cwd":"/home/alice/src/infra"},"result":{"exit_code":0}},
         "outcome":{"status":"success","reason":"plan applied: 3 added, 1 changed"},
         "usage":{"input_tokens":1834,"output_tokens":211},
         "risk":{"level":"high","reasons":["infrastructure change"]},
         "attributes":{"git_branch":"main","task-manager":"jira","max_tokens":8192}}
        """
}
