import AttestCore
import AttestIngest
import Testing

@Suite("Sensitive member names")
struct KeyMatchingTests {
    @Test(
        "normalization",
        arguments: [
            ("Api-Key", "api_key"), ("API_KEY", "api_key"), ("X-Api-Key", "x_api_key"), ("Authorization", "authorization"),
            ("accessToken", "access_token"), ("APIKey", "api_key"), ("XApiKey", "x_api_key"), ("IDToken", "id_token"),
            ("Set Cookie", "set_cookie"), ("oauth2Token", "oauth2_token"), ("already_snake", "already_snake"),
            ("input_tokens", "input_tokens"), ("Proxy-Authorization", "proxy_authorization"), ("Clé-Privée", "clé_privée"),
        ]
    )
    func normalization(_ name: String, _ expected: String) {
        #expect(RedactionPolicy.normalizedKeyName(name) == expected)
    }

    static let sensitive = [
        // The default names, as they are and in other spellings.
        "password", "Password", "PASSWORD", "passwd", "pwd", "secret", "client_secret", "clientSecret", "token", "access_token",
        "accessToken", "refresh_token", "id_token", "session_token", "api_key", "Api-Key", "API_KEY", "apiKey", "apikey", "APIKEY",
        "x_api_key", "X-Api-Key", "x-api-key", "authorization", "Authorization", "Proxy-Authorization", "cookie", "Cookie",
        "Set-Cookie", "private_key", "privateKey", "credentials", "credential", "aws_secret_access_key",
        // The default suffixes.
        "db_password", "DB_PASSWORD", "dbPassword", "github_token", "GITHUB_TOKEN", "githubToken", "stripe_secret",
        "openai_api_key", "OpenAI-Api-Key", "my_apikey", "ssh_private_key", "slack-bot-token",
    ]

    @Test("sensitive names are HMACed", arguments: sensitive)
    func sensitiveName(_ name: String) throws {
        let event: JSONValue = ["action": "login", "attributes": .object([name: "hunter2"])]
        let (result, report) = RedactionFixtures.redactor().apply(to: event)
        let replaced = try #require(result["attributes"]?[name])
        #expect(Redactor.isHMACObject(replaced))
        #expect(replaced == RedactionFixtures.hmacObject("c81582ba85cae421fbc32906a1582210cf06f37aa8bd549759b0efef3752a419"))
        #expect(report.hmacPointers == [JSONPointer(tokens: ["attributes", name]).description])
    }

    static let notSensitive = [
        "input_tokens", "output_tokens", "tokens", "max_tokens", "token_count", "inputTokens", "maxTokens", "tokenizer",
        "secretary", "secrets_manager_arn", "passwords_changed_at", "password_changed_at", "cookies_enabled", "author",
        "key", "keyboard", "session_id", "api_key_id", "authorized", "pwd_dir", "tokenizer_name", "credential_type",
    ]

    @Test("names that only resemble sensitive ones are kept", arguments: notSensitive)
    func notSensitiveName(_ name: String) {
        let event: JSONValue = ["action": "login", "attributes": .object([name: "plain value", "n": 3])]
        let (result, report) = RedactionFixtures.redactor().apply(to: event)
        #expect(result == event)
        #expect(report.isEmpty)
    }

    @Test("sensitive names are found at every depth, in arrays of objects, and in before/after images")
    func depths() throws {
        let event = try RedactionFixtures.parse(
            """
            {"action":"user.update","attributes":{"password":"hunter2","note":"fine"},
             "request":{"args":{"headers":{"Authorization":"Basic YWxhZGRpbjpvcGVuc2VzYW1l","Accept":"*/*"},"query":"q"},
                        "result":{"users":[{"name":"a","api_key":"k1"},{"name":"b"},{"name":"c","Api-Key":"k3"}]}},
             "changes":{"before":{"db_password":"old","size":1},"after":{"db_password":"new","size":2}}}
            """
        )
        let redactor = RedactionFixtures.redactor()
        let (result, report) = redactor.apply(to: event)
        #expect(
            report.hmacPointers == [
                "/attributes/password",
                "/changes/after/db_password", "/changes/before/db_password",
                "/request/args/headers/Authorization",
                "/request/result/users/0/api_key", "/request/result/users/2/Api-Key",
            ]
        )
        #expect(report.redactions.isEmpty)
        #expect(result["attributes"]?["note"] == "fine")
        #expect(result["request"]?["args"]?["headers"]?["Accept"] == "*/*")
        #expect(result["request"]?["result"]?["users"]?[1] == ["name": "b"])
        #expect(result["changes"]?["before"]?["size"] == 1)
        #expect(result["changes"]?["after"]?["db_password"] == .object(["hmac": .string(redactor.hmac("new"))]))
        #expect(result["changes"]?["before"]?["db_password"] == .object(["hmac": .string(redactor.hmac("old"))]))
        #expect(result["request"]?["result"]?["users"]?[2]?["Api-Key"] == .object(["hmac": .string(redactor.hmac("k3"))]))
    }

    @Test("the outermost sensitive name wins: the whole value is HMACed, whatever its type")
    func outermost() throws {
        let credentials: JSONValue = ["user": "bob", "password": "hunter2", "mfa": [1, 2]]
        let event: JSONValue = ["attributes": ["credentials": credentials, "token": 12345, "secret": nil, "cookie": false]]
        let redactor = RedactionFixtures.redactor()
        let (result, report) = redactor.apply(to: event)
        #expect(result["attributes"]?["credentials"] == .object(["hmac": .string(redactor.hmac(credentials))]))
        #expect(result["attributes"]?["token"] == .object(["hmac": .string(redactor.hmac(12345))]))
        #expect(result["attributes"]?["secret"] == .object(["hmac": .string(redactor.hmac(nil))]))
        #expect(result["attributes"]?["cookie"] == .object(["hmac": .string(redactor.hmac(false))]))
        #expect(report.hmacPointers == ["/attributes/cookie", "/attributes/credentials", "/attributes/secret", "/attributes/token"])
    }

    @Test("the key lists are configurable, and compared after normalization")
    func configurable() {
        let policy = RedactionPolicy(sensitiveKeys: ["Customer-Email"], sensitiveSuffixes: ["-SSN"])
        let event: JSONValue = ["attributes": ["customerEmail": "a@example.com", "spouse_ssn": "078-05-1120", "password": "x"]]
        let (result, report) = RedactionFixtures.redactor(policy).apply(to: event)
        #expect(report.hmacPointers == ["/attributes/customerEmail", "/attributes/spouse_ssn"])
        #expect(result["attributes"]?["password"] == "x")
    }

    @Test("member names are never changed, even when they look like secrets")
    func keysKept() throws {
        let event: JSONValue = ["attributes": ["AKIAIOSFODNN7EXAMPLE": "AKIAIOSFODNN7EXAMPLE"]]
        let (result, report) = RedactionFixtures.redactor().apply(to: event)
        #expect(result == ["attributes": ["AKIAIOSFODNN7EXAMPLE": "[REDACTED:aws_access_key_id]"]])
        #expect(report.redactions == ["aws_access_key_id": 1])
    }
}
