/// Stateful verification of a live log (FORMAT §8): what an outside verifier remembers between
/// runs, and the checks that compare a newly fetched checkpoint with it.
///
/// A verifier pins the log's key, keeps the last checkpoint it accepted, and on every run accepts
/// a new checkpoint only if it is signed by that key, names the same origin, is not smaller, and is
/// proved consistent (RFC 9162 §2.1.4) with the remembered one. This catches a rollback (a smaller
/// tree), a rewritten or forked history (an inconsistent proof, or another root at the same size), a
/// different key and a different origin or tenant.
public enum LogMonitor {
    /// What a verifier remembers about one log: the key it pinned and the last checkpoint it accepted.
    public struct State: Hashable, Sendable {
        /// The pinned verifier key (`name+hex8+base64`); its name is the log origin.
        public let verifierKey: String
        /// The last accepted signed checkpoint (note text).
        public let checkpoint: String
        /// Its size and root, as parsed from `checkpoint`.
        public let size: UInt64
        public let root: Hash256
        /// When it was accepted.
        public let acceptedAt: Timestamp

        public init(verifierKey: String, checkpoint: String, size: UInt64, root: Hash256, acceptedAt: Timestamp) {
            self.verifierKey = verifierKey
            self.checkpoint = checkpoint
            self.size = size
            self.root = root
            self.acceptedAt = acceptedAt
        }

        /// The state file's JSON (RFC 8785, one object).
        public var json: JSONValue {
            .object([
                "format": .string("attest-verifier-state/v1"),
                "verifier_key": .string(verifierKey),
                "origin": .string(String(verifierKey.prefix { $0 != "+" })),
                "size": .int(Int64(size)),
                "root": .string(root.hex),
                "checkpoint": .string(checkpoint),
                "accepted_at": .string(acceptedAt.rfc3339),
            ])
        }

        /// Reads a state file's JSON; re-verifies the stored checkpoint with the stored key, so an
        /// edited state file is refused rather than trusted.
        public init(json value: JSONValue) throws(LogMonitorError) {
            guard case .object(let o) = value, o["format"] == .string("attest-verifier-state/v1"),
                case .string(let key)? = o["verifier_key"], case .string(let note)? = o["checkpoint"],
                case .string(let accepted)? = o["accepted_at"], let at = Timestamp(rfc3339: accepted)
            else { throw LogMonitorError(.badState, "not an attest verifier state (attest-verifier-state/v1)") }
            let verifier: Ed25519NoteVerifier
            do { verifier = try Ed25519NoteVerifier(verifierKey: key) } catch {
                throw LogMonitorError(.badState, "its verifier key is not valid: \(error.reason)")
            }
            let signed: SignedCheckpoint
            do { signed = try SignedCheckpoint(verifying: note, with: verifier) } catch {
                throw LogMonitorError(.badState, "its checkpoint does not verify with its key: \(error.reason)")
            }
            self.init(verifierKey: key, checkpoint: note, size: signed.checkpoint.size, root: signed.checkpoint.root, acceptedAt: at)
        }
    }

    /// What a run concluded.
    public struct Outcome: Hashable, Sendable {
        /// The checkpoint now accepted (to be saved).
        public let accepted: State
        /// The previously accepted size (nil on first use).
        public let previousSize: UInt64?
        /// Whether a consistency proof was checked (false on first use or an unchanged size).
        public let provedConsistent: Bool
    }

    /// Checks `note` (just fetched) against `key` and, if given, the remembered `state`;
    /// `consistencyProof(old, new)` fetches the proof between two sizes when one is needed.
    public static func check(
        note: String,
        key: Ed25519NoteVerifier,
        state: State?,
        now: Timestamp,
        consistencyProof: (UInt64, UInt64) async throws -> [Hash256]
    ) async throws -> Outcome {
        if let state, state.verifierKey != key.verifierKey {
            throw LogMonitorError(
                .keyChanged,
                "the pinned key is \(key.verifierKey) but the saved state was accepted under \(state.verifierKey): a different key or log"
            )
        }
        let parsed: SignedCheckpoint
        do { parsed = try SignedCheckpoint(parsing: note) } catch {
            throw LogMonitorError(.badSignature, "the server's checkpoint is not a signed checkpoint: \(error.reason)")
        }
        // Another origin: another log or tenant (named before the signature, which then fails too).
        guard parsed.checkpoint.origin == key.name else {
            throw LogMonitorError(.originMismatch, "the checkpoint is for \(parsed.checkpoint.origin), not \(key.name): another log or tenant")
        }
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(verifying: note, with: key) } catch {
            throw LogMonitorError(.badSignature, "the checkpoint is not signed by \(key.verifierKey): \(error.reason)")
        }
        let new = signed.checkpoint
        let accepted = State(verifierKey: key.verifierKey, checkpoint: note, size: new.size, root: new.root, acceptedAt: now)
        guard let state else { return Outcome(accepted: accepted, previousSize: nil, provedConsistent: false) }
        if new.size < state.size {
            throw LogMonitorError(
                .rollback,
                "rollback: the log now has \(new.size) entries, but \(state.size) were seen (checkpoint accepted \(state.acceptedAt.rfc3339))"
            )
        }
        if new.size == state.size {
            guard new.root == state.root else {
                throw LogMonitorError(.fork, "fork: at size \(new.size) the root is now \(new.root.hex), but \(state.root.hex) was seen")
            }
            return Outcome(accepted: state, previousSize: state.size, provedConsistent: false)
        }
        // Every tree extends the empty one: nothing to prove from size 0.
        if state.size > 0 {
            let proof = try await consistencyProof(state.size, new.size)
            let verdict = Merkle.verifyConsistency(oldSize: state.size, newSize: new.size, oldRoot: state.root, newRoot: new.root, proof: proof)
            if case .failure(let e) = verdict {
                throw LogMonitorError(
                    .fork,
                    "history rewritten or forked: the tree of \(new.size) does not extend the tree of \(state.size) seen before (\(e.reason))"
                )
            }
        }
        return Outcome(accepted: accepted, previousSize: state.size, provedConsistent: state.size > 0)
    }
}

/// Why a live log was not accepted.
public struct LogMonitorError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public static let badSignature = Code("bad_signature")
        public static let keyChanged = Code("key_changed")
        public static let originMismatch = Code("origin_mismatch")
        public static let rollback = Code("rollback")
        public static let fork = Code("fork")
        public static let badState = Code("bad_state")
    }
    public let code: Code
    public let reason: String
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}
