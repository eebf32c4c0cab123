import AttestCore
import Foundation
import Testing

/// Stateful verification (FORMAT §8): every way a live log can lie to a verifier that remembers.
@Suite("Log monitor: checkpoints against a remembered state")
struct LogMonitorTests {
    /// A log of `n` leaves that can be forked: the same key signs another history.
    struct Log {
        let signer: Ed25519NoteSigner
        var leaves: [Hash256]

        init(_ n: Int, name: String = "attest.example.com/acme", seed: UInt8 = 1) throws {
            signer = try Ed25519NoteSigner.generate(name: name)
            leaves = (0..<n).map { Merkle.leafHash([seed, UInt8($0 & 0xFF), UInt8($0 >> 8)]) }
        }

        func note(_ size: Int, signer other: Ed25519NoteSigner? = nil, origin: String? = nil) throws -> String {
            let root = Merkle.root(of: Array(leaves.prefix(size)))
            let cp = Checkpoint(origin: origin ?? signer.name, size: UInt64(size), root: root)
            return try SignedCheckpoint(signing: cp, with: other ?? signer).serialized
        }

        func proof(_ m: UInt64, _ n: UInt64) throws -> [Hash256] {
            try Merkle.consistencyProof(from: m, to: n, leaves: Array(leaves.prefix(Int(n))))
        }
    }

    func accept(_ log: Log, size: Int, state: LogMonitor.State?, proofFrom other: Log? = nil) async throws -> LogMonitor.Outcome {
        let source = other ?? log
        return try await LogMonitor.check(note: try log.note(size), pinned: log.signer.verifier, state: state, now: .now()) { m, n in
            try source.proof(m, n)
        }
    }

    func failure(_ body: () async throws -> Void) async -> LogMonitorError.Code? {
        do {
            try await body()
            return nil
        } catch let e as LogMonitorError {
            return e.code
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("first use pins the checkpoint; growth is accepted only with a valid consistency proof")
    func growth() async throws {
        let log = try Log(300)
        let first = try await accept(log, size: 17, state: nil)
        #expect(first.previousSize == nil && !first.provedConsistent && first.accepted.size == 17)
        var state = first.accepted
        for size in [17, 18, 64, 65, 199, 300] {
            let next = try await accept(log, size: size, state: state)
            #expect(next.previousSize == state.size)
            #expect(next.provedConsistent == (size > state.size))
            state = next.accepted
        }
        #expect(state.size == 300)
        // From an empty log: nothing to prove.
        let empty = try await accept(log, size: 0, state: nil)
        #expect(try await accept(log, size: 5, state: empty.accepted).accepted.size == 5)
    }

    @Test("a smaller tree is a rollback")
    func rollback() async throws {
        let log = try Log(50)
        let seen = try await accept(log, size: 40, state: nil).accepted
        #expect(await failure { _ = try await accept(log, size: 39, state: seen) } == .rollback)
        #expect(await failure { _ = try await accept(log, size: 0, state: seen) } == .rollback)
    }

    @Test("another history signed by the same key is a fork, at the same size or a larger one")
    func fork() async throws {
        let log = try Log(50)
        var other = log
        other.leaves[12] = Merkle.leafHash([9, 9, 9])  // entry 12 rewritten, everything re-signed
        let seen = try await accept(log, size: 30, state: nil).accepted
        #expect(await failure { _ = try await accept(other, size: 30, state: seen) } == .fork)
        #expect(await failure { _ = try await accept(other, size: 45, state: seen, proofFrom: other) } == .fork)
        // A proof that does not fit (e.g. replayed from elsewhere) is a failure too.
        #expect(
            await failure {
                _ = try await LogMonitor.check(note: try log.note(45), pinned: log.signer.verifier, state: seen, now: .now()) { _, _ in
                    [Hash256.zero]
                }
            } == .fork
        )
    }

    @Test("another key, a bad signature and another origin are refused")
    func keysAndOrigins() async throws {
        let log = try Log(20)
        let seen = try await accept(log, size: 10, state: nil).accepted
        let impostor = try Ed25519NoteSigner.generate(name: log.signer.name)
        // Signed by another key with the same name: the pinned key does not verify it.
        #expect(
            await failure {
                _ = try await LogMonitor.check(note: try log.note(12, signer: impostor), pinned: log.signer.verifier, state: seen, now: .now()) {
                    try log.proof($0, $1)
                }
            } == .badSignature
        )
        // The verifier pinned a different key than the state remembers (another log or a rotation).
        #expect(
            await failure {
                _ = try await LogMonitor.check(note: try log.note(12, signer: impostor), pinned: impostor.verifier, state: seen, now: .now()) {
                    try log.proof($0, $1)
                }
            } == .keyChanged
        )
        // Another tenant's checkpoint, validly signed by the same installation seed under its own name.
        let otherTenant = try log.signer.renamed("attest.example.com/globex")
        #expect(
            await failure {
                _ = try await LogMonitor.check(
                    note: try log.note(12, signer: otherTenant, origin: "attest.example.com/globex"),
                    pinned: log.signer.verifier,
                    state: seen,
                    now: .now()
                ) { try log.proof($0, $1) }
            } == .originMismatch
        )
        // A note that is not a signed checkpoint at all.
        #expect(
            await failure {
                _ = try await LogMonitor.check(note: "<html>", pinned: log.signer.verifier, state: seen, now: .now()) { try log.proof($0, $1) }
            } == .badSignature
        )
    }

    @Test("the state file round-trips, and an edited one is refused")
    func stateFile() async throws {
        let log = try Log(20)
        let state = try await accept(log, size: 20, state: nil).accepted
        let text = state.json.canonicalBytes
        let back = try LogMonitor.State(json: JSONParser.parse(text))
        #expect(back == state)
        // Lowering the size in the file (to hide a rollback later) breaks its signature check.
        guard case .object(var o) = state.json else {
            Issue.record("not an object")
            return
        }
        o["checkpoint"] = .string(try log.note(5).replacingOccurrences(of: "\n5\n", with: "\n20\n"))
        #expect(throws: LogMonitorError.self) { try LogMonitor.State(json: .object(o)) }
        #expect(throws: LogMonitorError.self) { try LogMonitor.State(json: .object(["format": .string("other")])) }
    }
}
