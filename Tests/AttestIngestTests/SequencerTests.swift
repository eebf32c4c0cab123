import AttestCore
import AttestIngest
import AttestStore
import AttestTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("Sequencer: group commit, bounded queue, shutdown")
struct SequencerTests {
    func store() throws -> SQLiteLedgerStore {
        let dir = try TestEnvironment.temporaryDirectory()
        return try SQLiteLedgerStore(
            path: dir.appendingPathComponent("ledger.sqlite").path,
            signers: Ed25519LogSigners(key: try .generate(name: "k")),
            options: .init(originPrefix: "t")
        )
    }

    /// Runs `body` while the sequencer runs in a ServiceGroup, then shuts it down gracefully.
    func running<T: Sendable>(_ seq: Sequencer, _ body: @Sendable () async throws -> T) async throws -> T {
        let group = ServiceGroup(services: [seq], logger: Logger(label: "test"))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    @Test("many concurrent submissions share transactions, each gets its own receipts")
    func groupCommit() async throws {
        let s = try store()
        _ = try await s.log(tenant: "default", create: true)
        let seq = Sequencer(store: s)
        let all = try await running(seq) {
            try await withThrowingTaskGroup(of: [Receipt].self) { group in
                for i in 0..<50 {
                    group.addTask { try await seq.submit(tenant: "default", events: Fixtures.events(4, from: i * 4), receivedAt: .now()).receipts }
                }
                return try await group.reduce(into: [Receipt]()) { $0 += $1 }
            }
        }
        #expect(all.map(\.seq).sorted() == (0..<200).map { UInt64($0) })
        let checkpoints = try await s.checkpoints(tenant: "default", sizes: 1...200, limit: 1000)
        #expect(checkpoints.count < 50, "\(checkpoints.count) transactions for 50 requests")
        #expect(checkpoints.last?.size == 200)
    }

    @Test("a full queue refuses at once with .overloaded")
    func overload() async throws {
        let s = try store()
        let seq = Sequencer(store: s, options: .init(maxQueuedEvents: 10, maxBatchEvents: 10))
        // Not running: nothing drains, so the queue fills.
        let first = Task { try await seq.submit(tenant: "default", events: Fixtures.events(8), receivedAt: .now()) }
        while seq.queuedEvents < 8 { try await Task.sleep(for: .milliseconds(1)) }
        await #expect(throws: IngestError(.overloaded, "")) {
            try await seq.submit(tenant: "default", events: Fixtures.events(5, from: 100), receivedAt: .now())
        }
        // Running it drains the accepted request.
        _ = try await running(seq) { try await first.value }
        #expect(try await s.latestCheckpoint(tenant: "default")?.size == 8)
    }

    @Test("after shutdown, queued work is committed and new work is refused")
    func shutdown() async throws {
        let s = try store()
        let seq = Sequencer(store: s)
        try await running(seq) {
            _ = try await seq.submit(tenant: "default", events: Fixtures.events(3), receivedAt: .now())
        }
        await #expect(throws: IngestError(.shuttingDown, "")) {
            try await seq.submit(tenant: "default", events: Fixtures.events(1, from: 9), receivedAt: .now())
        }
        #expect(try await s.latestCheckpoint(tenant: "default")?.size == 3)
    }
}
