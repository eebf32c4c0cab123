import AttestCore
import AttestIngest
import Testing

@Suite("Redactor: pointers, identity fields, reports")
struct RedactorTests {
    static let event = """
        {"id":"evt-1","time":"2026-11-23T08:15:30Z","action":"email.send","category":"tool_call",
         "actor":{"id":"agent-7","type":"agent"},
         "request":{"args":{"customer_email":"alice@example.com","recipients":["a@x.io","b@x.io","c@x.io"],"a/b":"slash",
                            "amount":12.5}},
         "outcome":{"status":"success","reason":"sent to alice@example.com"}}
        """

    @Test("configured pointers are HMACed: members, array elements, escaped tokens, numbers")
    func pointers() throws {
        let policy = RedactionPolicy(
            pointers: ["/request/args/customer_email", "/request/args/recipients/1", "/request/args/a~1b", "/request/args/amount"]
                .compactMap { JSONPointer($0) }
        )
        let redactor = RedactionFixtures.redactor(policy)
        let event = try RedactionFixtures.parse(Self.event)
        let (result, report) = redactor.apply(to: event)
        let args = try #require(result["request"]?["args"])
        #expect(args["customer_email"] == .object(["hmac": .string(redactor.hmac("alice@example.com"))]))
        #expect(args["recipients"] == ["a@x.io", .object(["hmac": .string(redactor.hmac("b@x.io"))]), "c@x.io"])
        #expect(args["a/b"] == .object(["hmac": .string(redactor.hmac("slash"))]))
        #expect(args["amount"] == .object(["hmac": .string(redactor.hmac(12.5))]))
        #expect(
            report.hmacPointers == [
                "/request/args/a~1b", "/request/args/amount", "/request/args/customer_email", "/request/args/recipients/1",
            ]
        )
        // Everything else is as it was.
        #expect(result["outcome"] == event["outcome"])
        #expect(result["actor"] == event["actor"])
    }

    @Test(
        "pointers to nothing are skipped",
        arguments: [
            "/request/args/missing", "/request/args/recipients/3", "/request/args/recipients/-", "/request/args/recipients/01",
            "/request/args/customer_email/deeper", "/nothing/at/all",
        ]
    )
    func missingPointer(_ pointer: String) throws {
        let policy = RedactionPolicy(pointers: [try #require(JSONPointer(pointer))])
        let event = try RedactionFixtures.parse(Self.event)
        let (result, report) = RedactionFixtures.redactor(policy).apply(to: event)
        #expect(result == event)
        #expect(report.isEmpty)
    }

    @Test("a pointer to a whole object HMACs its canonical form; a pointer inside it then has nothing left to do")
    func pointerToObject() throws {
        let policy = RedactionPolicy(pointers: ["/request/args", "/request/args/customer_email"].compactMap { JSONPointer($0) })
        let event = try RedactionFixtures.parse(Self.event)
        let redactor = RedactionFixtures.redactor(policy)
        let (result, report) = redactor.apply(to: event)
        let args = try #require(event["request"]?["args"])
        #expect(result["request"]?["args"] == .object(["hmac": .string(redactor.hmac(args))]))
        #expect(report.hmacPointers == ["/request/args"])
    }

    @Test("identity fields are never altered, even when they hold secret-looking values or are pointed at")
    func identityFields() throws {
        // Trade-off (see RedactionPolicy): the exempt members are indexed and queried by the ledger, so they are kept
        // exactly as sent even when a value looks like a credential; the same value elsewhere is redacted.
        let token = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        let event: JSONValue = [
            "id": .string(token), "time": "2026-11-23T08:15:30Z", "action": "key.rotate", "category": "configuration",
            "channel": "cli",
            "actor": ["id": "AKIAIOSFODNN7EXAMPLE", "name": "Bearer 0123456789abcdefghij", "password": "not-touched"],
            "on_behalf_of": ["id": "sk-proj-P9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY_uCu"],
            "agent": ["id": "xoxb-632122330792-4402685995289-PRVdD53X83RZJzzzzgEOzdme", "name": .string(token)],
            "session": ["id": .string(jwt), "token": "abc"],
            "resource": ["id": "AKIAIOSFODNN7EXAMPLE", "name": .string("repo of " + token)],
            "attributes": ["copy": .string(token)],
        ]
        let pointers = ["", "/id", "/actor/id", "/agent", "/session/id"].compactMap { JSONPointer($0) }
        let (result, report) = RedactionFixtures.redactor(RedactionPolicy(pointers: pointers)).apply(to: event)
        for key in ["id", "time", "action", "category", "channel", "actor", "on_behalf_of", "agent", "session"] {
            #expect(result[key] == event[key], "\(key) was altered")
        }
        #expect(result["resource"] == ["id": "[REDACTED:aws_access_key_id]", "name": "repo of [REDACTED:github_token]"])
        #expect(result["attributes"] == ["copy": "[REDACTED:github_token]"])
        #expect(report.hmacPointers.isEmpty)
        #expect(report.redactions == ["aws_access_key_id": 1, "github_token": 2])

        // Without exemptions, the same event is protected everywhere.
        let (open, openReport) = RedactionFixtures.redactor(RedactionPolicy(exemptTopLevelKeys: [])).apply(to: event)
        #expect(open["actor"]?["id"] == "[REDACTED:aws_access_key_id]")
        #expect(open["id"] == "[REDACTED:github_token]")
        #expect(openReport.hmacPointers == ["/actor/password", "/session/token"])
    }

    @Test("everything outside the identity fields is scanned: outcome, resource, system_call, policy, approval")
    func scannedFields() throws {
        let event = try RedactionFixtures.parse(
            """
            {"action":"http.call","outcome":{"status":"failure","reason":"401 for Bearer 0123456789abcdefghij"},
             "system_call":{"protocol":"http","target":"https://svc:pa55word@api.internal/v1"},
             "policy":{"decision":"deny","reason":"found AKIAIOSFODNN7EXAMPLE in the prompt"},
             "approval":{"decision":"approved","justification":"rotating sk_live_n88HxjSI6bWHtP3fS2qHx6kw today"},
             "risk":{"level":"high","reasons":["leaked xoxb-632122330792-4402685995289-PRVdD53X83RZJzzzzgEOzdme"]}}
            """
        )
        let (result, report) = RedactionFixtures.redactor().apply(to: event)
        #expect(result["outcome"]?["reason"] == "401 for Bearer [REDACTED:bearer_token]")
        #expect(result["system_call"]?["target"] == "https://svc:[REDACTED:basic_auth_url]@api.internal/v1")
        #expect(result["policy"]?["reason"] == "found [REDACTED:aws_access_key_id] in the prompt")
        #expect(result["approval"]?["justification"] == "rotating [REDACTED:stripe_key] today")
        #expect(result["risk"]?["reasons"] == ["leaked [REDACTED:slack_token]"])
        #expect(result["outcome"]?["status"] == "failure")
        #expect(
            report.redactions == [
                "bearer_token": 1, "basic_auth_url": 1, "aws_access_key_id": 1, "stripe_key": 1, "slack_token": 1,
            ]
        )
    }

    @Test("secret shapes are found in arrays and nested objects; shape redaction can be turned off")
    func shapesSwitch() throws {
        let event: JSONValue = [
            "attributes": ["log": ["ok", ["line": "export GH_TOKEN=ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"]], "password": "p"]
        ]
        let (on, onReport) = RedactionFixtures.redactor().apply(to: event)
        #expect(on["attributes"]?["log"] == ["ok", ["line": "export GH_TOKEN=[REDACTED:github_token]"]])
        #expect(onReport.redactions == ["github_token": 1])
        let (off, offReport) = RedactionFixtures.redactor(RedactionPolicy(redactSecretShapes: false)).apply(to: event)
        #expect(off["attributes"]?["log"] == event["attributes"]?["log"])
        #expect(offReport.redactions.isEmpty)
        #expect(offReport.hmacPointers == ["/attributes/password"])  // key names are still matched
    }

    @Test("the report counts every kind across all strings")
    func reportCounts() throws {
        let event: JSONValue = [
            "request": [
                "args": ["a": "AKIAIOSFODNN7EXAMPLE and AKIAI44QH8DHBEXAMPLE", "b": ["redis://:pw@cache", "AKIAIOSFODNN7EXAMPLE"]],
                "result": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----",
            ],
            "attributes": ["api_key": "k", "nested": ["refresh_token": "r"]],
        ]
        let (_, report) = RedactionFixtures.redactor().apply(to: event)
        #expect(report.redactions == ["aws_access_key_id": 3, "basic_auth_url": 1, "private_key": 1])
        #expect(report.redactionCount == 5)
        #expect(report.hmacPointers == ["/attributes/api_key", "/attributes/nested/refresh_token"])
        #expect(!report.isEmpty)
    }

    @Test("an event without secrets comes back equal, with an empty report")
    func untouched() throws {
        let event = try RedactionFixtures.parse(RedactionFixtures.typicalEventText)
        let (result, report) = RedactionFixtures.redactor().apply(to: event)
        #expect(result == event)
        #expect(result.canonicalBytes == event.canonicalBytes)
        #expect(report.isEmpty)
        #expect(report == RedactionReport())
    }

    @Test("a root that is not an object is walked too (no exemptions apply)")
    func nonObjectRoot() {
        let event: JSONValue = [["id": "AKIAIOSFODNN7EXAMPLE", "token": "t"], "plain"]
        let redactor = RedactionFixtures.redactor()
        let (result, report) = redactor.apply(to: event)
        #expect(result == [["id": "[REDACTED:aws_access_key_id]", "token": .object(["hmac": .string(redactor.hmac("t"))])], "plain"])
        #expect(report.hmacPointers == ["/0/token"])
    }

    @Test("applying to a protected event changes nothing more", arguments: [RedactorTests.event, RedactionFixtures.typicalEventText])
    func idempotentEvents(_ text: String) throws {
        var event = try RedactionFixtures.parse(text)
        guard case .object(var members) = event else {
            Issue.record("not an object")
            return
        }
        members["attributes"] = [
            "password": "hunter2", "list": [["token": 1]], "note": "Bearer 0123456789abcdefghij, AKIAIOSFODNN7EXAMPLE",
            "url": "https://u:p@h/", "key": "-----BEGIN PRIVATE KEY-----\nabc",
        ]
        event = .object(members)
        let policy = RedactionPolicy(pointers: [JSONPointer("/request/args"), JSONPointer("/attributes/list/0")].compactMap { $0 })
        let redactor = RedactionFixtures.redactor(policy)
        let (once, firstReport) = redactor.apply(to: event)
        let (twice, secondReport) = redactor.apply(to: once)
        #expect(once != event)
        #expect(!firstReport.isEmpty)
        #expect(twice == once)
        #expect(secondReport.isEmpty)
    }
}
