import AttestStore
import CAttestSystem
import Foundation
import Testing

@testable import AttestServer

@Suite("Background executor (continuous verification off the request handlers' threads)")
struct BackgroundExecutorTests {
    @Test("work with its preference runs on its own thread (the only one at nice 10), across suspensions")
    func runsOnItsThread() async throws {
        let outside = attest_thread_nice()
        let (seen, names) = await withTaskExecutorPreference(ThreadExecutor.background) { () async -> ([Int32], Set<String>) in
            var seen: [Int32] = []
            var names: Set<String> = []
            for _ in 0..<3 {
                seen.append(attest_thread_nice())
                names.insert(ThreadExecutor.currentThreadName())
                try? await Task.sleep(for: .milliseconds(5))
            }
            return (seen, names)
        }
        #expect(names == ["attest-bg"])
        #expect(ThreadExecutor.background.lowered)
        #expect(outside == 0)
        // Only its thread runs at nice 10 (the cooperative pool runs at the process's 0).
        #expect(seen == [10, 10, 10])
        // The caller's own thread is not changed.
        #expect(attest_thread_nice() == outside)
    }
}
