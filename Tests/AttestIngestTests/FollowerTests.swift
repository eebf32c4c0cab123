import AttestCore
import AttestIngest
import AttestStore
import AttestTesting
import Foundation
import Testing

@Suite("Followers with durable cursors")
struct FollowerTests {
    func store(_ dir: URL) throws -> SQLiteLedgerStore {
        let key = try Ed25519NoteSigner(name: "k", seed: [UInt8](repeating: 7, count: 32))
        return try SQLiteLedgerStore(
            path: dir.appendingPathComponent("ledger.sqlite").path,
            signers: Ed25519LogSigners(key: key),
            options: .init(originPrefix: "t")
        )
    }

    @Test("a follower sees every entry exactly once, in order, across restarts")
    func exactlyOnceAcrossRestarts() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        var seen: [UInt64] = []
        var appended = 0
        // Five "process lifetimes": each opens the store anew, appends some, follows part of the way.
        for round in 0..<5 {
            let s = try store(dir)
            let n = 37 + round * 11
            _ = try await s.append(tenant: "default", events: Fixtures.events(n, from: appended), receivedAt: .now())
            appended += n
            let follower = LogFollower(name: "test-follower", store: s)
            // Stop early on some rounds, as a restart would.
            var polls = 0
            while polls < (round % 2 == 0 ? 2 : 100), try await follower.poll(tenant: "default", limit: 16, handle: { seen += $0.map(\.seq) }) > 0 {
                polls += 1
            }
        }
        let s = try store(dir)
        try await LogFollower(name: "test-follower", store: s).catchUp(tenant: "default") { seen += $0.map(\.seq) }
        #expect(seen == (0..<UInt64(appended)).map { $0 })
        #expect(try await LogFollower(name: "test-follower", store: s).position(tenant: "default") == UInt64(appended))
        // Another follower has its own cursor and starts from the beginning.
        var other: [UInt64] = []
        try await LogFollower(name: "other", store: s).catchUp(tenant: "default", limit: 1000) { other += $0.map(\.seq) }
        #expect(other.count == appended)
    }

    @Test("a handler that fails gets the same batch again; the cursor does not move past it")
    func redeliveryOnFailure() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let s = try store(dir)
        _ = try await s.append(tenant: "default", events: Fixtures.events(10), receivedAt: .now())
        let f = LogFollower(name: "flaky", store: s)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await f.poll(tenant: "default", limit: 4) { _ in throw Boom() } }
        #expect(try await f.position(tenant: "default") == 0)
        var got: [UInt64] = []
        try await f.poll(tenant: "default", limit: 4) { got = $0.map(\.seq) }
        #expect(got == [0, 1, 2, 3])
        #expect(try await f.position(tenant: "default") == 4)
    }
}
