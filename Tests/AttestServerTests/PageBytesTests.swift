import AttestCore
import AttestStore
import AttestTesting
import Testing

@testable import AttestServer

/// Query pages are written as bytes around each event's stored bytes; they must be exactly the
/// RFC 8785 serialization of the page as a tree (what the route sent before).
@Suite("Query pages written as bytes")
struct PageBytesTests {
    @Test("a page and its items equal the canonical serialization of their trees")
    func pageBytesEqualTheTree() throws {
        // Fixture events carry doubles, nesting and non-ASCII text: stored events read through both
        // of the store's paths (the scanner's and the full parse's).
        var items: [StoredEvent] = []
        let plain: [JSONValue] = (0..<10).map { i in
            ["action": "file.read", "actor": ["id": .string("agent-\(i)"), "name": .string("Ågent \"\(i)\"")], "attributes": ["n": .int(Int64(i))]]
        }
        var scanned = 0
        for (i, event) in (Fixtures.events(30).map(\.value) + plain).enumerated() {
            let received = Timestamp(microseconds: 1_790_000_000_000_000 + Int64(i) * 1_234_567)
            let entry = LedgerEntry(origin: "attest.example.com/acme", seq: UInt64(i), prev: .zero, receivedAt: received, event: event)
            let bytes = entry.canonicalBytes
            if bytes.withUnsafeBufferPointer({ LedgerEntry.readableParts(canonical: $0) }) != nil { scanned += 1 }
            let stored = try bytes.withUnsafeBufferPointer {
                try StoredEvent(seq: UInt64(i), hash: LedgerEntry.hash(canonicalBytes: bytes), entry: $0)
            }
            #expect(stored.eventBytes == event.canonicalBytes && stored.receivedAt == received)
            items.append(stored)
        }
        // Both of the store's paths are in the page: the plain events through the scanner, the
        // fixtures (with fractions) through the full parse.
        #expect(scanned >= plain.count && scanned < items.count)
        for next in [nil, "djEuZGVzYy4xMi5hYmM", "quote\" and \\ and \u{1F600}"] as [String?] {
            for count in [0, 1, items.count] {
                let page = Array(items.prefix(count))
                var out: [UInt8] = []
                AttestAPI.writePage(page, next: next, into: &out)
                let tree: JSONValue = .object(["items": .array(try page.map(AttestAPI.item)), "next_cursor": next.map { .string($0) } ?? .null])
                #expect(out == tree.canonicalBytes, "\(count) items, next \(next ?? "nil")")
            }
        }
        for e in items {
            var out: [UInt8] = []
            AttestAPI.writeItem(e, into: &out)
            #expect(out == (try AttestAPI.item(e)).canonicalBytes)
        }
    }
}
