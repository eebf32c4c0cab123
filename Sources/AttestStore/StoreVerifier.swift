import AttestCore

/// Verifies a log held in a ``LedgerStore`` from its raw rows: every entry's bytes and hash, the
/// `seq` run and `prev` chain, per-entry signatures, every stored Merkle node, and every checkpoint's
/// signature and root. It trusts nothing the store computed.
public enum StoreVerifier {
    /// Entries read per round trip.
    public static let chunk = 4096

    /// Verifies `tenant`'s log against `key` and reports the first bad `seq`, or what was verified.
    /// `progress` is called with (entries checked, entries to check) after each chunk.
    public static func verify(
        store: any LedgerStore,
        tenant: String,
        key: Ed25519NoteVerifier,
        progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) async -> VerificationReport {
        var report = VerificationReport()
        do {
            guard let info = try await store.log(tenant: tenant, create: false) else {
                report.failure = VerificationFailure(.malformed, "no log for tenant \"\(tenant)\"")
                return report
            }
            report.origin = info.origin
            guard key.name == info.origin else {
                report.failure = VerificationFailure(.keyMismatch, "key name \(key.name) is not the log origin \(info.origin)")
                return report
            }
            guard let latest = try await store.latestCheckpoint(tenant: tenant) else {
                report.failure = VerificationFailure(.badCheckpoint, "the log has no checkpoint")
                return report
            }
            var chain = ChainVerifier(origin: info.origin, entryKey: key)
            var pendingCheckpoints: [StoredCheckpoint] = []
            var checkpointCursor: UInt64 = 0
            var checkpointsDone = false

            func refill() async throws {
                guard pendingCheckpoints.isEmpty, !checkpointsDone else { return }
                pendingCheckpoints = try await store.checkpoints(tenant: tenant, sizes: checkpointCursor...UInt64.max, limit: 1024)
                checkpointsDone = pendingCheckpoints.isEmpty
            }

            /// Checks every stored checkpoint whose size is the current tree size.
            func checkCheckpoints() async throws {
                try await refill()
                while let next = pendingCheckpoints.first, next.size == chain.tree.size {
                    pendingCheckpoints.removeFirst()
                    checkpointCursor = next.size + 1
                    let signed = try chain.check(checkpoint: next.note, key: key)
                    guard signed.checkpoint.root == next.root else {
                        throw VerificationFailure(
                            .badCheckpoint,
                            seq: next.size == 0 ? nil : next.size - 1,
                            "stored checkpoint root (size \(next.size)) disagrees with its signed note"
                        )
                    }
                    report.checkpointsChecked += 1
                    try await refill()
                }
            }

            try await checkCheckpoints()
            var nextSeq: UInt64 = 0
            while true {
                let rows = try await store.entries(tenant: tenant, from: nextSeq, limit: chunk)
                if rows.isEmpty { break }
                var completed: [(Merkle.NodeID, Hash256)] = []
                for row in rows {
                    let expected = chain.nextSeq
                    guard row.seq == expected else {
                        throw VerificationFailure(
                            .sequenceGap,
                            seq: expected,
                            "row seq \(row.seq) follows \(expected == 0 ? "the start" : "entry \(expected - 1)"): entries \(expected)..<\(row.seq) are missing"
                        )
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
                    try await checkCheckpoints()
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
                }
                nextSeq = chain.nextSeq
                progress(nextSeq, max(latest.size, nextSeq))
                if rows.count < chunk { break }
            }
            if chain.tree.size > latest.size {
                throw VerificationFailure(
                    .truncated,
                    seq: latest.size,
                    "entries \(latest.size)..<\(chain.tree.size) are not covered by any signed checkpoint"
                )
            }
            if chain.tree.size < latest.size {
                throw VerificationFailure(
                    .sequenceGap,
                    seq: chain.tree.size,
                    "the latest checkpoint covers \(latest.size) entries but only \(chain.tree.size) are stored"
                )
            }
            try await refill()
            if let extra = pendingCheckpoints.first {
                throw VerificationFailure(
                    .sequenceGap,
                    seq: chain.tree.size,
                    "a checkpoint covers \(extra.size) entries but only \(chain.tree.size) are stored"
                )
            }
            report.range = 0..<chain.tree.size
            report.root = chain.tree.root
            report.signaturesChecked = chain.signaturesChecked
        } catch let failure as VerificationFailure {
            report.failure = failure
        } catch {
            report.failure = VerificationFailure(.malformed, "cannot read the store: \(error)")
        }
        return report
    }
}
