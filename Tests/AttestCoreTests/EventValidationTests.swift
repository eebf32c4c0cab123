import AttestCore
import Testing

@Suite("Audit event validation")
struct EventValidationTests {
    let now = Timestamp(microseconds: 1_795_414_530_000_000)

    func problems(_ json: String) throws -> [String] {
        let value = try JSONParser.parse(json)
        switch AuditEvent.validate(value, receivedAt: now) {
        case .success: return []
        case .failure(let p): return p.problems.map(\.description)
        }
    }

    @Test("a minimal event is valid and gets an id and a time")
    func minimal() throws {
        let value = try JSONParser.parse(#"{"action":"tool.execute","actor":{"id":"alice"}}"#)
        let event = try AuditEvent.validate(value, receivedAt: now).get()
        #expect(event.id.count == 36)
        #expect(event.value["id"]?.stringValue == event.id)
        #expect(event.value["time"]?.stringValue == now.rfc3339)
        #expect(event.time == now)
        #expect(event.actorID == "alice")
        #expect(event.action == "tool.execute")
    }

    @Test("a client's id and time are kept exactly as sent")
    func keepsClientFields() throws {
        let value = try JSONParser.parse(#"{"id":"e-1","time":"2026-01-02T03:04:05.5+01:00","action":"a","actor":{"id":"b"}}"#)
        let event = try AuditEvent.validate(value, receivedAt: now).get()
        #expect(event.id == "e-1")
        #expect(event.value["time"]?.stringValue == "2026-01-02T03:04:05.5+01:00")
        #expect(event.time == Timestamp(rfc3339: "2026-01-02T02:04:05.5Z"))
    }

    @Test("every field of DESIGN §4, typed, is accepted")
    func full() throws {
        let json = """
            {"id":"evt-1","time":"2026-11-23T08:15:30Z","category":"tool_call","action":"command.execute",
             "outcome":{"status":"denied","reason":"policy"},
             "actor":{"type":"agent","id":"claude-1","name":"Claude","roles":["dev"],"ip":"10.0.0.1","user_agent":"cc/2","device":"laptop"},
             "on_behalf_of":{"id":"alice","name":"Alice"},
             "agent":{"id":"cc","name":"Claude Code","version":"2.1","model":"opus","provider":"anthropic"},
             "session":{"id":"s1","conversation_id":"c1","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"},
             "resource":{"type":"repo","id":"r1","name":"attest","sensitivity":"confidential","owner":"team"},
             "channel":"ide","changes":{"before":{"a":1},"after":null},"request":{"args":["rm","-rf"],"result":{"ok":false}},
             "system_call":{"protocol":"http","target":"https://api","method":"POST","status":503,"latency_ms":12.5,"request_digest":"sha256:ab"},
             "policy":{"decision":"deny","reason":"r","policy_id":"p1","policy_version":3},
             "approval":{"approver":{"id":"bob"},"decision":"approved","justification":"ok","device":"phone","for_event":"evt-0"},
             "risk":{"level":"high","reasons":["destructive"]},
             "usage":{"input_tokens":10,"output_tokens":20,"cost_micros":300},
             "source":{"system":"cc","ingest":"rest","version":"1"},
             "attributes":{"anything":{"goes":[1,2.5,"x",null,true]}}}
            """
        #expect(try problems(json) == [])
        let e = try AuditEvent.validate(try JSONParser.parse(json), receivedAt: now).get()
        #expect(e.onBehalfOfID == "alice")
        #expect(e.agentID == "cc")
        #expect(e.sessionID == "s1")
        #expect(e.resourceType == "repo")
        #expect(e.resourceID == "r1")
        #expect(e.outcomeStatus == "denied")
        #expect(e.riskRank == 3)
        #expect(e.category == "tool_call")
    }

    @Test("every problem is reported, each with its JSON pointer")
    func everyProblem() throws {
        let json = """
            {"action":"not a verb!","actor":{"type":"robot","roles":"admin"},"category":"nope","time":"yesterday",
             "outcome":{"status":"ok","extra":1},"usage":{"input_tokens":-1,"output_tokens":1.5},
             "risk":{"level":"high","reasons":[1]},"system_call":{"latency_ms":"fast","status":true},
             "attributes":[],"on_behalf_of":{},"a/b~c":1}
            """
        let found = try problems(json)
        let expected = [
            "/a~1b~0c: is not a known field; put extra data under /attributes",
            "/action: must be a dotted name such as tool.execute (letters, digits, _ and -, joined by dots)",
            "/actor/id: is required",
            "/actor/roles: must be an array, got string",
            "/actor/type: must be one of human, agent, service, system; got \"robot\"",
            "/attributes: must be an object, got array",
            "/category: must be one of agent_action, tool_call, model_call, system_call, policy_decision, approval, session, authentication, authorization, configuration, data_access, data_change, admin, telemetry; got \"nope\"",
            "/on_behalf_of/id: is required",
            "/outcome/extra: is not a known field",
            "/outcome/status: must be one of success, failure, denied, error, unknown; got \"ok\"",
            "/risk/reasons/0: must be a string, got integer",
            "/system_call/latency_ms: must be a number, got string",
            "/system_call/status: must be a string or an integer, got boolean",
            "/time: must be an RFC 3339 date-time such as 2026-11-23T08:15:30Z, got \"yesterday\"",
            "/usage/input_tokens: must be at least 0, got -1",
            "/usage/output_tokens: must be an integer, got number",
        ]
        #expect(found.sorted() == expected.sorted())
    }

    @Test(
        "each class of problem on its own",
        arguments: [
            (#"[]"#, "/: must be an object, got array"),
            (#"{"actor":{"id":"a"}}"#, "/action: is required"),
            (#"{"action":"a"}"#, "/actor: is required"),
            (#"{"action":"a","actor":{"id":""}}"#, "/actor/id: must not be empty"),
            (#"{"action":"a","actor":{"id":"x\u0001"}}"#, "/actor/id: must not contain control characters"),
            (
                #"{"action":"a..b","actor":{"id":"x"}}"#,
                "/action: must be a dotted name such as tool.execute (letters, digits, _ and -, joined by dots)"
            ),
            (#"{"action":"a","actor":{"id":"x"},"id":7}"#, "/id: must be a string, got integer"),
            (#"{"action":"a","actor":null}"#, "/actor: must be an object, got null"),
            (
                #"{"action":"a","actor":{"id":"x"},"channel":"fax"}"#,
                "/channel: must be one of ui, api, cli, ide, chat, ci, workflow, scheduler; got \"fax\""
            ),
            (
                #"{"action":"a","actor":{"id":"x"},"channel":1}"#,
                "/channel: must be one of ui, api, cli, ide, chat, ci, workflow, scheduler; got integer"
            ),
        ]
    )
    func single(_ json: String, _ expected: String) throws {
        #expect(try problems(json) == [expected])
    }

    @Test("over-long strings and too many items are refused")
    func limits() throws {
        let long = String(repeating: "x", count: 300)
        #expect(try problems(#"{"action":"a","actor":{"id":"\#(long)"}}"#) == ["/actor/id: must be at most 256 characters"])
        let many = (0..<300).map { "\"r\($0)\"" }.joined(separator: ",")
        #expect(try problems(#"{"action":"a","actor":{"id":"x","roles":[\#(many)]}}"#) == ["/actor/roles: must have at most 256 items, got 300"])
    }
}
