import AttestCore

/// A tenant's log as the store knows it.
public struct LogInfo: Hashable, Sendable {
    /// The tenant name (e.g. `default`).
    public let tenant: String
    /// The log origin, `PREFIX/TENANT`, which is also the checkpoint key name.
    public let origin: String
    public init(tenant: String, origin: String) {
        self.tenant = tenant
        self.origin = origin
    }
}

/// What the ledger answers for one appended event.
public struct Receipt: Hashable, Sendable {
    /// The event ID (the client's idempotency key or the server's UUIDv7).
    public let id: String
    /// Its position in the log.
    public let seq: UInt64
    /// Its entry hash.
    public let hash: Hash256
    /// True when the ID was already in the log: nothing was added, this is the first receipt.
    public let duplicate: Bool
    public init(id: String, seq: UInt64, hash: Hash256, duplicate: Bool) {
        self.id = id
        self.seq = seq
        self.hash = hash
        self.duplicate = duplicate
    }
}

/// A signed checkpoint as stored.
public struct StoredCheckpoint: Hashable, Sendable {
    /// Tree size.
    public let size: UInt64
    /// Root hash at that size.
    public let root: Hash256
    /// The signed note text.
    public let note: String
    /// When it was written.
    public let createdAt: Timestamp
    public init(size: UInt64, root: Hash256, note: String, createdAt: Timestamp) {
        self.size = size
        self.root = root
        self.note = note
        self.createdAt = createdAt
    }
}

/// The outcome of an append: one receipt per event, in order, and the checkpoint that covers them.
public struct AppendResult: Hashable, Sendable {
    public let receipts: [Receipt]
    /// The checkpoint signed in the same transaction (or the latest, if every event was a duplicate).
    public let checkpoint: StoredCheckpoint
    public init(receipts: [Receipt], checkpoint: StoredCheckpoint) {
        self.receipts = receipts
        self.checkpoint = checkpoint
    }
}

/// One stored entry.
public struct StoredEntry: Hashable, Sendable {
    public let seq: UInt64
    /// The hash recorded next to the entry.
    public let hash: Hash256
    /// The canonical entry bytes (what is hashed).
    public let bytes: [UInt8]
    /// The per-entry signature, when signing per entry is on.
    public let signature: [UInt8]?
    public init(seq: UInt64, hash: Hash256, bytes: [UInt8], signature: [UInt8]?) {
        self.seq = seq
        self.hash = hash
        self.bytes = bytes
        self.signature = signature
    }
}

/// An error from a store, with a stable code. Messages never carry secrets.
public struct StoreError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public static let notFound = Code("not_found")
        public static let invalidArgument = Code("invalid_argument")
        public static let corrupt = Code("corrupt")
        public static let conflict = Code("conflict")
        public static let unavailable = Code("unavailable")
    }
    public let code: Code
    public let reason: String
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// The append-only ledger of every tenant: the SQLite store now, PostgreSQL next.
///
/// Implementations assign `seq`s, chain, extend the Merkle tree and sign a checkpoint in the same
/// transaction as the entries, so nothing is acknowledged before it is durable and signed.
public protocol LedgerStore: Sendable {
    /// Every log, ordered by tenant.
    func logs() async throws -> [LogInfo]
    /// The log of `tenant`, created (with an empty signed checkpoint) when `create` is true. A store
    /// may answer from memory for a log it has seen (logs are never deleted, origins never change).
    func log(tenant: String, create: Bool) async throws -> LogInfo?
    /// The log of `tenant` as the database records it now, never from memory: what verification
    /// reads, so a `logs` table changed under a running process is seen.
    func storedLog(tenant: String) async throws -> LogInfo?
    /// Appends events atomically; repeated IDs return their first receipt and add nothing.
    func append(tenant: String, events: [AuditEvent], receivedAt: Timestamp) async throws -> AppendResult
    /// The newest checkpoint of `tenant`'s log.
    func latestCheckpoint(tenant: String) async throws -> StoredCheckpoint?
    /// Checkpoints with sizes in `range`, ascending.
    func checkpoints(tenant: String, sizes range: ClosedRange<UInt64>, limit: Int) async throws -> [StoredCheckpoint]
    /// Entries with `seq` from `start`, at most `limit`, in order.
    func entries(tenant: String, from start: UInt64, limit: Int) async throws -> [StoredEntry]
    /// Stored hashes of perfect subtrees (every level for which the store keeps nodes).
    func nodes(tenant: String, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256]
    /// Hashes of level-4 and level-8 subtrees as the store's proof tiles give them (the root of the
    /// tile's 16 hashes), for those whose tile is stored, so the verifier can check the tiles too. A
    /// store without tiles returns none (the default).
    func tiledNodes(tenant: String, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256]
    /// The RFC 9162 inclusion proof of entry `seq` in the tree of size `size`.
    func inclusionProof(tenant: String, seq: UInt64, size: UInt64) async throws -> [Hash256]
    /// The RFC 9162 consistency proof between tree sizes `from` and `to`.
    func consistencyProof(tenant: String, from: UInt64, to: UInt64) async throws -> [Hash256]
    /// The compact range of [0, size): the bundle prefix.
    func compactRange(tenant: String, size: UInt64) async throws -> CompactRange
    /// A checkpoint for exactly `size` entries: the stored one if there is one, else one signed now.
    func checkpoint(tenant: String, size: UInt64) async throws -> StoredCheckpoint
    /// The verifier key of the log: the key in effect now.
    func verifierKey(tenant: String) async throws -> String
    /// The log's key history, oldest first (FORMAT §5, Key rotation). Empty for a log made before
    /// key histories were recorded and never rotated: its key is then the configured one.
    func keyHistory(tenant: String) async throws -> [LogKey]
    /// Rotates the log's key to `newSigner`: appends the rotation entry (signed by the key in
    /// effect, the store's configured signer, and by the new key), a handover checkpoint signed by
    /// both, and records the new key as in effect from the new size, all in one transaction.
    func rotateKey(tenant: String, to newSigner: any NoteSigner, receivedAt: Timestamp) async throws -> KeyRotationResult
}

/// One key of a log's key history.
public struct LogKey: Hashable, Sendable {
    /// The first tree size whose checkpoint this key signs.
    public let fromSize: UInt64
    public let verifierKey: String
    /// The `seq` of the rotation entry that brought this key in (nil for the first key).
    public let rotationSeq: UInt64?

    public init(fromSize: UInt64, verifierKey: String, rotationSeq: UInt64?) {
        self.fromSize = fromSize
        self.verifierKey = verifierKey
        self.rotationSeq = rotationSeq
    }

    /// The key in effect for tree size `size` in `history` (nil when the history is empty).
    public static func inEffect(at size: UInt64, in history: [LogKey]) -> LogKey? {
        history.last { $0.fromSize <= size }
    }

    /// Refuses to extend a log with a signer that is not the key in effect (`inEffect`, nil when
    /// the log has no recorded history), and a rotation to the key already in effect.
    public static func check(inEffect current: String?, signer: any NoteSigner, origin: String, handover: (any NoteSigner)?) throws {
        if let handover, current == handover.verifierKey {
            throw StoreError(.conflict, "log \(origin) is already signed by \(handover.verifierKey)")
        }
        if let current, current != signer.verifierKey {
            throw StoreError(
                .conflict,
                "log \(origin) is signed by \(current) since its last key rotation, but this process signs with \(signer.verifierKey): restart it with the key in effect"
            )
        }
    }

    /// Refuses a checkpoint signed now for an old `size` that a rotated-out key was in effect for.
    public static func checkOnDemand(size: UInt64, history: [LogKey], signer: any NoteSigner) throws {
        guard let k = inEffect(at: size, in: history), k.verifierKey != signer.verifierKey else { return }
        let next = history.first { $0.fromSize > size }
        throw StoreError(
            .invalidArgument,
            "no stored checkpoint at size \(size), and the key in effect there was rotated out\(next.map { " at size \($0.fromSize)" } ?? ""): choose a size with a stored checkpoint"
        )
    }
}

extension LedgerStore {
    public func storedLog(tenant: String) async throws -> LogInfo? { try await log(tenant: tenant, create: false) }

    public func tiledNodes(tenant: String, ids: [Merkle.NodeID]) async throws -> [Merkle.NodeID: Hash256] { [:] }

    /// Logs whose key in effect is not the key `signers` sign with, one sentence each: a process
    /// configured with a rotated-out (or unrelated) key must not start appending.
    public func keyMismatches(signers: any LogSigners) async throws -> [String] {
        var problems: [String] = []
        for log in try await logs() {
            guard let last = try await keyHistory(tenant: log.tenant).last else { continue }
            let configured = try signers.verifierKey(forOrigin: log.origin)
            guard configured != last.verifierKey else { continue }
            let since = last.rotationSeq.map { " since its key rotation at seq \($0)" } ?? ""
            problems.append(
                "the log of tenant \(log.tenant) is signed by \(last.verifierKey)\(since), but the configured signing key is \(configured)"
            )
        }
        return problems
    }

    /// The verifier key in effect for tree size `size` (a bundle starting at `size` names it).
    public func verifierKey(tenant: String, atSize size: UInt64) async throws -> String {
        if let k = LogKey.inEffect(at: size, in: try await keyHistory(tenant: tenant)) { return k.verifierKey }
        return try await verifierKey(tenant: tenant)
    }
}

/// What ``LedgerStore/rotateKey(tenant:to:receivedAt:)`` did.
public struct KeyRotationResult: Hashable, Sendable {
    /// The rotation entry's content.
    public let rotation: KeyRotation
    /// The handover checkpoint (size `rotation.seq + 1`), signed by both keys.
    public let checkpoint: StoredCheckpoint
    public init(rotation: KeyRotation, checkpoint: StoredCheckpoint) {
        self.rotation = rotation
        self.checkpoint = checkpoint
    }
}

/// Everything the service needs from storage: the ledger, tokens, follower cursors, queries and
/// usage analytics.
/// `SQLiteLedgerStore` (embedded) and `PostgresLedgerStore` (AttestPostgres) both provide it.
public typealias AttestStorage = LedgerStore & AdminStore & FollowerCursorStore & EventReader & CosignatureStore & AnalyticsStore
