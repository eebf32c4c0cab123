import AttestCore
import AttestStore
import AttestWorkload
import Foundation
import Testing

@testable import AttestIngest

@Suite("Ingest normalizer")
struct NormalizerTests {
    static let normalizer = IngestNormalizer(keys: TenantKeys(secret: Array(repeating: 7, count: 32)))

    /// The query-index columns computed ahead on the request's task are those of the stored event,
    /// with and without the optional members, and the indexer's row of the event read back from its
    /// canonical bytes has the same columns.
    @Test func columnsComputedAheadMatchTheStoredEvent() throws {
        let body = """
            [\(RedactionFixtures.typicalEventText),
             {"category":"tool_call","action":"file.read","actor":{"type":"agent","id":"a-2"},"agent":{"name":"only-a-name"}},
             {"action":"x.y","actor":{"type":"human","id":"bob"},"resource":{"type":"file","id":"/etc/hosts"},
              "outcome":{"status":"denied"},"risk":{"level":"critical"}}]
            """
        let received = Timestamp(microseconds: 1_795_000_000_000_000)
        let events = try Self.normalizer.normalize(body: Array(body.utf8), framing: .json, tenant: "t", receivedAt: received).get()
        #expect(events.count == 3)
        for (seq, event) in events.enumerated() {
            let ahead = try #require(event.precomputedColumns)
            #expect(ahead == IndexColumns(event))
            let bytes = try #require(event.canonicalBytes)
            let fromStored = try #require(AuditEvent(stored: try JSONParser.parse(bytes)))
            #expect(ahead == IndexColumns(fromStored))
            let row = IndexRow(seq: UInt64(seq), receivedAt: received, event: event)
            #expect(row.actorID == ahead.actorID && row.action == ahead.action && row.risk == ahead.risk)
        }
        let first = try #require(events[0].precomputedColumns)
        #expect(first.actorID == "claude-code@laptop-42" && first.onBehalfOfID == "alice@example.com" && first.sessionID == "sess-91")
        #expect(first.agentID == "claude-code" && first.outcome == "success" && first.risk == EventSchema.riskLevels.firstIndex(of: "high"))
        let second = try #require(events[1].precomputedColumns)
        #expect(second.agentID == "only-a-name" && second.sessionID == nil && second.risk == nil && second.category == "tool_call")
        let third = try #require(events[2].precomputedColumns)
        #expect(third.resourceType == "file" && third.resourceID == "/etc/hosts" && third.outcome == "denied" && third.category == nil)
        #expect(third.risk == EventSchema.riskLevels.firstIndex(of: "critical"))
    }

    // MARK: The byte path against the tree path

    /// Both paths on one body, with the same ids for events without one: equal results, byte for
    /// byte (canonical bytes, id, time, index columns), or equal problems. Returns whether the byte
    /// path took the batch.
    @discardableResult
    static func compare(
        _ body: String,
        framing: EventBatchParser.Framing = .json,
        normalizer: IngestNormalizer = normalizer,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        compare(bytes: Array(body.utf8), framing: framing, normalizer: normalizer, sourceLocation: sourceLocation)
    }

    /// ``compare(_:framing:normalizer:sourceLocation:)`` on bytes that need not be UTF-8.
    @discardableResult
    static func compare(
        bytes body: [UInt8],
        framing: EventBatchParser.Framing = .json,
        normalizer: IngestNormalizer = normalizer,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        let received = Timestamp(microseconds: 1_795_000_000_000_000)
        func run(_ bytePath: Bool) -> Result<[AuditEvent], ValidationProblems> {
            var n = 0
            return normalizer.normalize(
                body: body,
                framing: framing,
                tenant: "t",
                receivedAt: received,
                makeID: {
                    n += 1
                    return "generated-\(n)"
                },
                bytePath: bytePath
            )
        }
        let fast = FastEventPath(redactor: normalizer.redactor(tenant: "t"), ingestKind: normalizer.ingestKind)
        var n = 0
        let took =
            fast.normalize(body: body, framing: framing, receivedAt: received) {
                n += 1
                return "generated-\(n)"
            } != nil
        switch (run(true), run(false)) {
        case (.success(let a), .success(let b)):
            #expect(a.count == b.count, sourceLocation: sourceLocation)
            for (x, y) in zip(a, b) {
                // Compared as text, so that a difference reads as JSON.
                let (bx, by) = (String(decoding: x.canonicalBytes ?? [], as: UTF8.self), String(decoding: y.canonicalBytes ?? [], as: UTF8.self))
                #expect(x.canonicalBytes != nil && bx == by, sourceLocation: sourceLocation)
                #expect(x.id == y.id && x.time == y.time, sourceLocation: sourceLocation)
                #expect(x.precomputedColumns == y.precomputedColumns && x.precomputedColumns != nil, sourceLocation: sourceLocation)
                #expect(x.value == y.value, "the byte path's event reads back as the tree path's", sourceLocation: sourceLocation)
            }
        case (.failure(let a), .failure(let b)):
            #expect(a.problems == b.problems, sourceLocation: sourceLocation)
            #expect(!took, "the byte path took a batch with problems", sourceLocation: sourceLocation)
        case (let a, let b):
            Issue.record("the paths disagree: \(a) against \(b)", sourceLocation: sourceLocation)
        }
        return took
    }

    @Test("the byte path takes generated batches and gives exactly the tree path's events")
    func bytePathOnGeneratedEvents() throws {
        let events = EventFactory.events(count: 600, seed: 11)
        for chunk in stride(from: 0, to: events.count, by: 100) {
            let batch = events[chunk..<(chunk + 100)]
            #expect(Self.compare("[" + batch.joined(separator: ",") + "]"))
            #expect(Self.compare(batch.joined(separator: "\n") + "\n", framing: .ndjson))
        }
        // Each event keeps only its own bytes until it is committed (a first version reserved the
        // whole body's size for every event of a batch, and the server's RSS passed 500 MB).
        let batch = Array(("[" + events[0..<100].joined(separator: ",") + "]").utf8)
        let fast = FastEventPath(redactor: Self.normalizer.redactor(tenant: "t"), ingestKind: "rest")
        let taken = try #require(fast.normalize(body: batch, framing: .json, receivedAt: .now(), makeID: { UUIDv7.make() }))
        for e in taken {
            let bytes = try #require(e.canonicalBytes)
            #expect(bytes.capacity <= bytes.count * 2 + 256, "\(bytes.capacity) bytes reserved for \(bytes.count)")
        }
        #expect(Self.compare(events[0]))
        #expect(Self.compare(" \r\n" + events[1] + "\r\n\n \t\r\n" + events[2], framing: .ndjson))
        #expect(Self.compare("[\n  " + events[3] + " ,\t" + events[4] + "\r\n]\n"))
    }

    @Test("redaction on the byte path: sensitive names, secret shapes, existing HMACs, configured pointers")
    func bytePathRedaction() throws {
        let hmac = "{\"hmac\":\"hmac-sha256:" + String(repeating: "ab", count: 32) + "\"}"
        let bodies = [
            // Sensitive member names at any depth, with every kind of value.
            #"{"action":"a.b","actor":{"id":"x"},"attributes":{"password":"hunter2","api_key":{"k":[1,2,{"z":null}]},"db":{"client_secret":7,"auth_token":true,"x":[{"secret":"s"}]}}}"#,
            // Secret shapes inside strings, and the exempt members left alone.
            #"{"action":"a.b","actor":{"id":"ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"},"request":{"args":{"command":"GH_TOKEN=ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d gh pr list","env":["SLACK_BOT_TOKEN=xoxb-632122330792-4402685995289-PRVdD53X83RZJzzzzgEOzdme posted"]}}}"#,
            // An HMAC object already in place is kept; a near miss is replaced.
            #"{"action":"a.b","actor":{"id":"x"},"attributes":{"token":\#(hmac),"password":{"hmac":"hmac-sha256:AB"}}}"#,
            // Given id, time and source are kept; keys come out sorted.
            #"{"time":"2026-11-23T08:15:30.5+01:00","id":"e-1","source":{"system":"s"},"channel":"cli","action":"a.b","actor":{"id":"x","type":"human"},"attributes":{"b":1,"a":2,"B":3,"_":4,"aa":5,"":6}}"#,
        ]
        for body in bodies {
            #expect(Self.compare(body), "\(body)")
        }
        // Redaction reaching the members the index reads goes the tree path, with the same result.
        #expect(!Self.compare(#"{"action":"a.b","actor":{"id":"x"},"resource":{"type":"repo","id":"ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"}}"#))
        // Configured pointers, into objects and arrays.
        var policy = RedactionPolicy.default
        policy.pointers = ["/request/args/command", "/attributes/tags/1", "/attributes/deep/x"].compactMap { JSONPointer($0) }
        let pointed = IngestNormalizer(keys: TenantKeys(secret: Array(repeating: 9, count: 32)), policy: policy)
        #expect(
            Self.compare(
                #"{"action":"a.b","actor":{"id":"x"},"request":{"args":{"command":"rm -rf /","cwd":"/"}},"attributes":{"tags":["a","b","c"],"deep":{"x":{"y":[1]},"w":2}}}"#,
                normalizer: pointed
            )
        )
        // No secret-shape scanning when the policy turns it off.
        var plain = RedactionPolicy.default
        plain.redactSecretShapes = false
        let unscanned = IngestNormalizer(keys: TenantKeys(secret: Array(repeating: 9, count: 32)), policy: plain)
        #expect(Self.compare(bodies[1], normalizer: unscanned))
        // Policies that reach the members the index reads, or id and time, are left to the tree path.
        var wide = RedactionPolicy.default
        wide.exemptTopLevelKeys = ["id", "time"]
        let reaching = IngestNormalizer(keys: TenantKeys(secret: Array(repeating: 9, count: 32)), policy: wide)
        #expect(!Self.compare(bodies[1], normalizer: reaching))  // a secret in actor.id
        #expect(Self.compare(bodies[0], normalizer: reaching))  // nothing the index reads is touched
        wide.exemptTopLevelKeys = ["time"]
        wide.sensitiveKeys.insert("id")
        let hidingIDs = IngestNormalizer(keys: TenantKeys(secret: Array(repeating: 9, count: 32)), policy: wide)
        #expect(!Self.compare(bodies[0], normalizer: hidingIDs))
        #expect(!Self.compare(bodies[3], normalizer: hidingIDs))
    }

    @Test("what the byte path leaves to the tree path gives the same events or the same problems")
    func bytePathFallbacks() throws {
        let base = #"{"action":"a.b","actor":{"id":"x"},"attributes":ATTR}"#
        let leftToTree = [
            #"{"n":1.5}"#, #"{"n":-0}"#, #"{"n":1e3}"#, #"{"n":1234567890123456}"#, #"{"n":-9007199254740991}"#,
            #"{"k":1,"k":2}"#, #"{"é":1}"#, #"{"\u0061":1}"#, #"{"a\"b":1}"#,
            String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
        ]
        for attr in leftToTree {
            #expect(!Self.compare(base.replacingOccurrences(of: "ATTR", with: attr)), "\(attr)")
        }
        let taken = [#"{"n":-123456789012345}"#, #"{"n":0}"#, #"{"e":[],"o":{},"t":true,"f":false,"z":null}"#, #"{"s":"~!@#$%^&*()<>?|{}[]"}"#]
        for attr in taken {
            #expect(Self.compare(base.replacingOccurrences(of: "ATTR", with: attr)), "\(attr)")
        }
        // Schema problems, bad JSON and bad framing: the tree path reports them.
        let bad = [
            #"{"action":"a.b"}"#, #"{"action":"a..b","actor":{"id":"x"}}"#, #"{"action":"a.b","actor":{"id":""}}"#,
            #"{"action":"a.b","actor":{"id":"x"},"category":"nope"}"#, #"{"action":"a.b","actor":{"id":"x"},"extra":1}"#,
            #"{"action":"a.b","actor":{"id":"x"},"time":"yesterday"}"#, #"{"action":"a.b","actor":{"id":"x"},"usage":{"input_tokens":-1}}"#,
            #"{"action":"ledger.key_rotation","actor":{"id":"x"}}"#, #"{"action":"a.b","actor":{"id":"x"}"#, "[]", "[1]", "7",
            #"{"action":"a.b","actor":{"id":"x"}} x"#, #"[{"action":"a.b","actor":{"id":"x"}},{"action":"a.b"}]"#,
            "{\"action\":\"a.b\",\"actor\":{\"id\":\"" + String(repeating: "x", count: 300) + "\"}}",
        ]
        for body in bad {
            #expect(!Self.compare(body), "\(body)")
        }
        #expect(!Self.compare("\n \n", framing: .ndjson))
        #expect(!Self.compare(#"{"action":"a.b","actor":{"id":"x"}}"# + "\n{bad\n", framing: .ndjson))
        // A string at its limit in bytes is counted in characters by the tree path: "\r\n" is one.
        let crlf = "{\"action\":\"a.b\",\"actor\":{\"id\":\"x\",\"name\":\"" + String(repeating: "a", count: 1030) + "\"}}"
        #expect(!Self.compare(crlf))
    }

    @Test("strings with escapes and non-ASCII text on the byte path: decoded as the tree parser does, written per RFC 8785")
    func bytePathEscapes() throws {
        let base = #"{"action":"a.b","actor":{"id":"x"},"attributes":ATTR}"#
        let taken: [String] = [
            #"{"s":"caf\u00e9"}"#, #"{"s":"café"}"#, #"{"s":"a\"b"}"#, #"{"s":"a\/b"}"#, #"{"s":"line\nbreak"}"#,
            #"{"s":"\u0000\u001f\u007f\b\f\r\t\n"}"#, #"{"s":"\ud83d\ude00 😀 \u2028\u2029 \uFEFF"}"#, #"{"s":"\\\\"}"#,
            #"{"s":"\u00E9\u00e9 é e\u0301"}"#, #"{"s":["\"quoted\"","it's","\""]}"#, #"{"o":{"z":"\t","a":{"b":"\u0041"}}}"#,
            #"{"s":"ǅ Ω K ﬁ 𝔸 中文 العربية"}"#, #"{"s":"\""}"#, #"{"s":""}"#,
        ]
        for attr in taken {
            #expect(Self.compare(base.replacingOccurrences(of: "ATTR", with: attr)), "\(attr)")
        }
        // Escapes in the members the schema checks and the index reads.
        let hmac = "hmac-sha256:" + String(repeating: "ab", count: 32)
        let schema: [String] = [
            #"{"action":"a.\u0062","actor":{"id":"\u00e9ve","name":"\"Eve\""},"category":"tool_cal\u006c"}"#,
            #"{"action":"a.b","actor":{"id":"x"},"outcome":{"status":"succ\u0065ss"},"risk":{"level":"hig\u0068"}}"#,
            #"{"id":"e-\u0031","time":"2026-11-23T08:15:30\u002e5Z","action":"a.b","actor":{"id":"x"}}"#,
            #"{"action":"a.b","actor":{"id":"x"},"resource":{"type":"file","id":"C:\\Users\\r\u00e9sum\u00e9.txt"}}"#,
            #"{"action":"a.b","actor":{"id":"x"},"source":{"system":"s\u00e9"},"on_behalf_of":{"id":"\u0041lice"}}"#,
            // Redaction of what was escaped: secret shapes in decoded text, HMACs of decoded strings
            // and of objects holding escapes, an escaped HMAC object kept as it is.
            #"{"action":"a.b","actor":{"id":"x"},"request":{"args":{"command":"export GH_TOKEN=\"ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d\"\ngh pr list"}}}"#,
            #"{"action":"a.b","actor":{"id":"x"},"attributes":{"password":"p\u00e4ss\"word","api_key":{"k":"a\nb"}}}"#,
            #"{"action":"a.b","actor":{"id":"x"},"attributes":{"token":{"hmac":"\#(hmac.replacingOccurrences(of: "a", with: "\\u0061"))"}}}"#,
        ]
        for body in schema {
            #expect(Self.compare(body), "\(body)")
        }
        // What the tree path refuses or reports, the byte path leaves to it: the same problems.
        let refused: [String] = [
            #"{"s":"\ud800"}"#, #"{"s":"\udc00x"}"#, #"{"s":"\ud800\u0041"}"#, #"{"s":"\x"}"#, #"{"s":"\u12"}"#, #"{"s":"\u12g4"}"#,
            "{\"s\":\"tab\there\"}", #"{"s":"\"}"#,
        ]
        for attr in refused {
            #expect(!Self.compare(base.replacingOccurrences(of: "ATTR", with: attr)), "\(attr)")
        }
        let problems: [String] = [
            #"{"action":"ledger.key_rotatio\u006e","actor":{"id":"x"}}"#, #"{"action":"a.\u00e9","actor":{"id":"x"}}"#,
            #"{"action":"a.b","actor":{"id":"x\u0000"}}"#, #"{"action":"a.b","actor":{"id":"x\u007f"}}"#,
            #"{"action":"a.b","actor":{"id":"x"},"category":"tool_call\u0000"}"#,
            #"{"action":"a.b","actor":{"id":"x"},"time":"2026-11-23T08:15:30\u005a\n"}"#,
            // 600 characters in 1,200 bytes: within the 1,024-character limit, which only the tree
            // path counts; 1,100 escaped characters: beyond it.
            #"{"action":"a.b","actor":{"id":"x","name":""# + String(repeating: "é", count: 600) + #""}}"#,
            #"{"action":"a.b","actor":{"id":"x","name":""# + String(repeating: #"\u00e9"#, count: 1100) + #""}}"#,
        ]
        for body in problems {
            #expect(!Self.compare(body), "\(body)")
        }
        // Invalid UTF-8 (a lone continuation byte, an overlong slash, an encoded surrogate, a cut
        // sequence) is the tree parser's error on both paths.
        for bad: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF5, 0x80, 0x80, 0x80]] {
            let body = Array(#"{"action":"a.b","actor":{"id":"x"},"attributes":{"s":"ok"#.utf8) + bad + Array(#""}}"#.utf8)
            #expect(!Self.compare(bytes: body), "\(bad)")
        }
    }

    @Test("mutated generated events: both paths agree on every one")
    func bytePathMutations() throws {
        var rng = SplitMix64(state: 99)
        let events = EventFactory.events(count: 300, seed: 5)
        let mutations: [(String) -> String] = [
            { $0.replacingOccurrences(of: "\"command\":", with: "\"password\":") },
            { $0.replacingOccurrences(of: "\"cwd\":\"", with: "\"cwd\":\"sk-proj-P9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY_uCu ") },
            { $0.replacingOccurrences(of: "\"duration_ms\":", with: "\"duration_ms\":1,\"api_key\":") },
            { $0.replacingOccurrences(of: "\"status\":\"success\"", with: "\"status\":\"won\"") },
            { $0.replacingOccurrences(of: "alpha", with: "ålpha") },
            { $0.replacingOccurrences(of: ",", with: " , ") },
            { $0.replacingOccurrences(of: "\"tags\":[", with: "\"tags\":[\"x\\ty\",") },
            { "{\"id\":\"given\"," + $0.dropFirst() },
            { $0.replacingOccurrences(of: "{\"action\"", with: "{\"time\":\"2026-12-02T10:00:00Z\",\"action\"") },
            { $0.replacingOccurrences(of: "\"repo\"", with: "\"rep\\u006f\"") },
            { $0.replacingOccurrences(of: "\"cwd\":\"", with: "\"cwd\":\"\\\"quoted\\\" \\u00e9\\n ") },
            { $0.replacingOccurrences(of: "\"command\":\"", with: "\"command\":\"echo \\\"$HOME\\\" \\\\ caf\u{e9} ") },
            { $0 },
        ]
        for event in events {
            let mutate = mutations.randomElement(using: &rng)!
            Self.compare(mutate(event))
            Self.compare("[" + mutate(event) + "," + event + "]")
        }
    }
}
