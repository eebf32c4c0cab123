import AttestCore
import AttestStore
import Logging
import Synchronization
import Testing

@testable import AttestServer

/// An analytics store whose writes wait at a gate, so a test can hold one write under way.
final class GatedAnalytics: AnalyticsStore {
    let open = Mutex(false)
    let entered = Mutex(0)
    let written = Mutex<[UsagePoint]>([])
    let failNext = Mutex(false)

    func recordUsage(tenant: String, points: [UsagePoint]) async throws {
        entered.withLock { $0 += 1 }
        while !open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        if failNext.withLock({ f in
            defer { f = false }
            return f
        }) {
            throw StoreError(.unavailable, "the database went away")
        }
        written.withLock { $0 += points }
    }

    func usage(tenant: String, from: Timestamp?, to: Timestamp?, groupBy: UsageGroup) async throws -> [UsageRow] {
        let total = written.withLock { $0.reduce(0) { $0 + $1.value } }
        return [UsageRow(key: "all", totals: [.toolCalls: total])]
    }
}

@Suite("Usage recorder")
struct UsageRecorderTests {
    static func points(_ n: Int) -> [UsagePoint] {
        (0..<n).map { UsagePoint(series: "s\($0)", measure: .toolCalls, time: .now(), value: 1, user: "dev@example.com") }
    }

    /// CI of 18af164 on PostgreSQL: the background loop had taken the points and was still writing
    /// them when a usage query flushed; the flush found nothing waiting, returned, and the query
    /// read the totals without them.
    @Test("a query's flush waits for points the background loop took and is still writing")
    func flushWaitsForWriteUnderWay() async throws {
        let store = GatedAnalytics()
        let recorder = UsageRecorder(store: store, logger: Logger(label: "test"))
        recorder.record(tenant: "t", points: Self.points(7))
        // The background loop's flush takes the points and waits inside the store.
        let background = Task { try await recorder.flush("t") }
        while store.entered.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }

        let returned = Mutex(false)
        let query = Task {
            try await recorder.flush("t")
            returned.withLock { $0 = true }
            return try await store.usage(tenant: "t", from: nil, to: nil, groupBy: .user).first?.totals[.toolCalls]
        }
        // Nothing waits any more, yet the query's flush must not return while the write is under way.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!returned.withLock { $0 }, "the query's flush returned before the points it did not take were written")
        store.open.withLock { $0 = true }
        #expect(try await query.value == 7)
        try await background.value
        #expect(store.entered.withLock { $0 } == 1, "nothing was written twice")
    }

    @Test("a flush writes what waits, and points recorded after a failed write are still written")
    func flushWritesAndReportsFailure() async throws {
        let store = GatedAnalytics()
        store.open.withLock { $0 = true }
        let recorder = UsageRecorder(store: store, logger: Logger(label: "test"))
        try await recorder.flush("t")  // nothing recorded: nothing written
        #expect(store.entered.withLock { $0 } == 0)

        store.failNext.withLock { $0 = true }
        recorder.record(tenant: "t", points: Self.points(2))
        await #expect(throws: StoreError.self) { try await recorder.flush("t") }
        recorder.record(tenant: "t", points: Self.points(3))
        recorder.record(tenant: "u", points: Self.points(4))
        try await recorder.flush("t")
        #expect(store.written.withLock { $0.count } == 3)
        await recorder.flushAll()
        #expect(store.written.withLock { $0.count } == 7)
    }
}
