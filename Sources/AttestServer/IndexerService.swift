import AttestStore
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the query index right behind the ledger: nudged after every commit, it indexes the new
/// entries of that tenant in larger transactions, off the acknowledgement path.
final class IndexerService: Service, Sendable {
    let reader: any EventReader
    let logger: Logger
    let pending = Mutex<Set<String>>([])
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init(reader: any EventReader, logger: Logger) {
        self.reader = reader
        self.logger = logger
        (wakeup, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for `tenant` to be indexed soon.
    func nudge(_ tenant: String) {
        pending.withLock { _ = $0.insert(tenant) }
        wake.yield()
    }

    /// Indexes `tenant` now (queries call this so they never miss an acknowledged event).
    func catchUp(_ tenant: String) async throws {
        _ = try await reader.updateIndex(tenant: tenant, batch: 10_000)
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeup {
                // Let a few commits gather so they are indexed in one transaction (the index has its
                // own database and writer, so this never delays an append).
                try? await Task.sleep(for: .milliseconds(20))
                let tenants = pending.withLock { p in
                    defer { p.removeAll() }
                    return p
                }
                for t in tenants.sorted() {
                    do { try await catchUp(t) } catch { logger.error("indexing failed", metadata: ["tenant": "\(t)", "error": "\(error)"]) }
                }
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
    }
}
