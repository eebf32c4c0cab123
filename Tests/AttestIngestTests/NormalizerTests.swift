import AttestCore
import AttestIngest
import AttestStore
import Testing

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
}
