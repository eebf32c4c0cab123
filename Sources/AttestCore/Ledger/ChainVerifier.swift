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
        /// A `ledger.key_rotation` entry is malformed, does not follow the key in effect, or a
        /// signature in it does not verify.
        public static let badKeyRotation = Code("bad_key_rotation")
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
    /// The key in effect (FORMAT §5, Key rotation): it checks per-entry signatures and the
    /// checkpoint at the current size, and changes at each verified rotation entry.
    public private(set) var key: any NoteVerifier
    /// The key history followed so far, oldest first: the starting key, then each rotation's new key.
    public private(set) var keyHistory: [String]
    /// The rotation entries verified so far.
    public private(set) var rotations: [KeyRotation] = []
    /// Every key followed, so a bad signature line by an earlier key also fails (C2SP signed-note:
    /// a known key's signature that does not verify rejects the note).
    private var knownKeys: [any NoteVerifier]
    /// Number of per-entry signatures checked.
    public private(set) var signaturesChecked: UInt64 = 0

    /// Starts after `tree` (the compact range of the entries before), with `lastHash` the hash of
    /// entry `tree.size - 1` when known (nil in a partial bundle whose prefix does not reveal it),
    /// and `key` the key in effect at `tree.size`.
    public init(origin: String, tree: CompactRange = CompactRange(), lastHash: Hash256? = nil, key: any NoteVerifier) {
        self.origin = origin
        self.tree = tree
        self.key = key
        self.keyHistory = [key.verifierKey]
        self.knownKeys = [key]
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
        try append(
            seq: entry.seq,
            origin: entry.origin,
            prev: entry.prev,
            rotation: KeyRotation.isRotation(entry.event) ? Optional(entry.event) : Optional<JSONValue>.none,
            hash: LedgerEntry.hash(canonicalBytes: bytes),
            claimedHash: claimedHash,
            signature: signature,
            completed: completed
        )
    }

    /// ``append(entry:bytes:claimedHash:signature:completed:)`` for an entry read without a ``JSONValue``
    /// (``CanonicalScanner``): its chain fields, its event only if it is a key rotation, and its hash
    /// already computed from its bytes (the verifiers hash lines in parallel).
    @discardableResult
    public mutating func append(
        seq entrySeq: UInt64,
        origin entryOrigin: String,
        prev: Hash256,
        rotation rotationEvent: JSONValue?,
        hash: Hash256,
        claimedHash: Hash256?,
        signature: [UInt8]?,
        completed: (Merkle.NodeID, Hash256) -> Void = { _, _ in }
    ) throws(VerificationFailure) -> Hash256 {
        let expected = nextSeq
        try checkSeq(entrySeq)
        guard entryOrigin == origin else {
            throw VerificationFailure(.wrongLog, seq: expected, "entry belongs to log \"\(entryOrigin)\", not \"\(origin)\"")
        }
        guard let rotationEvent else {
            try appendOrdinary(seq: entrySeq, prev: prev, hash: hash, claimedHash: claimedHash, signature: signature, completed: completed)
            return hash
        }
        try checkLinks(prev: prev, hash: hash, claimedHash: claimedHash, signature: signature)
        let rotation = try KeyRotation(event: rotationEvent, origin: origin, seq: expected)
        let next = try rotation.verify(current: key)
        tree.append(hash, completed: completed)
        lastHash = hash
        key = next
        keyHistory.append(next.verifierKey)
        knownKeys.append(next)
        rotations.append(rotation)
        return hash
    }

    private func checkSeq(_ entrySeq: UInt64) throws(VerificationFailure) {
        let expected = nextSeq
        guard entrySeq == expected else {
            let what = entrySeq > expected ? "entries \(expected)..<\(entrySeq) are missing" : "entry is out of order or repeated"
            throw VerificationFailure(.sequenceGap, seq: expected, "expected seq \(expected), found \(entrySeq): \(what)")
        }
    }

    /// The recorded hash, the `prev` link and a per-entry signature of the entry at `nextSeq`.
    private mutating func checkLinks(prev: Hash256, hash: Hash256, claimedHash: Hash256?, signature: [UInt8]?) throws(VerificationFailure) {
        let expected = nextSeq
        if let claimedHash, claimedHash != hash {
            throw VerificationFailure(.hashMismatch, seq: expected, "recorded hash \(claimedHash.hex) but the entry hashes to \(hash.hex)")
        }
        if let lastHash, prev != lastHash {
            throw VerificationFailure(
                .chainBroken,
                seq: expected,
                "prev is \(prev.hex) but entry \(expected == 0 ? "-" : String(expected - 1)) hashes to \(lastHash.hex)"
            )
        }
        if let signature {
            guard key.verify(LedgerEntry.signatureMessage(for: hash), signature: signature) else {
                throw VerificationFailure(.badEntrySignature, seq: expected, "per-entry signature does not verify with \(key.verifierKey)")
            }
            signaturesChecked += 1
        }
    }

    /// The append of an entry that is not a key rotation and whose origin the caller already found
    /// to be this log's (the verifiers' fast path: nothing here retains or copies).
    mutating func appendOrdinary(
        seq entrySeq: UInt64,
        prev: Hash256,
        hash: Hash256,
        claimedHash: Hash256?,
        signature: [UInt8]?,
        completed: (Merkle.NodeID, Hash256) -> Void = { _, _ in }
    ) throws(VerificationFailure) {
        try checkSeq(entrySeq)
        try checkLinks(prev: prev, hash: hash, claimedHash: claimedHash, signature: signature)
        tree.append(hash, completed: completed)
        lastHash = hash
    }

    /// Whether `pinned` is in the key history followed (FORMAT §7 step 6).
    public func followed(_ pinned: any NoteVerifier) -> Bool { keyHistory.contains(pinned.verifierKey) }

    /// Checks that `checkpoint` is signed by the key in effect, names this log, and commits to the
    /// entries so far.
    public func check(checkpoint noteText: String) throws(VerificationFailure) -> SignedCheckpoint {
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(verifying: noteText, with: key)
            if knownKeys.count > 1 { try signed.note.verify(with: knownKeys) }
        } catch {
            throw VerificationFailure(.badCheckpoint, "checkpoint at size \(tree.size): \(error.reason)")
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
