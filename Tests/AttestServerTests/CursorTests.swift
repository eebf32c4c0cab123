import AttestCore
import AttestStore
import Foundation
import Testing

@testable import AttestServer

@Suite("Query cursors")
struct CursorTests {
    /// Filter sets that differ in one filter, or move a value from one filter to another.
    static func queries() -> [EventQuery] {
        var out: [EventQuery] = [EventQuery()]
        func with(_ change: (inout EventQuery) -> Void) {
            var q = EventQuery()
            change(&q)
            out.append(q)
        }
        with { $0.actor = "a" }
        with { $0.agent = "a" }
        with { $0.onBehalfOf = "a" }
        with { $0.ownedBy = "a" }
        with { $0.session = "a" }
        with { $0.action = "a" }
        with { $0.action = "a*" }
        with { $0.category = "a" }
        with { $0.resourceType = "a" }
        with { $0.resourceID = "a" }
        with { $0.outcome = "a" }
        with { $0.actor = "a:1" }
        with {
            $0.actor = "a"
            $0.agent = "1"
        }
        with { $0.minRisk = 2 }
        with { $0.minRisk = 3 }
        with { $0.from = Timestamp(microseconds: 5) }
        with { $0.to = Timestamp(microseconds: 5) }
        with { $0.order = .ascending }
        return out
    }

    @Test("a cursor reads back only with the filters and order it came from; page size and position do not count")
    func bindsFilters() {
        let qs = Self.queries()
        #expect(Set(qs.map(Cursor.fingerprint)).count == qs.count)
        for (i, q) in qs.enumerated() {
            let cursor = Cursor.encode(after: 41, query: q)
            for (j, other) in qs.enumerated() {
                #expect((Cursor.decode(cursor, query: other) == 41) == (i == j), "\(i) \(j)")
            }
            var sameFilters = q
            sameFilters.limit = 7
            sameFilters.after = 3
            #expect(Cursor.decode(cursor, query: sameFilters) == 41)
        }
    }

    @Test("cursors handed out before v2 (reflection-based fingerprint) still read")
    func readsV1() {
        var q = EventQuery()
        q.actor = "agent-1"
        q.limit = 50
        let v1 = "v1.desc.99.\(Cursor.fingerprintV1(q))"
        let cursor = Data(v1.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        #expect(Cursor.decode(cursor, query: q) == 99)
        var other = q
        other.actor = "agent-2"
        #expect(Cursor.decode(cursor, query: other) == nil)
        #expect(Cursor.decode(Cursor.encode(after: 99, query: q), query: q) == 99)
    }

    @Test("every field of EventQuery is either in the fingerprint or the position and page size")
    func fingerprintCoversTheQuery() {
        // 13 filters and the order are fingerprinted; `after` and `limit` are not. A new filter must
        // be added to Cursor.fingerprint (and to this count).
        #expect(Mirror(reflecting: EventQuery()).children.count == 16)
    }
}
