import AttestCore
import AttestIngest
import Testing

/// One input text with a secret and the exact text expected after redaction. All tokens are fake.
struct SecretCase: Sendable, CustomTestStringConvertible {
    let kind: SecretKind
    let input: String
    let expected: String
    var testDescription: String { "\(kind.rawValue): \(input.prefix(60))" }

    init(_ kind: SecretKind, _ input: String, _ expected: String) {
        self.kind = kind
        self.input = input
        self.expected = expected
    }
}

@Suite("Secret shapes in free text")
struct SecretScannerTests {
    static let positives: [SecretCase] = [
        SecretCase(
            .awsAccessKeyID,
            "deploying with AKIAIOSFODNN7EXAMPLE as the key",
            "deploying with [REDACTED:aws_access_key_id] as the key"
        ),
        SecretCase(.awsAccessKeyID, "AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A;", "AWS_ACCESS_KEY_ID=[REDACTED:aws_access_key_id];"),
        SecretCase(.awsAccessKeyID, "role AROA3XFRBF535EXAMPLE", "role [REDACTED:aws_access_key_id]"),
        SecretCase(
            .awsSecretAccessKey,
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1",
            "aws_secret_access_key = [REDACTED:aws_secret_access_key]\nregion = eu-west-1"
        ),
        SecretCase(
            .awsSecretAccessKey,
            #"{"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKE="}"#,
            #"{"AWS_SECRET_ACCESS_KEY": "[REDACTED:aws_secret_access_key]"}"#
        ),
        SecretCase(
            .awsSecretAccessKey,
            "export aws_secret_access_key:'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
            "export aws_secret_access_key:'[REDACTED:aws_secret_access_key]'"
        ),
        SecretCase(
            .basicAuthURL,
            "git clone https://x:ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d@github.com/acme/infra",
            "git clone https://x:[REDACTED:basic_auth_url]@github.com/acme/infra"
        ),
        SecretCase(
            .githubToken,
            "GH_TOKEN=ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d gh pr list",
            "GH_TOKEN=[REDACTED:github_token] gh pr list"
        ),
        SecretCase(.githubToken, "oauth gho_KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFR.", "oauth [REDACTED:github_token]."),
        SecretCase(.githubToken, "(ghs_IBXuDL7DxtpYlSXpfKtHF4vUCsMehGAkWvj7FAc9)", "([REDACTED:github_token])"),
        SecretCase(
            .githubToken,
            "token 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 used",
            "token [REDACTED:github_token] used"
        ),
        SecretCase(
            .slackToken,
            "SLACK_BOT_TOKEN=xoxb-632122330792-4402685995289-PRVdD53X83RZJzzzzgEOzdme posted",
            "SLACK_BOT_TOKEN=[REDACTED:slack_token] posted"
        ),
        SecretCase(.slackToken, "user token xoxp-1234567890-abc ok", "user token [REDACTED:slack_token] ok"),
        SecretCase(
            .googleAPIKey,
            "maps?key=AIzaA4uoRgnatmUdjAWtGSU8po_799NksnRH9uc&q=paris",
            "maps?key=[REDACTED:google_api_key]&q=paris"
        ),
        SecretCase(.stripeKey, "stripe.api_key = 'sk_live_n88HxjSI6bWHtP3fS2qHx6kw'", "stripe.api_key = '[REDACTED:stripe_key]'"),
        SecretCase(.stripeKey, "restricted rk_live_XoIIXGvOoNZYW2mZp0zVZomH", "restricted [REDACTED:stripe_key]"),
        SecretCase(
            .anthropicAPIKey,
            "ANTHROPIC_API_KEY=sk-ant-api03--TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH1qhT61qtc4xatws8phAA claude",
            "ANTHROPIC_API_KEY=[REDACTED:anthropic_api_key] claude"
        ),
        SecretCase(
            .openAIAPIKey,
            "using sk-proj-P9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY_uCu for the call",
            "using [REDACTED:openai_api_key] for the call"
        ),
        SecretCase(.openAIAPIKey, "\"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\"", "\"[REDACTED:openai_api_key]\""),
        SecretCase(
            .jwt,
            "cookie=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
                + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c; path=/",
            "cookie=[REDACTED:jwt]; path=/"
        ),
        SecretCase(
            .bearerToken,
            "curl -H 'Authorization: Bearer abcDEF0123456789ghiJKL.mno~x' https://api.example.com",
            "curl -H 'Authorization: Bearer [REDACTED:bearer_token]' https://api.example.com"
        ),
        SecretCase(
            .bearerToken,
            "authorization: bearer\t0123456789abcdef0123",
            "authorization: bearer\t[REDACTED:bearer_token]"
        ),
        SecretCase(
            .bearerToken,
            "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "Bearer [REDACTED:bearer_token]"
        ),
        SecretCase(
            .privateKey,
            "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
                + "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n-----END RSA PRIVATE KEY-----\nthen ssh",
            "key:\n[REDACTED:private_key]\nthen ssh"
        ),
        SecretCase(
            .privateKey,
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBd1\n-----END PRIVATE KEY-----",
            "[REDACTED:private_key]"
        ),
        SecretCase(
            .privateKey,
            "id_ed25519: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ (truncated)",
            "id_ed25519: [REDACTED:private_key]"
        ),
        SecretCase(
            .basicAuthURL,
            "DATABASE_URL=postgres://admin:s3cr3t-P4ss@db.internal:5432/app?sslmode=require",
            "DATABASE_URL=postgres://admin:[REDACTED:basic_auth_url]@db.internal:5432/app?sslmode=require"
        ),
        SecretCase(.basicAuthURL, "redis://:hunter2@cache:6379/0", "redis://:[REDACTED:basic_auth_url]@cache:6379/0"),
        SecretCase(.basicAuthURL, "see https://bob:p@ss:w0rd@example.com/x", "see https://bob:[REDACTED:basic_auth_url]@example.com/x"),
    ]

    @Test("each shape is replaced in place, keeping the rest of the text", arguments: positives)
    func positive(_ c: SecretCase) throws {
        let (text, counts) = try #require(SecretScanner.redact(c.input))
        #expect(text == c.expected)
        #expect(counts == [c.kind: 1])
    }

    @Test("redacting again finds nothing", arguments: positives)
    func idempotent(_ c: SecretCase) throws {
        let (text, _) = try #require(SecretScanner.redact(c.input))
        #expect(SecretScanner.redact(text) == nil)
    }

    @Test("every kind has at least one positive example")
    func everyKindCovered() {
        let covered = Set(Self.positives.map(\.kind))
        #expect(covered == Set(SecretKind.allCases))
    }

    static let nearMisses: [String] = [
        // AWS access key ids: 15 or 17 characters, a letter before, lower case, an unknown prefix.
        "AKIAIOSFODNN7EXAMPL is one character short",
        "AKIAIOSFODNN7EXAMPLEX is one character long",
        "XAKIAIOSFODNN7EXAMPLE",
        "akiaiosfodnn7example",
        "AKIAIOSFODNN7example",
        "ABIAIOSFODNN7EXAMPLE",
        // AWS secret access keys: no value, 39 characters, 41 characters.
        "aws_secret_access_key is required",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYS",
        "my_aws_secret_access_keys=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        // GitHub: too short, unknown letter, inside a word.
        "ghp_short",
        "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8 (35 characters)",
        "ghx_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d",
        "xghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d",
        "github_pat_tooShort_123",
        // Slack: too short, unknown letter.
        "xoxb-short",
        "xoxo-1234567890abcdef",
        // Google: 34 characters, 36 characters.
        "AIzaA4uoRgnatmUdjAWtGSU8po_799NksnRH9u",
        "AIzaA4uoRgnatmUdjAWtGSU8po_799NksnRH9ucX",
        // Stripe: test mode, publishable, too short.
        "sk_test_n88HxjSI6bWHtP3fS2qHx6kw",
        "pk_live_n88HxjSI6bWHtP3fS2qHx6kw",
        "sk_live_short",
        // sk- keys: too short, kebab-case words, inside words, a short Anthropic key.
        "sk-abcde",
        "pip install sk-learn-based-pipeline-for-data",
        "open the task-manager and the disk-usage-monitor-service-v2024-09-30",
        "the risk-adjusted-return-on-capital-2024Q3 report",
        "sk-ant-0123456789",
        // JWT: one segment, two segments, a short signature.
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
        // Bearer: in a sentence, no token, a short token.
        "The Bearer of this letter is to be trusted.",
        "token_type: Bearer",
        "Authorization: Bearer short-token",
        "Use bearer authentication for the API.",
        // PEM blocks that are not private keys.
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUX\n-----END CERTIFICATE-----",
        "--- BEGIN PRIVATE KEY (a heading) ---",
        // URLs without a password.
        "https://example.com:8443/path?q=1",
        "ssh://git@github.com:22/acme/infra.git",
        "https://user@example.com/",
        "mailto:bob@example.com",
        "https://example.com/a:b@c",
        "time: 10:30 // note: see @alice",
        // Ordinary identifiers and digests.
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "550e8400-e29b-41d4-a716-446655440000",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b by alice",
        "already [REDACTED:github_token] and [REDACTED:aws_secret_access_key] here",
        "",
        "short",
    ]

    @Test("near misses are left alone", arguments: nearMisses)
    func nearMiss(_ text: String) {
        #expect(SecretScanner.redact(text) == nil)
    }

    @Test("several secrets in one text are all replaced and counted")
    func several() throws {
        let input =
            "AKIAIOSFODNN7EXAMPLE then AKIAI44QH8DHBEXAMPLE, Bearer 0123456789abcdefghij and "
            + "postgres://u:pw@h/db"
        let (text, counts) = try #require(SecretScanner.redact(input))
        #expect(
            text == "[REDACTED:aws_access_key_id] then [REDACTED:aws_access_key_id], Bearer [REDACTED:bearer_token] and "
                + "postgres://u:[REDACTED:basic_auth_url]@h/db"
        )
        #expect(counts == [.awsAccessKeyID: 2, .bearerToken: 1, .basicAuthURL: 1])
    }

    @Test("text around the secret keeps its non-ASCII characters")
    func unicodeAround() throws {
        let (text, _) = try #require(SecretScanner.redact("clé: AKIAIOSFODNN7EXAMPLE — ok ✓"))
        #expect(text == "clé: [REDACTED:aws_access_key_id] — ok ✓")
    }

    @Test("long near-miss runs are scanned once (a scanner that restarted inside each run would not finish)", .timeLimit(.minutes(1)))
    func adversarial() {
        let text =
            " " + String(repeating: "sk-", count: 100_000) + " " + String(repeating: "eyJ-", count: 100_000) + " "
            + String(repeating: "-----BEGIN ", count: 10_000) + String(repeating: "Bearer ", count: 10_000)
        #expect(SecretScanner.redact(text) == nil)
    }
}
