/// A kind of credential that secret-shape redaction recognizes inside free text.
///
/// The raw value is the name used in the `[REDACTED:<kind>]` marker and in ``RedactionReport/redactions``.
/// The shapes, over ASCII (a *boundary* before a match means that the preceding byte, if any, is not an ASCII letter
/// or digit; for the kinds whose token may contain `_` and `-`, not one of those either):
///
/// - `aws_access_key_id`: `AKIA`, `ASIA`, `AGPA`, `AIDA`, `AROA`, `ANPA`, `ANVA` or `AIPA`, then exactly 16 of
///   `[A-Z0-9]`, with a boundary on both sides. Replaced whole.
/// - `aws_secret_access_key`: the label `aws_secret_access_key` (any case), an optional quote, optional spaces, `=`
///   or `:`, optional spaces, an optional quote, then exactly 40 of `[A-Za-z0-9/+=]` (not followed by another one).
///   Only the 40 characters are replaced.
/// - `github_token`: `ghp_`, `gho_`, `ghu_`, `ghs_` or `ghr_`, then 36 or more of `[A-Za-z0-9]`; or `github_pat_`,
///   then 22 or more of `[A-Za-z0-9_]`. Replaced whole.
/// - `slack_token`: `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-` or `xoxs-`, then 10 or more of `[A-Za-z0-9-]`. Replaced whole.
/// - `google_api_key`: `AIza`, then exactly 35 of `[A-Za-z0-9_-]`, not followed by another one. Replaced whole.
/// - `stripe_key`: `sk_live_` or `rk_live_`, then 16 or more of `[A-Za-z0-9]`. Replaced whole.
/// - `anthropic_api_key`: `sk-ant-`, then 20 or more of `[A-Za-z0-9_-]`. Replaced whole.
/// - `openai_api_key`: `sk-` (but not `sk-ant-`), then 20 or more of `[A-Za-z0-9_-]` of which at least one is a
///   digit or an upper-case letter. This covers `sk-proj-…` keys, and leaves kebab-case words such as
///   `sk-learn-based-pipeline-for-data` alone. Replaced whole.
/// - `jwt`: three runs of `[A-Za-z0-9_-]` joined by `.`, each at least 10 long, the first two starting with `eyJ`.
///   Replaced whole.
/// - `bearer_token`: `Bearer` (any case), one or more spaces or tabs, then 16 or more of `[A-Za-z0-9._~+/=-]`.
///   Only the token is replaced; the word `Bearer` stays.
/// - `private_key`: from `-----BEGIN <[A-Z ]*>PRIVATE KEY-----` up to and including the next
///   `-----END <[A-Z ]*>PRIVATE KEY-----`, or to the end of the string when there is none. Replaced whole.
/// - `basic_auth_url`: `<scheme>://<user>:<password>@<host>`. The authority runs up to the first `/`, `?`, `#`, white
///   space, control character, quote, `<`, `>`, `\` or backtick; in it the password runs from the first `:` to the
///   last `@` and must not be empty (the user may be: `redis://:pw@host`). Only the password is replaced.
///
/// When several shapes could start at the same place, the first row of this table wins; scanning continues after
/// the end of each match, so matches never overlap.
public enum SecretKind: String, CaseIterable, Sendable, Hashable {
    /// An AWS access key id (`AKIA…`, `ASIA…`, …).
    case awsAccessKeyID = "aws_access_key_id"
    /// The 40-character AWS secret access key written after an `aws_secret_access_key` label.
    case awsSecretAccessKey = "aws_secret_access_key"
    /// A GitHub personal, OAuth, user-to-server, server-to-server or refresh token (`ghp_…`, `github_pat_…`, …).
    case githubToken = "github_token"
    /// A Slack token (`xoxb-…`, `xoxp-…`, …).
    case slackToken = "slack_token"
    /// A Google API key (`AIza…`).
    case googleAPIKey = "google_api_key"
    /// A Stripe live secret or restricted key (`sk_live_…`, `rk_live_…`).
    case stripeKey = "stripe_key"
    /// An Anthropic API key (`sk-ant-…`).
    case anthropicAPIKey = "anthropic_api_key"
    /// An OpenAI API key (`sk-…`, `sk-proj-…`).
    case openAIAPIKey = "openai_api_key"
    /// A JSON Web Token (`eyJ….eyJ….…`).
    case jwt = "jwt"
    /// The token after `Bearer ` (an HTTP `Authorization` header value).
    case bearerToken = "bearer_token"
    /// A PEM private key block.
    case privateKey = "private_key"
    /// The password of a `scheme://user:password@host` URL.
    case basicAuthURL = "basic_auth_url"

    /// The text that replaces a match: `[REDACTED:<rawValue>]`.
    public var marker: String { "[REDACTED:\(rawValue)]" }
}
