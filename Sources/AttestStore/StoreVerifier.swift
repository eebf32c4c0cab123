import AttestCore
import Dispatch
import Foundation

/// Verifies a log held in a ``LedgerStore`` from its raw rows: every entry's bytes and hash, the
/// `seq` run and `prev` chain, per-entry signatures, every stored Merkle node, and every checkpoint's
/// signature and root at its size. It trusts nothing the store computed.
///
/// Incremental: ``advance(store:upTo:progress:)`` continues where the last call stopped, so the
/// server's continuous verification checks only what was appended since.
public struct LogVerifier: Sendable {
    /// Entries read per round trip.
    public static let chunk = 4096

    public let tenant: String
    public let origin: String
    /// The key the caller trusts; it must turn up in the key history (see ``checkPinnedKey()``).
    let pinned: any NoteVerifier
    var chain: ChainVerifier
    var pendingCheckpoints: [StoredCheckpoint] = []
    var checkpointCursor: UInt64 = 0
    var checkpointsExhausted = false
    public private(set) var checkpointsChecked = 0
    /// The cores that read and hash each chunk of entries: 1 (the default) for the server's
    /// continuous verification, which must not take the cores from ingest; `attest verify
    /// --data-dir` uses them all.
    public var workers = 1

    /// Entries verified so far (`[0, verifiedSize)`).
    public var verifiedSize: UInt64 { chain.tree.size }
    /// The root of the verified prefix.
    public var root: Hash256 { chain.tree.root }
    public var signaturesChecked: UInt64 { chain.signaturesChecked }
    /// The key history followed so far, oldest first.
    public var keyHistory: [String] { chain.keyHistory }

    /// Starts a verification of `tenant`'s log against `key` (whose name must be the log origin).
    /// The log is read from the first key the store records for it (or `key` when it records
    /// none); `key` must be somewhere in the key history followed (FORMAT §9).
    public init(store: any LedgerStore, tenant: String, key: any NoteVerifier) async throws {
        guard let info = try await store.storedLog(tenant: tenant) else {
            throw VerificationFailure(.malformed, "no log for tenant \"\(tenant)\"")
        }
        guard key.name == info.origin else {
            throw VerificationFailure(.keyMismatch, "key name \(key.name) is not the log origin \(info.origin)")
        }
        self.tenant = tenant
        self.origin = info.origin
        self.pinned = key
        var first = key
        let history = try await store.keyHistory(tenant: tenant)
        if !history.isEmpty && !history.contains(where: { $0.verifierKey == key.verifierKey }) {
            // Not even claimed: it cannot turn up in the history (whatever else is wrong).
            throw VerificationFailure(
                .keyMismatch,
                "the store records the keys \(history.map(\.verifierKey).joined(separator: " -> ")) for this log, not the pinned key \(key.verifierKey)"
            )
        }
        if let recorded = history.first, recorded.verifierKey != key.verifierKey {
            do { first = try NoteVerifiers.parse(recorded.verifierKey) } catch {
                throw VerificationFailure(.keyMismatch, "the store's first key for the log is not a valid verifier key: \(error.reason)")
            }
            guard first.name == info.origin else {
                throw VerificationFailure(.keyMismatch, "the store's first key for the log is named \(first.name), not \(info.origin)")
            }
        }
        self.chain = ChainVerifier(origin: info.origin, key: first)
    }

    /// Fails unless the pinned key is in the key history followed so far.
    public func checkPinnedKey() throws(VerificationFailure) {
        guard !chain.followed(pinned) else { return }
        throw VerificationFailure(
            .keyMismatch,
            "the log is signed by \(chain.keyHistory.joined(separator: " -> ")), which does not include the pinned key \(pinned.verifierKey)"
        )
    }

    mutating func refill(_ store: any LedgerStore) async throws {
        guard pendingCheckpoints.isEmpty else { return }
        pendingCheckpoints = try await store.checkpoints(tenant: tenant, sizes: checkpointCursor...UInt64.max, limit: 1024)
        checkpointsExhausted = pendingCheckpoints.isEmpty
    }

    /// Checks every stored checkpoint whose size is the current tree size.
    mutating func checkCheckpoints(_ store: any LedgerStore) async throws {
        try await refill(store)
        while let next = pendingCheckpoints.first, next.size == chain.tree.size {
            pendingCheckpoints.removeFirst()
            checkpointCursor = next.size + 1
            let signed = try chain.check(checkpoint: next.note)
            guard signed.checkpoint.root == next.root else {
                throw VerificationFailure(
                    .badCheckpoint,
                    seq: next.size == 0 ? nil : next.size - 1,
                    "stored checkpoint root (size \(next.size)) disagrees with its signed note"
                )
            }
            checkpointsChecked += 1
            try await refill(store)
        }
    }

    /// Verifies the entries from ``verifiedSize`` up to `limit` (all that are stored when nil),
    /// with every Merkle node and checkpoint on the way. Throws ``VerificationFailure`` naming the
    /// first bad `seq`, or the store's error when it cannot be read.
    public mutating func advance(store: any LedgerStore, upTo limit: UInt64? = nil, progress: (UInt64) -> Void = { _ in }) async throws {
        try await checkCheckpoints(store)
        let tenant = self.tenant
        func read(from start: UInt64) -> (want: Int, rows: Task<[StoredEntry], any Error>) {
            let want = limit.map { Int(min(UInt64(Self.chunk), $0 - start)) } ?? Self.chunk
            return (want, Task { try await store.entries(tenant: tenant, from: start, limit: want) })
        }
        // With several workers the next chunk is read while this one is checked (rows arrive in
        // order: a gap fails below); with one (the server's background verification) one chunk at a
        // time, so it holds no more memory than it did.
        var next: (want: Int, rows: Task<[StoredEntry], any Error>)? = (limit.map { chain.nextSeq < $0 } ?? true) ? read(from: chain.nextSeq) : nil
        defer { next?.rows.cancel() }
        while let current = next {
            let want = current.want
            let rows = try await current.rows.value
            let end = chain.nextSeq + UInt64(rows.count)
            // Up to `limit` (a short read there is a gap, found by the next read), or while chunks are full.
            let more = limit.map { end < $0 } ?? (rows.count == want)
            next = more && workers > 1 ? read(from: end) : nil
            if rows.isEmpty {
                if let limit {
                    throw VerificationFailure(
                        .sequenceGap,
                        seq: chain.nextSeq,
                        "a checkpoint covers \(limit) entries but only \(chain.nextSeq) are stored"
                    )
                }
                break
            }
            var completed: [(Merkle.NodeID, Hash256)] = []
            let prepared = Self.prepare(rows, workers: workers)
            for (row, fields) in zip(rows, prepared) {
                let expected = chain.nextSeq
                guard row.seq == expected else {
                    throw VerificationFailure(
                        .sequenceGap,
                        seq: expected,
                        "row seq \(row.seq) follows \(expected == 0 ? "the start" : "entry \(expected - 1)"): entries \(expected)..<\(row.seq) are missing"
                    )
                }
                // Most entries are read without a JSONValue (CanonicalScanner); anything unusual takes the full parse.
                if let fields {
                    try chain.append(
                        seq: fields.seq,
                        origin: fields.origin,
                        prev: fields.prev,
                        rotation: Optional<JSONValue>.none,
                        hash: fields.hash,
                        claimedHash: row.hash,
                        signature: row.signature
                    ) { id, h in
                        if id.level >= SQLiteLedgerStore.minStoredLevel { completed.append((id, h)) }
                    }
                    if pendingCheckpoints.first.map({ $0.size <= chain.tree.size }) ?? true {
                        try await checkCheckpoints(store)
                    }
                    continue
                }
                let value: JSONValue
                do { value = try JSONParser.parse(row.bytes, limits: .ledger) } catch {
                    throw VerificationFailure(.malformed, seq: expected, "stored entry is not valid JSON: \(error)")
                }
                let entry: LedgerEntry
                do { entry = try LedgerEntry(parsing: value) } catch {
                    throw VerificationFailure(.malformed, seq: expected, error.reason)
                }
                guard value.canonicalBytes == row.bytes else {
                    throw VerificationFailure(.notCanonical, seq: expected, "stored entry bytes are not the RFC 8785 form of the entry")
                }
                try chain.append(entry: entry, bytes: row.bytes, claimedHash: row.hash, signature: row.signature) { id, h in
                    if id.level >= SQLiteLedgerStore.minStoredLevel { completed.append((id, h)) }
                }
                try await checkCheckpoints(store)
            }
            if !completed.isEmpty {
                let stored = try await store.nodes(tenant: tenant, ids: completed.map(\.0))
                for (id, h) in completed where stored[id] != h {
                    let first = id.index << UInt64(id.level)
                    let what = stored[id] == nil ? "is missing" : "differs from the hash of its entries"
                    throw VerificationFailure(
                        .treeMismatch,
                        seq: first,
                        "stored Merkle node level \(id.level) index \(id.index) (entries \(first)..<\(first + (1 << UInt64(id.level)))) \(what)"
                    )
                }
                // Proof tiles (SQLite) serve the low levels of every proof: a changed one would hand out bad proofs.
                let tiled = try await store.tiledNodes(tenant: tenant, ids: completed.map(\.0).filter { $0.level == 4 || $0.level == 8 })
                for (id, h) in completed.sorted(by: { $0.0.index << UInt64($0.0.level) < $1.0.index << UInt64($1.0.level) })
                where tiled[id].map({ $0 != h }) ?? false {
                    let first = id.index << UInt64(id.level)
                    throw VerificationFailure(
                        .treeMismatch,
                        seq: first,
                        "proof tile level \(id.level - 4) index \(id.index) (entries \(first)..<\(first + (1 << UInt64(id.level)))) differs from the hashes of its entries"
                    )
                }
            }
            progress(chain.nextSeq)
            if more && workers <= 1 { next = read(from: end) }
        }
    }

    /// The chain fields and hash of each row read without a ``JSONValue`` (nil: the full parse decides),
    /// spread over `workers` cores: the scan and SHA-256 are most of the work.
    static func prepare(_ rows: [StoredEntry], workers: Int) -> [(seq: UInt64, origin: String, prev: Hash256, hash: Hash256)?] {
        var out = [(seq: UInt64, origin: String, prev: Hash256, hash: Hash256)?](repeating: nil, count: rows.count)
        // Several parts per worker, taken as cores come free.
        let parts = workers <= 1 ? 1 : max(1, min(4 * workers, rows.count / 64))
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for k in (part * rows.count / parts)..<((part + 1) * rows.count / parts) {
                    guard let f = LedgerEntry.chainFields(canonical: rows[k].bytes) else { continue }
                    buffer[k] = (f.seq, f.origin, f.prev, LedgerEntry.hash(canonicalBytes: rows[k].bytes))
                }
            }
        }
        return out
    }

    /// Whether a stored checkpoint lies beyond the verified entries (read after ``advance``).
    mutating func checkpointBeyond(_ store: any LedgerStore) async throws -> StoredCheckpoint? {
        try await refill(store)
        return pendingCheckpoints.first
    }
}

/// One whole verification of a stored log, as `attest verify --data-dir` runs it.
public enum StoreVerifier {
    /// Entries read per round trip.
    public static let chunk = LogVerifier.chunk

    /// Verifies `tenant`'s log against `key` and reports the first bad `seq`, or what was verified.
    /// `progress` is called with (entries checked, entries to check) after each chunk.
    public static func verify(
        store: any LedgerStore,
        tenant: String,
        key: any NoteVerifier,
        progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) async -> VerificationReport {
        var report = VerificationReport()
        do {
            if let info = try await store.storedLog(tenant: tenant) { report.origin = info.origin }
            var verifier = try await LogVerifier(store: store, tenant: tenant, key: key)
            verifier.workers = ProcessInfo.processInfo.activeProcessorCount
            guard let latest = try await store.latestCheckpoint(tenant: tenant) else {
                report.failure = VerificationFailure(.badCheckpoint, "the log has no checkpoint")
                return report
            }
            try await verifier.advance(store: store) { done in progress(done, max(latest.size, done)) }
            let size = verifier.verifiedSize
            if size > latest.size {
                throw VerificationFailure(.truncated, seq: latest.size, "entries \(latest.size)..<\(size) are not covered by any signed checkpoint")
            }
            if size < latest.size {
                throw VerificationFailure(.sequenceGap, seq: size, "the latest checkpoint covers \(latest.size) entries but only \(size) are stored")
            }
            if let extra = try await verifier.checkpointBeyond(store) {
                throw VerificationFailure(.sequenceGap, seq: size, "a checkpoint covers \(extra.size) entries but only \(size) are stored")
            }
            try verifier.checkPinnedKey()
            report.keyHistory = verifier.keyHistory
            report.range = 0..<size
            report.root = verifier.root
            report.signaturesChecked = verifier.signaturesChecked
            report.checkpointsChecked = verifier.checkpointsChecked
        } catch let failure as VerificationFailure {
            report.failure = failure
        } catch {
            report.failure = VerificationFailure(.malformed, "cannot read the store: \(error)")
        }
        return report
    }
}
