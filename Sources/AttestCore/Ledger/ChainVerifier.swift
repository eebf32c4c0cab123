/// Why verification failed, naming the first bad entry when there is one.
public struct VerificationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// A line or entry is not well-formed.
        public static let malformed = Code("malformed")
        /// The stored or claimed hash differs from the recomputed one.
        public static let hashMismatch = Code("hash_mismatch")
        /// `prev` is not the hash of the entry before.
        public static let chainBroken = Code("chain_broken")
        /// `seq` is not the next number (a deleted, inserted or moved entry).
        public static let sequenceGap = Code("sequence_gap")
        /// The entry names another log.
        public static let wrongLog = Code("wrong_log")
        /// The stored bytes are not the RFC 8785 form of the entry.
        public static let notCanonical = Code("not_canonical")
        /// A per-entry signature does not verify.
        public static let badEntrySignature = Code("bad_entry_signature")
        /// A checkpoint's root differs from the root of the entries.
        public static let rootMismatch = Code("root_mismatch")
        /// A checkpoint note is malformed, or its signature does not verify.
        public static let badCheckpoint = Code("bad_checkpoint")
        /// A stored Merkle node or frontier differs from the recomputed one.
        public static let treeMismatch = Code("tree_mismatch")
        /// The key in the data differs from the pinned key.
        public static let keyMismatch = Code("key_mismatch")
        /// Data ends early or has lines after the checkpoint.
        public static let truncated = Code("truncated")
    }

    public let code: Code
    /// The first bad entry, when the failure is about one.
    public let seq: UInt64?
    /// Why, in words.
    public let reason: String

    public init(_ code: Code, seq: UInt64? = nil, _ reason: String) {
        self.code = code
        self.seq = seq
        self.reason = reason
    }

    public var description: String {
        if let seq { return "entry \(seq): \(reason) [\(code)]" }
        return "\(reason) [\(code)]"
    }
}

/// Replays entries of one log in order and checks what the format promises: each hash, the `seq`
/// run, the `prev` chain, per-entry signatures, and the Merkle tree against signed checkpoints.
///
/// The same checker serves bundles, the embedded store and live verification, so they cannot drift.
public struct ChainVerifier: Sendable {
    /// The log's origin.
    public let origin: String
    /// The `seq` the next entry must have.
    public var nextSeq: UInt64 { tree.size }
    /// The hash of the last entry seen, when known.
    public private(set) var lastHash: Hash256?
    /// The tree of all entries so far.
    public private(set) var tree: CompactRange
    /// Verifies per-entry signatures when present.
    public let entryKey: (any NoteVerifier)?
    /// Number of per-entry signatures checked.
    public private(set) var signaturesChecked: UInt64 = 0

    /// Starts after `tree` (the compact range of the entries before), with `lastHash` the hash of
    /// entry `tree.size - 1` when known (nil in a partial bundle whose prefix does not reveal it).
    public init(origin: String, tree: CompactRange = CompactRange(), lastHash: Hash256? = nil, entryKey: (any NoteVerifier)?) {
        self.origin = origin
        self.tree = tree
        self.entryKey = entryKey
        if tree.size == 0 {
            self.lastHash = .zero
        } else if let lastHash {
            self.lastHash = lastHash
        } else if tree.size % 2 == 1, let last = tree.nodes.last {
            // With an odd size, the last perfect subtree of the prefix is the last leaf itself.
            self.lastHash = last
        } else {
            self.lastHash = nil
        }
    }

    /// Checks the next entry. `bytes` are the bytes that were hashed; `claimedHash` what the data says
    /// the hash is; `signature` a per-entry signature if present. Returns the entry hash.
    @discardableResult
    public mutating func append(
        entry: LedgerEntry,
        bytes: [UInt8],
        claimedHash: Hash256?,
        signature: [UInt8]?,
        completed: (Merkle.NodeID, Hash256) -> Void = { _, _ in }
    ) throws(VerificationFailure) -> Hash256 {
        let expected = nextSeq
        guard entry.seq == expected else {
            let what = entry.seq > expected ? "entries \(expected)..<\(entry.seq) are missing" : "entry is out of order or repeated"
            throw VerificationFailure(.sequenceGap, seq: expected, "expected seq \(expected), found \(entry.seq): \(what)")
        }
        guard entry.origin == origin else {
            throw VerificationFailure(.wrongLog, seq: expected, "entry belongs to log \"\(entry.origin)\", not \"\(origin)\"")
        }
        let hash = LedgerEntry.hash(canonicalBytes: bytes)
        if let claimedHash, claimedHash != hash {
            throw VerificationFailure(.hashMismatch, seq: expected, "recorded hash \(claimedHash.hex) but the entry hashes to \(hash.hex)")
        }
        if let lastHash, entry.prev != lastHash {
            throw VerificationFailure(
                .chainBroken,
                seq: expected,
                "prev is \(entry.prev.hex) but entry \(expected == 0 ? "-" : String(expected - 1)) hashes to \(lastHash.hex)"
            )
        }
        if let signature {
            guard let entryKey else {
                throw VerificationFailure(.badEntrySignature, seq: expected, "entry carries a signature but no key was given to check it")
            }
            guard entryKey.verify(LedgerEntry.signatureMessage(for: hash), signature: signature) else {
                throw VerificationFailure(.badEntrySignature, seq: expected, "per-entry signature does not verify")
            }
            signaturesChecked += 1
        }
        tree.append(hash, completed: completed)
        lastHash = hash
        return hash
    }

    /// Appends an entry hash and reports Merkle nodes that became complete (for stores that keep them).
    public mutating func appendVerified(_ hash: Hash256, completed: (Merkle.NodeID, Hash256) -> Void) {
        tree.append(hash, completed: completed)
        lastHash = hash
    }

    /// Checks that `checkpoint` is signed by `key`, names this log, and commits to the entries so far.
    public func check(checkpoint noteText: String, key: any NoteVerifier) throws(VerificationFailure) -> SignedCheckpoint {
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(verifying: noteText, with: key)
        } catch {
            throw VerificationFailure(.badCheckpoint, "checkpoint: \(error.reason)")
        }
        try check(signed.checkpoint)
        return signed
    }

    /// Checks that an already verified checkpoint body names this log and commits to the entries so far.
    public func check(_ checkpoint: Checkpoint) throws(VerificationFailure) {
        guard checkpoint.origin == origin else {
            throw VerificationFailure(.badCheckpoint, "checkpoint origin \"\(checkpoint.origin)\" is not \"\(origin)\"")
        }
        guard checkpoint.size == tree.size else {
            throw VerificationFailure(
                .truncated,
                seq: min(checkpoint.size, tree.size),
                "checkpoint covers \(checkpoint.size) entries but \(tree.size) were read"
            )
        }
        let root = tree.root
        guard checkpoint.root == root else {
            throw VerificationFailure(
                .rootMismatch,
                seq: checkpoint.size == 0 ? nil : checkpoint.size - 1,
                "checkpoint at size \(checkpoint.size) has root \(checkpoint.root.hex) but the entries give \(root.hex)"
            )
        }
    }
}
