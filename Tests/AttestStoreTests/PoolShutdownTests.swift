import Testing

@testable import AttestPostgres

/// The bounded wait for the PostgreSQL pool at shutdown (a node was once seen waiting forever).
@Suite("Pool shutdown")
struct PoolShutdownTests {
    @Test("a task that never finishes is given up on after the limit; one that finishes is reported")
    func boundedWait() async {
        let stuck = Task<Void, Never> { try? await Task.sleep(for: .seconds(3600)) }
        #expect(await PostgresPoolService.finishes(stuck, within: .milliseconds(100)) == false)
        stuck.cancel()
        let quick = Task {}
        #expect(await PostgresPoolService.finishes(quick, within: .seconds(60)))
    }
}
