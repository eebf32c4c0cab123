import AttestCore
import AttestTesting
import Testing

@Suite("Ledger entries and the hash chain")
struct LedgerEntryTests {
    @Test("the fast canonical writer equals RFC 8785 of the entry object")
    func canonicalFastPath() throws {
        var prev = Hash256.zero
        for (i, event) in Fixtures.events(200).enumerated() {
            let entry = LedgerEntry(
                origin: "attest.example.com/t\u{e9}",
                seq: UInt64(i),
                prev: prev,
                receivedAt: Timestamp(microseconds: Int64(i) * 1_234_567),
                event: event.value
            )
            let fast = entry.canonicalBytes
            #expect(fast == entry.jsonValue.canonicalBytes)
            let reparsed = try LedgerEntry(parsing: JSONParser.parse(fast, limits: .ledger))
            // Values may differ in kind (1217.0 reads back as the integer 1217, -0.0 as 0), but never in bytes.
            #expect(reparsed.canonicalBytes == fast)
            #expect(reparsed.seq == entry.seq && reparsed.prev == entry.prev && reparsed.origin == entry.origin)
            prev = LedgerEntry.hash(canonicalBytes: fast)
        }
    }

    @Test("the entry hash is the RFC 9162 leaf hash of the canonical bytes")
    func hash() {
        let entry = LedgerEntry(origin: "o", seq: 0, prev: .zero, receivedAt: Timestamp(microseconds: 0), event: .object(["action": "a"]))
        let bytes = Array(
            #"{"event":{"action":"a"},"log":"o","prev":"0000000000000000000000000000000000000000000000000000000000000000","received_at":"1970-01-01T00:00:00.000000Z","seq":0,"v":1}"#
                .utf8
        )
        #expect(entry.canonicalBytes == bytes)
        #expect(LedgerEntry.hash(canonicalBytes: bytes) == Hash256.sha256([0] + bytes))
    }

    @Test(
        "malformed entries are named",
        arguments: [
            #"{"v":2,"log":"o","seq":0,"prev":"0000000000000000000000000000000000000000000000000000000000000000","received_at":"1970-01-01T00:00:00.000000Z","event":{}}"#,
            #"{"v":1,"log":"o","seq":-1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","received_at":"1970-01-01T00:00:00.000000Z","event":{}}"#,
            #"{"v":1,"log":"o","seq":0,"prev":"00","received_at":"1970-01-01T00:00:00.000000Z","event":{}}"#,
            #"{"v":1,"log":"o","seq":0,"prev":"0000000000000000000000000000000000000000000000000000000000000000","received_at":"1970-01-01T00:00:00Z","event":{}}"#,
            #"{"v":1,"log":"o","seq":0,"prev":"0000000000000000000000000000000000000000000000000000000000000000","received_at":"1970-01-01T00:00:00.000000Z","event":[]}"#,
            #"{"v":1,"log":"o","seq":0,"prev":"0000000000000000000000000000000000000000000000000000000000000000","received_at":"1970-01-01T00:00:00.000000Z","event":{},"x":1}"#,
            #"{"v":1,"seq":0,"prev":"0000000000000000000000000000000000000000000000000000000000000000","received_at":"1970-01-01T00:00:00.000000Z","event":{}}"#,
        ]
    )
    func malformed(_ json: String) throws {
        #expect(throws: LedgerFormatError.self) { try LedgerEntry(parsing: JSONParser.parse(json)) }
    }
}
