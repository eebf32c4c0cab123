import AttestCore
import AttestIngest
import AttestStore
import Logging
import ServiceLifecycle
import Synchronization

/// Every read of audit data is itself recorded in the tenant's log as a `data_access` event naming
/// the reader. Reads are queued here and appended in batches, off the request's path.
final class DataAccessRecorder: Service, Sendable {
    struct Read: Sendable {
        let tenant: String
        let reader: TokenRecord
        let action: String
        let details: JSONValue
        let at: Timestamp
    }

    let sequencer: Sequencer
    let logger: Logger
    let queue = Mutex<[Read]>([])
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init(sequencer: Sequencer, logger: Logger) {
        self.sequencer = sequencer
        self.logger = logger
        (wakeup, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues the record of a read.
    func record(tenant: String, reader: TokenRecord, action: String, details: [String: JSONValue]) {
        queue.withLock { $0.append(Read(tenant: tenant, reader: reader, action: action, details: .object(details), at: .now())) }
        wake.yield()
    }

    static func event(_ r: Read) -> AuditEvent? {
        var actor: [String: JSONValue] = ["id": .string(r.reader.subject ?? "token:\(r.reader.name)"), "name": .string(r.reader.name)]
        actor["type"] = .string(r.reader.subject == nil ? "service" : "human")
        actor["roles"] = .array([.string(r.reader.role.rawValue)])
        let value: JSONValue = .object([
            "action": .string(r.action), "category": "data_access", "actor": .object(actor),
            "resource": .object(["type": "audit_log", "id": .string(r.tenant)]),
            "request": .object(["args": r.details]), "outcome": .object(["status": "success"]),
            "source": .object(["system": "attest", "ingest": "rest"]),
        ])
        guard case .success(let e) = AuditEvent.validate(value, receivedAt: r.at) else { return nil }
        return e
    }

    func flush() async {
        let reads = queue.withLock { q in
            defer { q.removeAll() }
            return q
        }
        guard !reads.isEmpty else { return }
        var byTenant: [String: [AuditEvent]] = [:]
        for r in reads {
            if let e = Self.event(r) { byTenant[r.tenant, default: []].append(e) }
        }
        for (tenant, events) in byTenant.sorted(by: { $0.key < $1.key }) {
            do {
                _ = try await sequencer.submit(tenant: tenant, events: events, receivedAt: .now())
            } catch {
                logger.error("could not record \(events.count) read(s) of audit data", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            }
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeup {
                // Let reads gather for a moment so they are appended together.
                try? await Task.sleep(for: .milliseconds(50))
                await flush()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        await flush()
    }
}
