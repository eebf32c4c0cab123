import AttestCore
import AttestStore
import Foundation
import Testing

@testable import AttestServer

@Suite("Token cache (the bearer check reads the store once a lifetime per token)")
struct TokenCacheTests {
    let record = TokenRecord(tenant: "acme", name: "ci", role: .ingest, subject: nil, createdAt: Timestamp(microseconds: 1_000_000))
    let hash = Array(repeating: UInt8(7), count: 32)

    @Test("a token kept is found until its lifetime ends, then asked for again")
    func lifetime() async throws {
        let cache = TokenCache(lifetime: .milliseconds(200))
        #expect(cache.record(hash) == nil)
        cache.keep(hash, record, readIn: cache.generation)
        #expect(cache.record(hash) == record)
        #expect(cache.record(Array(repeating: 8, count: 32)) == nil)
        try await Task.sleep(for: .milliseconds(300))
        #expect(cache.record(hash) == nil)
    }

    @Test("creating or revoking a token empties the cache, and a read begun before that is not kept")
    func clearedOnChange() {
        let cache = TokenCache()
        cache.keep(hash, record, readIn: cache.generation)
        cache.clear()
        #expect(cache.record(hash) == nil)
        // A request read the token, then it was revoked (clear), then the request tries to keep it.
        let before = cache.generation
        cache.clear()
        cache.keep(hash, record, readIn: before)
        #expect(cache.record(hash) == nil)
        cache.keep(hash, record, readIn: cache.generation)
        #expect(cache.record(hash) == record)
    }

    @Test("more tokens than the capacity empty it instead of growing it")
    func bounded() {
        let cache = TokenCache()
        for i in 0..<TokenCache.capacity {
            cache.keep([UInt8(i & 0xff), UInt8(i >> 8)], record, readIn: cache.generation)
        }
        #expect(cache.record([0, 0]) == record)
        cache.keep(hash, record, readIn: cache.generation)
        #expect(cache.record([0, 0]) == nil)
        #expect(cache.record(hash) == record)
    }
}
