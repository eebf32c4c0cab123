import AttestCore
import AttestStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Submits each log's newest checkpoint to the configured witnesses (C2SP tlog-witness
/// `add-checkpoint`, with a consistency proof from the size the witness last cosigned) and stores
/// the cosignatures they return. Nudged after commits; at most one round per `interval`.
///
/// A witness that refuses (403/404/422, or 409 with a size above ours) is logged as an error: it
/// has seen a different or longer history of this log than this server holds.
final class WitnessClient: Service, Sendable {
    struct Witness: Sendable {
        let url: URL
        let verifier: Ed25519CosignatureVerifier
    }

    let witnesses: [Witness]
    let store: any AttestStorage
    let interval: Duration
    let logger: Logger
    let session = URLSession(configuration: .ephemeral)
    /// The size each witness last cosigned, by witness name and tenant (0 when unknown: the witness
    /// answers 409 with its size).
    let known = Mutex<[String: [String: UInt64]]>([:])
    let pending = Mutex<Set<String>>([])
    let wakeup: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init(witnesses: [Witness], store: any AttestStorage, interval: Duration, logger: Logger) {
        self.witnesses = witnesses
        self.store = store
        self.interval = interval
        self.logger = logger
        (wakeup, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func nudge(_ tenant: String) {
        pending.withLock { _ = $0.insert(tenant) }
        wake.yield()
    }

    /// Submits `tenant`'s newest checkpoint to every witness; returns how many cosigned it.
    @discardableResult
    func submit(tenant: String) async -> Int {
        guard let latest = try? await store.latestCheckpoint(tenant: tenant), latest.size > 0 else { return 0 }
        var cosigned = 0
        for w in witnesses {
            if await submit(latest, tenant: tenant, to: w) { cosigned += 1 }
        }
        return cosigned
    }

    func submit(_ cp: StoredCheckpoint, tenant: String, to w: Witness) async -> Bool {
        for _ in 0..<2 {  // a 409 tells the witness's size: one retry from there
            let old = known.withLock { $0[w.verifier.name]?[tenant] } ?? 0
            if old == cp.size, old > 0 {
                // Already cosigned at this size (by another node of this log, say): nothing new.
                return true
            }
            guard old <= cp.size else {
                logger.error(
                    "a witness has cosigned a larger tree of this log than this server holds: rollback or another history",
                    metadata: ["witness": "\(w.verifier.name)", "tenant": "\(tenant)", "witness_size": "\(old)", "size": "\(cp.size)"]
                )
                return false
            }
            let proof: [Hash256]
            do { proof = old == 0 ? [] : try await store.consistencyProof(tenant: tenant, from: old, to: cp.size) } catch {
                logger.warning("no consistency proof for a witness", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                return false
            }
            let body = WitnessProtocol.Request(oldSize: old, proof: proof, note: cp.note).body
            var request = URLRequest(url: w.url.appendingPathComponent("add-checkpoint"))
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            request.timeoutInterval = 10
            let data: Data
            let status: Int
            do {
                let (d, response) = try await session.data(for: request)
                data = d
                status = (response as? HTTPURLResponse)?.statusCode ?? 0
            } catch {
                logger.warning("witness unreachable", metadata: ["witness": "\(w.url)", "error": "\(error.localizedDescription)"])
                return false
            }
            let text = String(decoding: data, as: UTF8.self)
            switch status {
            case 200:
                // Keep only lines that verify as this witness's cosignature of this checkpoint.
                guard let logNote = try? SignedNote(parsing: cp.note), let signed = try? SignedNote(parsing: logNote.text + "\n" + text),
                    let good = try? signed.verify(with: [w.verifier])
                else {
                    logger.error("a witness answered without a valid cosignature", metadata: ["witness": "\(w.url)"])
                    return false
                }
                for sig in good {
                    do { try await store.addCosignature(tenant: tenant, size: cp.size, witness: w.verifier.name, line: sig.line) } catch {
                        logger.warning("could not store a cosignature", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                        return false
                    }
                }
                known.withLock { $0[w.verifier.name, default: [:]][tenant] = cp.size }
                return true
            case 409:
                guard let size = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    logger.error(
                        "a witness refused this log's checkpoint: another root at the same size",
                        metadata: ["witness": "\(w.url)", "tenant": "\(tenant)"]
                    )
                    return false
                }
                known.withLock { $0[w.verifier.name, default: [:]][tenant] = size }
                continue
            default:
                logger.error(
                    "a witness refused this log's checkpoint",
                    metadata: ["witness": "\(w.url)", "tenant": "\(tenant)", "status": "\(status)", "reason": "\(text.prefix(300))"]
                )
                return false
            }
        }
        return false
    }

    func run() async throws {
        // Every log once at start, then whatever commits nudge.
        if let logs = try? await store.logs() { pending.withLock { $0.formUnion(logs.map(\.tenant)) } }
        wake.yield()
        await withGracefulShutdownHandler {
            for await _ in wakeup {
                let tenants = pending.withLock { p in
                    defer { p.removeAll() }
                    return p
                }
                for t in tenants.sorted() { await submit(tenant: t) }
                let interval = self.interval
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
    }
}
