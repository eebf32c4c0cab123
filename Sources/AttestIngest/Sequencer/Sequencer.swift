import AttestCore
import AttestStore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Why the sequencer did not take a batch.
public struct IngestError: CodedError {
    public struct Code: Hashable, Sendable {
        let raw: String
        /// The queue is full: retry later (503 with Retry-After).
        public static let overloaded = Code(raw: "overloaded")
        /// The service is shutting down.
        public static let shuttingDown = Code(raw: "shutting_down")
        /// The store failed; nothing of the batch was committed.
        public static let storeFailed = Code(raw: "store_failed")
    }
    public let code: Code
    public let reason: String
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// What one committed transaction appended, for followers in this process (the indexer).
public struct CommittedBatch: Sendable {
    public let tenant: String
    /// The log's size after the commit.
    public let size: UInt64
    /// The query-index rows of the entries appended (duplicates left out), in seq order.
    public let rows: [IndexRow]
}

/// The receipts of one submitted batch and the checkpoint that covers them.
public struct BatchReceipt: Sendable, Hashable {
    public let receipts: [Receipt]
    public let checkpoint: StoredCheckpoint
}

/// Group commit: requests from any number of connections queue here; one loop takes everything
/// waiting (up to `maxBatchEvents`) and appends it per tenant in one transaction each, with one
/// checkpoint signature per transaction. A request is answered only after its transaction is
/// durable and signed.
///
/// The queue is bounded: past `maxQueuedEvents`, `submit` fails at once with `.overloaded`.
public final class Sequencer: Service, Sendable {
    public struct Options: Sendable {
        /// Events waiting at most (beyond that: `.overloaded`).
        public var maxQueuedEvents: Int = 50_000
        /// Events per transaction at most.
        public var maxBatchEvents: Int = 2_000
        public init(maxQueuedEvents: Int = 50_000, maxBatchEvents: Int = 2_000) {
            self.maxQueuedEvents = maxQueuedEvents
            self.maxBatchEvents = maxBatchEvents
        }
    }

    struct Pending: Sendable {
        let tenant: String
        let events: [AuditEvent]
        let receivedAt: Timestamp
        let continuation: CheckedContinuation<BatchReceipt, any Error>
    }

    struct State {
        var queue: [Pending] = []
        var queuedEvents = 0
        var stopped = false
    }

    let store: any LedgerStore
    let options: Options
    let logger: Logger
    let state = Mutex(State())
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    /// Called after each committed transaction (e.g. to hand the new entries to the indexer).
    let onCommit: @Sendable (CommittedBatch) -> Void
    /// Awaited before each transaction: it returns when the next may be committed (the server
    /// holds the ledger back while the query index is too far behind).
    let admit: @Sendable () async -> Void

    let queueDepth: Gauge
    let batchSize: Recorder
    let commitLatency: Metrics.Timer
    let eventsAppended: Counter
    let eventsDuplicate: Counter
    let rejectedOverload: Counter

    public init(
        store: any LedgerStore,
        options: Options = Options(),
        logger: Logger = Logger(label: "attest.sequencer"),
        metrics: any MetricsFactory = MetricsSystem.factory,
        onCommit: @escaping @Sendable (CommittedBatch) -> Void = { _ in },
        admit: @escaping @Sendable () async -> Void = {}
    ) {
        self.store = store
        self.options = options
        self.logger = logger
        self.onCommit = onCommit
        self.admit = admit
        queueDepth = Gauge(label: "attest_ingest_queue_events", factory: metrics)
        batchSize = Recorder(label: "attest_ingest_batch_events", factory: metrics)
        commitLatency = Metrics.Timer(label: "attest_ingest_commit_seconds", factory: metrics)
        eventsAppended = Counter(label: "attest_ingest_events_total", dimensions: [("result", "appended")], factory: metrics)
        eventsDuplicate = Counter(label: "attest_ingest_events_total", dimensions: [("result", "duplicate")], factory: metrics)
        rejectedOverload = Counter(label: "attest_ingest_rejected_total", dimensions: [("reason", "overloaded")], factory: metrics)
        (wakeup, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Appends `events` to `tenant`'s log and returns once they are durable and signed.
    public func submit(tenant: String, events: [AuditEvent], receivedAt: Timestamp) async throws -> BatchReceipt {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<BatchReceipt, any Error>) in
            let refused: IngestError? = state.withLock { s in
                if s.stopped { return IngestError(.shuttingDown, "the service is shutting down") }
                if s.queuedEvents + events.count > options.maxQueuedEvents && s.queuedEvents > 0 {
                    return IngestError(.overloaded, "ingest queue is full (\(s.queuedEvents) events waiting)")
                }
                s.queue.append(Pending(tenant: tenant, events: events, receivedAt: receivedAt, continuation: continuation))
                s.queuedEvents += events.count
                return nil
            }
            if let refused {
                if refused.code == .overloaded { rejectedOverload.increment() }
                continuation.resume(throwing: refused)
            } else {
                wake.yield()
            }
        }
    }

    /// Events waiting now.
    public var queuedEvents: Int { state.withLock { $0.queuedEvents } }

    /// Takes the next group of requests: whole requests, up to `maxBatchEvents` (at least one).
    func takeBatch() -> [Pending] {
        state.withLock { s in
            var taken: [Pending] = []
            var count = 0
            while let first = s.queue.first, taken.isEmpty || count + first.events.count <= options.maxBatchEvents {
                taken.append(s.queue.removeFirst())
                count += first.events.count
            }
            s.queuedEvents -= count
            return taken
        }
    }

    /// Commits everything queued, tenant by tenant, until the queue is empty.
    func drain() async {
        while true {
            await admit()
            let batch = takeBatch()
            if batch.isEmpty { return }
            queueDepth.record(queuedEvents)
            var byTenant: [String: [Pending]] = [:]
            var order: [String] = []
            for p in batch {
                if byTenant[p.tenant] == nil { order.append(p.tenant) }
                byTenant[p.tenant, default: []].append(p)
            }
            for tenant in order {
                await commit(tenant: tenant, byTenant[tenant]!)
            }
        }
    }

    func commit(tenant: String, _ group: [Pending]) async {
        let events = group.flatMap(\.events)
        let started = ContinuousClock.now
        do {
            let receivedAt = group.last!.receivedAt
            let result = try await store.append(tenant: tenant, events: events, receivedAt: receivedAt)
            commitLatency.record(duration: ContinuousClock.now - started)
            batchSize.record(events.count)
            let dup = result.receipts.filter(\.duplicate).count
            eventsDuplicate.increment(by: dup)
            eventsAppended.increment(by: result.receipts.count - dup)
            var rows: [IndexRow] = []
            rows.reserveCapacity(events.count - dup)
            for (event, receipt) in zip(events, result.receipts) where !receipt.duplicate {
                rows.append(IndexRow(seq: receipt.seq, receivedAt: receivedAt, event: event))
            }
            // Before the answers: a query sent after an acknowledgement finds the rows (the indexer
            // holds them until the query index does).
            onCommit(CommittedBatch(tenant: tenant, size: result.checkpoint.size, rows: rows))
            var offset = 0
            for p in group {
                let slice = Array(result.receipts[offset..<(offset + p.events.count)])
                offset += p.events.count
                p.continuation.resume(returning: BatchReceipt(receipts: slice, checkpoint: result.checkpoint))
            }
        } catch {
            logger.error("append failed; the batch was not committed", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            let failure = IngestError(.storeFailed, "the ledger could not commit the batch; nothing was written")
            for p in group { p.continuation.resume(throwing: failure) }
        }
    }

    /// Runs until graceful shutdown, then commits what is queued and refuses new work.
    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeup {
                await drain()
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.stopped = true }
            self.wake.finish()
        }
        // However the loop ended (graceful shutdown or cancellation), refuse new work and finish
        // what was accepted, so no caller is left waiting.
        state.withLock { $0.stopped = true }
        await drain()
    }
}
