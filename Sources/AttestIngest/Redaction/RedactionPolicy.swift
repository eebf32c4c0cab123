import AttestCore

/// Which parts of an audit event are protected before the event is hashed into the ledger, and how.
///
/// Two protections exist:
///
/// - **HMAC replacement.** The value of a member whose *name* is sensitive (``sensitiveKeys``,
///   ``sensitiveSuffixes``), or the value at one of the operator's ``pointers``, is replaced as a whole by
///   `{"hmac":"hmac-sha256:<64 hex>"}` (see ``Redactor/hmac(_:)``). The value can no longer be read, but an
///   auditor who knows a candidate value can ask the server for its HMAC and compare.
/// - **Secret-shape redaction** (``redactSecretShapes``). Inside every scanned string, text that has the shape of a
///   credential (an AWS key, a GitHub token, a JWT, a PEM private key, a password in a URL, …; see ``SecretKind``)
///   is replaced in place by `[REDACTED:<kind>]`; the rest of the string is kept. Object keys are never changed.
///
/// ## Key-name matching
/// A member name is *normalized* (see ``normalizedKeyName(_:)``): ASCII letters lower-cased, a `camelCase` hump
/// split with `_` (`apiKey` → `api_key`, `XApiKey` → `x_api_key`), `-` and space turned into `_`. It is sensitive
/// when the normalized name is in the normalized ``sensitiveKeys`` or ends with one of the normalized
/// ``sensitiveSuffixes``. Suffixes are whole words by construction (they start with `_`), so the plural and
/// derived names that count things stay readable: `input_tokens`, `output_tokens`, `tokens`, `max_tokens`,
/// `token_count`, `secretary` and `passwords_changed_at` are *not* sensitive, while `db_password`,
/// `github_token` and `stripe_secret` are. Matching applies to members at every depth, including objects inside
/// arrays, and the first (outermost) match wins: the whole value under it is HMACed, nested sensitive members
/// included.
///
/// ## The exact exemption rule
/// The event's identity fields are indexed and queried by the ledger (`id`, `time`, `action`, `category`,
/// `actor.id`, `on_behalf_of.id`, `agent.id`/`agent.name`, `session.id`), so they must reach the ledger exactly as
/// sent. The rule is deliberately coarse and easy to reason about:
///
/// > When the event is an object, each of its **top-level members whose name is in ``exemptTopLevelKeys``** is left
/// > byte-for-byte unchanged, whole subtree included: no key-name matching, no secret-shape scanning, and configured
/// > ``pointers`` that lead into it are skipped. **Everything else**, at any depth, is subject to all three.
///
/// With the default set this exempts `id`, `time`, `action`, `category`, `channel`, and the `actor`,
/// `on_behalf_of`, `agent` and `session` objects; it scans `attributes`, `request`, `changes`, `outcome` (so
/// `outcome.reason`), `resource` (`resource.name`, but also `resource.id`), `system_call` (`system_call.target`),
/// `policy` (`policy.reason`), `approval` (`approval.justification`), `risk`, `usage` and `source`.
///
/// Trade-off: a credential pasted into an exempt member (say an access key used as `actor.id`, or a token inside
/// `actor.user_agent`) is stored in clear. The schema types and length-limits these fields, and a heuristic must
/// never silently rewrite who did what, so this is accepted. A non-identity field that has a secret shape, such
/// as an AWS access key id used as `resource.id`, is redacted, and can then no longer be queried by that value.
///
/// The policy is plain configuration: build it in code (it is intentionally not `Codable`).
public struct RedactionPolicy: Sendable, Hashable {
    /// Member names whose values are HMACed, wherever they occur (outside exempt members). Compared after
    /// normalization (``normalizedKeyName(_:)``) on both sides, so `"Api-Key"` here equals `"api_key"`.
    public var sensitiveKeys: Set<String>

    /// Member-name endings that make a name sensitive (compared after normalization), e.g. `_password` for
    /// `db_password`. Keep the leading `_` so that only whole trailing words match.
    public var sensitiveSuffixes: Set<String>

    /// Extra RFC 6901 paths, from the event root, whose values are HMACed (e.g. `/request/args/customer_email`,
    /// `/attributes/recipients/0`). A path that does not exist in an event is skipped; so is the root pointer and
    /// any path that leads into an exempt top-level member.
    public var pointers: [JSONPointer]

    /// Names of the top-level members that are never altered (see the exact rule in the type's documentation).
    public var exemptTopLevelKeys: Set<String>

    /// Whether credentials are searched for, and redacted, inside scanned string values.
    public var redactSecretShapes: Bool

    /// The default sensitive member names.
    public static let defaultSensitiveKeys: Set<String> = [
        "password", "passwd", "pwd", "secret", "client_secret",
        "token", "access_token", "refresh_token", "id_token", "session_token",
        "api_key", "apikey", "x_api_key",
        "authorization", "proxy_authorization", "cookie", "set_cookie",
        "private_key", "credentials", "credential",
        "aws_secret_access_key", "secret_access_key",
    ]

    /// The default sensitive member-name endings.
    public static let defaultSensitiveSuffixes: Set<String> = [
        "_password", "_secret", "_token", "_api_key", "_apikey", "_private_key",
    ]

    /// The default exempt top-level members: the identity and classification fields of an event.
    public static let defaultExemptTopLevelKeys: Set<String> = [
        "id", "time", "action", "category", "channel", "actor", "on_behalf_of", "agent", "session",
    ]

    /// The default policy: default keys and suffixes, no pointers, default exemptions, secret shapes redacted.
    public static let `default` = RedactionPolicy()

    /// Creates a policy; every parameter defaults to the value of ``default``.
    public init(
        sensitiveKeys: Set<String> = RedactionPolicy.defaultSensitiveKeys,
        sensitiveSuffixes: Set<String> = RedactionPolicy.defaultSensitiveSuffixes,
        pointers: [JSONPointer] = [],
        exemptTopLevelKeys: Set<String> = RedactionPolicy.defaultExemptTopLevelKeys,
        redactSecretShapes: Bool = true
    ) {
        self.sensitiveKeys = sensitiveKeys
        self.sensitiveSuffixes = sensitiveSuffixes
        self.pointers = pointers
        self.exemptTopLevelKeys = exemptTopLevelKeys
        self.redactSecretShapes = redactSecretShapes
    }

    /// The form in which member names are compared: ASCII letters lower-cased, `-` and space turned into `_`, and a
    /// `_` inserted at each `camelCase` hump (before an upper-case letter that follows a lower-case letter or a
    /// digit, or that follows an upper-case letter and precedes a lower-case one). Other characters are kept.
    ///
    /// Examples: `Api-Key` → `api_key`, `API_KEY` → `api_key`, `X-Api-Key` → `x_api_key`, `accessToken` →
    /// `access_token`, `APIKey` → `api_key`, `Set Cookie` → `set_cookie`.
    public static func normalizedKeyName(_ name: String) -> String {
        KeyNameMatcher.normalized(name)
    }
}
