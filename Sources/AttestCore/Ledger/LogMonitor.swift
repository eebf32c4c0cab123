/// Stateful verification of a live log (FORMAT §8): what an outside verifier remembers between
/// runs, and the checks that compare a newly fetched checkpoint with it.
///
/// A verifier pins the log's key, keeps the last checkpoint it accepted, and on every run accepts
/// a new checkpoint only if it is signed by that key, names the same origin, is not smaller, and is
/// proved consistent (RFC 9162 §2.1.4) with the remembered one. This catches a rollback (a smaller
/// tree), a rewritten or forked history (an inconsistent proof, or another root at the same size), a
/// different key and a different origin or tenant.
public enum LogMonitor {
    /// What a verifier remembers about one log: the key in effect, the key history it followed, and
    /// the last checkpoint it accepted.
    public struct State: Hashable, Sendable {
        /// The key in effect for `checkpoint` (`name+hex8+base64`); its name is the log origin.
        public let verifierKey: String
        /// The key history followed, oldest first, ending with `verifierKey`.
        public let keys: [String]
        /// The last accepted signed checkpoint (note text).
        public let checkpoint: String
        /// Its size and root, as parsed from `checkpoint`.
        public let size: UInt64
        public let root: Hash256
        /// When it was accepted.
        public let acceptedAt: Timestamp

        public init(verifierKey: String, keys: [String]? = nil, checkpoint: String, size: UInt64, root: Hash256, acceptedAt: Timestamp) {
            self.verifierKey = verifierKey
            self.keys = keys ?? [verifierKey]
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
                "keys": .array(keys.map { .string($0) }),
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
            var keys = [key]
            if let listed = o["keys"] {
                guard case .array(let items) = listed, !items.isEmpty else {
                    throw LogMonitorError(.badState, "its keys member is not a non-empty list of verifier keys")
                }
                keys = []
                for item in items {
                    guard case .string(let k) = item else { throw LogMonitorError(.badState, "its keys member holds a non-string") }
                    do { _ = try NoteVerifiers.parse(k) } catch {
                        throw LogMonitorError(.badState, "its key history holds an invalid key: \(error.reason)")
                    }
                    keys.append(k)
                }
                guard keys.last == key else { throw LogMonitorError(.badState, "its key history does not end with its verifier_key") }
            }
            let verifier: any NoteVerifier
            do { verifier = try NoteVerifiers.parse(key) } catch {
                throw LogMonitorError(.badState, "its verifier key is not valid: \(error.reason)")
            }
            let signed: SignedCheckpoint
            do { signed = try SignedCheckpoint(verifying: note, with: verifier) } catch {
                throw LogMonitorError(.badState, "its checkpoint does not verify with its key: \(error.reason)")
            }
            self.init(verifierKey: key, keys: keys, checkpoint: note, size: signed.checkpoint.size, root: signed.checkpoint.root, acceptedAt: at)
        }
    }

    /// One key of the history a server lists (`GET /v1/keys`): untrusted, used only to find the
    /// rotation entries to check.
    public struct ListedKey: Hashable, Sendable {
        public let verifierKey: String
        /// The `seq` of the rotation entry that brought the key in (nil for the first key).
        public let rotationSeq: UInt64?
        public init(verifierKey: String, rotationSeq: UInt64?) {
            self.verifierKey = verifierKey
            self.rotationSeq = rotationSeq
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
        /// Rotation entries followed in this run.
        public let rotationsFollowed: [UInt64]
    }

    /// Checks `note` (just fetched) against the `pinned` key and, if given, the remembered `state`.
    /// `consistencyProof(old, new)` fetches the proof between two sizes; when the note is not signed
    /// by the key in effect, `keyHistory()` lists the server's key history and `rotationBundle(R)`
    /// fetches the bundle of `[R, R+1)` so that each rotation is checked (FORMAT §8).
    public static func check(
        note: String,
        pinned: any NoteVerifier,
        state: State?,
        now: Timestamp,
        consistencyProof: (UInt64, UInt64) async throws -> [Hash256],
        keyHistory: () async throws -> [ListedKey] = { [] },
        rotationBundle: (UInt64) async throws -> [UInt8] = { _ in [] }
    ) async throws -> Outcome {
        var current: any NoteVerifier = pinned
        var keys = [pinned.verifierKey]
        // The tree last known to be good: the saved one, then each verified handover.
        var known: (size: UInt64, root: Hash256)?
        if let state {
            do { current = try NoteVerifiers.parse(state.verifierKey) } catch {
                throw LogMonitorError(.badState, "its verifier key is not valid: \(error.reason)")
            }
            keys = state.keys
            known = (state.size, state.root)
        }
        let parsed: SignedCheckpoint
        do { parsed = try SignedCheckpoint(parsing: note) } catch {
            throw LogMonitorError(.badSignature, "the server's checkpoint is not a signed checkpoint: \(error.reason)")
        }
        // Another origin: another log or tenant (named before the signature, which then fails too).
        guard parsed.checkpoint.origin == pinned.name else {
            throw LogMonitorError(.originMismatch, "the checkpoint is for \(parsed.checkpoint.origin), not \(pinned.name): another log or tenant")
        }
        guard current.name == pinned.name else {
            throw LogMonitorError(.keyChanged, "the saved state is for \(current.name), but the pinned key is for \(pinned.name): a different log")
        }
        let newSize = parsed.checkpoint.size
        var followed: [UInt64] = []
        if (try? SignedCheckpoint(verifying: note, with: current)) == nil {
            // Not signed by the key in effect: follow the rotations the server lists, checking each.
            let listing = try await keyHistory()
            if let at = listing.firstIndex(where: { $0.verifierKey == current.verifierKey }) {
                for listed in listing[(at + 1)...] {
                    guard let r = listed.rotationSeq else {
                        throw LogMonitorError(.badSignature, "the server's key history lists \(listed.verifierKey) without its rotation entry")
                    }
                    guard r < newSize else { break }
                    if let known, r + 1 < known.size {
                        throw LogMonitorError(
                            .badSignature,
                            "the server says the key was rotated at seq \(r), but a checkpoint of size \(known.size) signed by the old key \(current.verifierKey) was accepted"
                        )
                    }
                    let report = BundleVerifier.verify(try await rotationBundle(r), pinnedKey: current)
                    guard report.ok, report.range == r..<(r + 1), let root = report.root,
                        report.keyHistory == [current.verifierKey, listed.verifierKey]
                    else {
                        let why =
                            report.failure.map { "\($0)" }
                            ?? "it is not exactly the rotation entry \(r) from \(current.verifierKey) to \(listed.verifierKey)"
                        throw LogMonitorError(.badSignature, "the key rotation at seq \(r) does not verify: \(why)")
                    }
                    if let known {
                        try await extend(from: known, to: (r + 1, root), consistencyProof: consistencyProof)
                    }
                    do { current = try NoteVerifiers.parse(listed.verifierKey) } catch {
                        throw LogMonitorError(.badSignature, "the rotation at seq \(r) names an invalid key: \(error.reason)")
                    }
                    keys.append(listed.verifierKey)
                    known = (r + 1, root)
                    followed.append(r)
                }
            }
        }
        guard keys.contains(pinned.verifierKey) else {
            throw LogMonitorError(
                .keyChanged,
                "the pinned key \(pinned.verifierKey) is not in the key history followed (\(keys.joined(separator: " -> "))): a different key or log"
            )
        }
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(verifying: note, with: current) } catch {
            throw LogMonitorError(.badSignature, "the checkpoint is not signed by \(current.verifierKey): \(error.reason)")
        }
        let new = signed.checkpoint
        let accepted = State(verifierKey: current.verifierKey, keys: keys, checkpoint: note, size: new.size, root: new.root, acceptedAt: now)
        guard let known else {
            return Outcome(accepted: accepted, previousSize: nil, provedConsistent: false, rotationsFollowed: followed)
        }
        if new.size == known.size && followed.isEmpty, let state {
            guard new.root == state.root else {
                throw LogMonitorError(.fork, "fork: at size \(new.size) the root is now \(new.root.hex), but \(state.root.hex) was seen")
            }
            return Outcome(accepted: state, previousSize: state.size, provedConsistent: false, rotationsFollowed: [])
        }
        try await extend(from: known, to: (new.size, new.root), consistencyProof: consistencyProof, acceptedAt: state?.acceptedAt)
        return Outcome(
            accepted: accepted,
            previousSize: state?.size,
            provedConsistent: known.size > 0 && new.size > known.size,
            rotationsFollowed: followed
        )
    }

    /// Checks that the tree `new` extends the tree `old`: not smaller, the same root at the same
    /// size, and a valid RFC 9162 consistency proof otherwise.
    static func extend(
        from old: (size: UInt64, root: Hash256),
        to new: (size: UInt64, root: Hash256),
        consistencyProof: (UInt64, UInt64) async throws -> [Hash256],
        acceptedAt: Timestamp? = nil
    ) async throws {
        if new.size < old.size {
            let when = acceptedAt.map { " (checkpoint accepted \($0.rfc3339))" } ?? ""
            throw LogMonitorError(.rollback, "rollback: the log now has \(new.size) entries, but \(old.size) were seen\(when)")
        }
        if new.size == old.size {
            guard new.root == old.root else {
                throw LogMonitorError(.fork, "fork: at size \(new.size) the root is now \(new.root.hex), but \(old.root.hex) was seen")
            }
            return
        }
        // Every tree extends the empty one: nothing to prove from size 0.
        guard old.size > 0 else { return }
        let proof = try await consistencyProof(old.size, new.size)
        let verdict = Merkle.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof)
        if case .failure(let e) = verdict {
            throw LogMonitorError(
                .fork,
                "history rewritten or forked: the tree of \(new.size) does not extend the tree of \(old.size) seen before (\(e.reason))"
            )
        }
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
