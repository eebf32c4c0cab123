import AttestCore
import AttestIngest
import AttestStore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Continuous verification inside the server: every `interval`, re-checks what was appended to
/// every log since the last pass, from the raw rows (entry bytes and hashes, chain, per-entry
/// signatures, stored Merkle nodes, every checkpoint's signature and root), as `attest verify
/// --data-dir` does. The first pass after start, and one pass every `fullInterval`, cover each
/// whole log.
///
/// Its state is in `/readyz` and `/metrics`. A failure is logged at `critical`, counted, kept in
/// the status until restart (that log is not checked further), and recorded in the failing log
/// itself as a `system` event `ledger.verification_failed`, so that it is part of the audit trail.
final class VerifierService: Service, Sendable {
    /// One log's verification status.
    struct Status: Sendable {
        var verifiedSize: UInt64 = 0
        var failure: VerificationFailure?
        var lastPass: Timestamp?
    }

    let store: any LedgerStore
    let keys: any LogSigners
    let sequencer: Sequencer
    let interval: Duration
    /// Every this long, the next pass starts again from entry 0 (old rows are re-read, so an edit
    /// to an entry already verified is found too).
    let fullInterval: Duration
    let lastFull = Mutex<ContinuousClock.Instant>(.now)
    let logger: Logger
    let statuses = Mutex<[String: Status]>([:])
    let verifiers = Mutex<[String: LogVerifier]>([:])
    let verified: Gauge
    let failures: Counter
    let passes: Counter

    init(
        store: any LedgerStore,
        keys: any LogSigners,
        sequencer: Sequencer,
        interval: Duration,
        fullInterval: Duration,
        logger: Logger,
        metrics: any MetricsFactory
    ) {
        self.store = store
        self.keys = keys
        self.sequencer = sequencer
        self.interval = interval
        self.fullInterval = fullInterval
        self.logger = logger
        verified = Gauge(label: "attest_verified_entries", factory: metrics)
        failures = Counter(label: "attest_verification_failures_total", factory: metrics)
        passes = Counter(label: "attest_verification_passes_total", factory: metrics)
    }

    /// The status of every log seen so far, by tenant.
    var snapshot: [String: Status] { statuses.withLock { $0 } }

    /// One pass over every log; returns the failures found in this pass.
    @discardableResult
    func pass() async -> [String: VerificationFailure] {
        var found: [String: VerificationFailure] = [:]
        let logs: [LogInfo]
        do { logs = try await store.logs() } catch {
            logger.warning("continuous verification could not list the logs", metadata: ["error": "\(error)"])
            return found
        }
        let restart = lastFull.withLock { last in
            guard ContinuousClock.now - last >= fullInterval else { return false }
            last = .now
            return true
        }
        if restart { verifiers.withLock { $0.removeAll() } }
        var total: UInt64 = 0
        for log in logs {
            if statuses.withLock({ $0[log.tenant]?.failure }) != nil { continue }
            do {
                var verifier: LogVerifier
                if let v = verifiers.withLock({ $0[log.tenant] }) {
                    verifier = v
                } else {
                    let key = try NoteVerifiers.parse(try keys.verifierKey(forOrigin: log.origin))
                    verifier = try await LogVerifier(store: store, tenant: log.tenant, key: key)
                }
                guard let latest = try await store.latestCheckpoint(tenant: log.tenant) else { continue }
                try await verifier.advance(store: store, upTo: latest.size)
                // The key this server signs with must be the one the log's history leads to.
                try verifier.checkPinnedKey()
                let v = verifier
                verifiers.withLock { $0[log.tenant] = v }
                statuses.withLock { $0[log.tenant, default: Status()].verifiedSize = v.verifiedSize }
                statuses.withLock { $0[log.tenant, default: Status()].lastPass = .now() }
                total += v.verifiedSize
            } catch let failure as VerificationFailure {
                found[log.tenant] = failure
                statuses.withLock {
                    $0[log.tenant, default: Status()].failure = failure
                    $0[log.tenant, default: Status()].lastPass = .now()
                }
                failures.increment()
                logger.critical(
                    "LEDGER VERIFICATION FAILED: the stored log does not verify",
                    metadata: [
                        "tenant": "\(log.tenant)", "code": "\(failure.code)", "seq": "\(failure.seq.map(String.init) ?? "-")",
                        "reason": "\(failure.reason)",
                    ]
                )
                await record(failure, tenant: log.tenant, origin: log.origin)
            } catch {
                // The store could not be read (e.g. the database is down): try again next pass.
                logger.warning("continuous verification could not read a log", metadata: ["tenant": "\(log.tenant)", "error": "\(error)"])
            }
        }
        verified.record(Int64(clamping: total))
        passes.increment()
        return found
    }

    /// Appends the failure to the log it concerns, as a system event.
    func record(_ failure: VerificationFailure, tenant: String, origin: String) async {
        var attributes: [String: JSONValue] = ["code": .string(failure.code.rawValue), "reason": .string(failure.reason), "origin": .string(origin)]
        if let seq = failure.seq { attributes["seq"] = .int(Int64(clamping: seq)) }
        let value: JSONValue = .object([
            "action": "ledger.verification_failed", "category": "admin",
            "actor": .object(["type": "system", "id": "attest-verifier"]),
            "resource": .object(["type": "audit_log", "id": .string(tenant)]),
            "outcome": .object(["status": "failure"]), "risk": .object(["level": "critical"]),
            "attributes": .object(attributes), "source": .object(["system": "attest"]),
        ])
        let now = Timestamp.now()
        guard case .success(let event) = AuditEvent.validate(value, receivedAt: now) else {
            logger.error("could not build the verification failure event")
            return
        }
        do { _ = try await sequencer.submit(tenant: tenant, events: [event], receivedAt: now) } catch {
            logger.error("could not record the verification failure in the log", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
        }
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // On a low-priority thread of its own, not on the cooperative pool the request
            // handlers run on (ThreadExecutor.background).
            await withTaskExecutorPreference(ThreadExecutor.background) { _ = await self.pass() }
            // The wait ends at once on graceful shutdown (SIGTERM), so stopping never waits for it.
            let interval = self.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
