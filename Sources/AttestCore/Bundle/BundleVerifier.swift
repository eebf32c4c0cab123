import Foundation

/// The result of verifying a bundle or a store: what was verified, or the first failure.
public struct VerificationReport: Hashable, Sendable, CustomStringConvertible {
    /// The log origin, once known.
    public var origin: String?
    /// The entries checked, `[start, end)`.
    public var range: Range<UInt64>?
    /// The verified root at `range.upperBound`.
    public var root: Hash256?
    /// The number of checkpoints whose signatures and roots were checked.
    public var checkpointsChecked: Int = 0
    /// The number of per-entry signatures checked.
    public var signaturesChecked: UInt64 = 0
    /// The first failure, or nil when everything verified.
    public var failure: VerificationFailure?
    /// Things the user should know that are not failures (e.g. an unpinned key).
    public var warnings: [String] = []
    /// The key history followed (FORMAT §5, Key rotation), oldest first: one key when the log was
    /// not rotated in the verified range.
    public var keyHistory: [String] = []

    public init() {}

    /// Whether everything checked out.
    public var ok: Bool { failure == nil && range != nil }

    public var description: String {
        let name = origin ?? "?"
        if let failure { return "FAILED \(name): \(failure)" }
        guard let range, let root else { return "FAILED \(name): nothing was verified" }
        let rotated = keyHistory.count > 1 ? ", key rotated \(keyHistory.count - 1) time(s), now \(keyHistory.last!)" : ""
        return
            "OK \(name): entries \(range.lowerBound)..<\(range.upperBound) verified, root \(root.hex), \(checkpointsChecked) checkpoint(s)\(rotated)"
    }
}

/// Verifies an export bundle line by line (streaming, constant memory).
///
/// Feed every line (without its newline) to ``feed(_:)``, then call ``finish()``.
public struct BundleVerifier: Sendable {
    private var pinnedKey: (any NoteVerifier)?
    private var chain: ChainVerifier?
    /// Whether the header was read (and `chain` set): checked per line without touching `chain`.
    private var started = false
    private var header: BundleHeader?
    private var checkpointSeen = false
    private var lineNumber = 0
    private var report = VerificationReport()

    /// A verifier that checks signatures against `pinnedKey`, or against the key the bundle names
    /// when nil (with a warning: the bundle could then have been re-signed by anyone).
    public init(pinnedKey: (any NoteVerifier)?, requireEntrySignatures: Bool = false) {
        self.pinnedKey = pinnedKey
        self.requireEntrySignatures = requireEntrySignatures
    }

    /// Whether every entry must carry a per-entry signature (a bundle alone cannot show that one
    /// was stripped, since they are optional).
    public let requireEntrySignatures: Bool

    /// Whether entry lines are first read by ``CanonicalScanner`` (the full parse decides whenever it is
    /// not sure); tests turn it off to compare the two paths.
    var scanFastPath = true

    /// Whether a failure was already found (further lines are ignored). A failure in the lines of
    /// the last ``feed(lines:)`` shows only after the next call or ``finish()``.
    public var failed: Bool { report.failure != nil }

    /// The lines of the last ``feed(lines:)`` and what was prepared of them, applied to the chain
    /// while the next call's lines are prepared (or by any other call).
    private var pending: (lines: ArraySlice<ArraySlice<UInt8>>, prepared: [PreparedEntry?])?

    private mutating func fail(_ f: VerificationFailure) {
        if report.failure == nil {
            report.failure = VerificationFailure(f.code, seq: f.seq, "line \(lineNumber): \(f.reason)")
        }
    }

    /// Checks one line. `terminated` tells whether it ended with a newline: every line of a bundle
    /// must, so a last line without one means the bundle was cut.
    public mutating func feed(_ line: some Collection<UInt8>, terminated: Bool = true) {
        applyPending()
        feedBytes([UInt8](line), terminated: terminated)
    }

    private mutating func feedBytes(_ line: [UInt8], terminated: Bool) {
        lineNumber += 1
        guard report.failure == nil else { return }
        if checkpointSeen {
            fail(VerificationFailure(.truncated, "data after the checkpoint line"))
            return
        }
        if terminated, scanFastPath, started, fastEntry(line) { return }
        let entrySeq = header == nil ? nil : chain?.nextSeq
        let value: JSONValue
        do {
            value = try JSONParser.parse(line, limits: .ledger)
        } catch {
            let cut = terminated ? "" : " (the last line has no newline: truncated?)"
            fail(VerificationFailure(.malformed, seq: entrySeq, "not valid JSON: \(error)\(cut)"))
            return
        }
        let isCheckpoint = header != nil && value["checkpoint"] != nil && value["entry"] == nil
        guard terminated else {
            fail(VerificationFailure(.truncated, seq: isCheckpoint ? nil : entrySeq, "the last line has no newline (truncated?)"))
            return
        }
        // Every line must be exactly its RFC 8785 form: what is verified is then byte for byte what
        // was read (no second spelling of a number or a string can carry the same hash).
        guard value.canonicalBytes == line else {
            fail(VerificationFailure(.notCanonical, seq: isCheckpoint ? nil : entrySeq, "line is not in RFC 8785 canonical form"))
            return
        }
        do throws(VerificationFailure) {
            if header == nil {
                try readHeader(value)
            } else if isCheckpoint {
                try readCheckpoint(value)
            } else {
                try readEntry(value)
            }
        } catch {
            fail(error)
        }
    }

    private static let entryPrefix: [UInt8] = Array(#"{"entry":{"event":{"#.utf8)

    /// An entry line read without a ``JSONValue`` (``CanonicalScanner``) and hashed: what the chain needs.
    struct PreparedEntry: Sendable {
        var seq: UInt64
        var prev: Hash256
        var hash: Hash256
        var claimed: Hash256
        var signature: [UInt8]?
    }

    /// Reads and hashes an entry line of log `origin` when the scanner is certain about it; `nil` means
    /// the full parse must decide (which also names an entry of another log). Touches no verifier
    /// state, so lines can be prepared on any thread; `members` is scratch space reused across lines.
    static func prepare(
        _ p: UnsafeBufferPointer<UInt8>,
        origin: [UInt8],
        requireSignature: Bool,
        members: inout [CanonicalScanner.Member]
    ) -> PreparedEntry? {
        guard p.count > entryPrefix.count, memcmp(p.baseAddress!, entryPrefix, entryPrefix.count) == 0,
            CanonicalScanner.scan(p, recordLevels: 3, into: &members)
        else { return nil }
        // {"entry":{…six members…},"hash":"…"[,"sig":"…"]}: the top level's members, then the entry's.
        var top = (0, 0, 0)
        var topCount = 0
        for k in members.indices where members[k].level == 1 {
            switch topCount {
            case 0: top.0 = k
            case 1: top.1 = k
            case 2: top.2 = k
            default: return nil
            }
            topCount += 1
        }
        func isKey(_ k: Int, _ name: StaticString) -> Bool {
            let r = members[k].key
            return r.count == name.utf8CodeUnitCount
                && name.withUTF8Buffer { n in memcmp(p.baseAddress! + r.lowerBound, n.baseAddress!, n.count) == 0 }
        }
        guard topCount >= 2, top.0 == 0, isKey(top.0, "entry"), isKey(top.1, "hash"), topCount == 2 || isKey(top.2, "sig") else {
            return nil
        }
        guard let fields = LedgerEntry.scanned(p, members: members[1..<top.1]),
            fields.origin.count == origin.count,
            origin.withUnsafeBytes({ memcmp(p.baseAddress! + fields.origin.lowerBound, $0.baseAddress!, origin.count) == 0 })
        else { return nil }
        let hashValue = members[top.1].value
        guard hashValue.count == 66,
            let claimed = Hash256(hexDigits: p.raw((hashValue.lowerBound + 1)..<(hashValue.upperBound - 1)))
        else { return nil }
        var sig: [UInt8]?
        if topCount == 3 {
            let r = members[top.2].value
            let b64 = String(decoding: UnsafeBufferPointer(rebasing: p[(r.lowerBound + 1)..<(r.upperBound - 1)]), as: UTF8.self)
            guard let raw = Data(base64Encoded: b64), raw.base64EncodedString() == b64 else { return nil }
            sig = Array(raw)
        }
        if requireSignature && sig == nil { return nil }
        let hash = Merkle.leafHash(raw: p.raw(members[top.0].value))
        return PreparedEntry(seq: fields.seq, prev: fields.prev, hash: hash, claimed: claimed, signature: sig)
    }

    /// Applies a prepared entry line to the chain, recording its failure.
    private mutating func apply(_ e: PreparedEntry) {
        guard started else { return }
        do throws(VerificationFailure) {
            // In place: a copy of the chain would copy its compact range on every entry. The origin
            // was compared when the line was prepared.
            try chain!.appendOrdinary(seq: e.seq, prev: e.prev, hash: e.hash, claimedHash: e.claimed, signature: e.signature)
        } catch {
            fail(error)
        }
    }

    /// An entry line checked without a ``JSONValue``: `true` when it was handled (verified, or its
    /// chain failure recorded), `false` when the full parse must decide.
    private mutating func fastEntry(_ line: [UInt8]) -> Bool {
        guard let chain else { return false }
        var members: [CanonicalScanner.Member] = []
        let prepared = line.withUnsafeBufferPointer {
            Self.prepare($0, origin: Array(chain.origin.utf8), requireSignature: requireEntrySignatures, members: &members)
        }
        guard let prepared else { return false }
        apply(prepared)
        return true
    }

    /// Checks many newline-terminated lines (without their newlines), as ``feed(_:terminated:)`` one
    /// by one would, with the same report: entry lines are read and hashed on every core first (the
    /// scanner and SHA-256 are most of the work), then applied to the chain in order. That last,
    /// serial step runs during the next call (beside the preparation of its lines) or in
    /// ``finish()``, so no core waits for it.
    public mutating func feed(lines: [ArraySlice<UInt8>]) {
        var rest = lines[...]
        // The header (and anything before the chain exists) goes line by line.
        while !started, let first = rest.first, report.failure == nil {
            feed(first)
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, report.failure == nil else {
            for line in rest { feed(line) }
            return
        }
        let batch = rest
        var prepared = [PreparedEntry?](repeating: nil, count: batch.count)
        guard scanFastPath else {
            applyPending()
            pending = (batch, prepared)
            return
        }
        // Many small parts per core (16 lines or more each), taken as cores come free: the reader
        // thread and part 0 take cores away at moments no one can plan, and with 4 parts per core
        // the last parts left a core idle at the end of each chunk (1 MiB, ~800 lines: with 16
        // parts per core a 1M-entry bundle took 2.60-2.71 s instead of 2.77-3.24 s). Part 0
        // applies the previous call's lines meanwhile. Only part 0 touches `self`: the others read
        // `batch` and write their own slots of `prepared`.
        let parts = max(1, min(16 * ProcessInfo.processInfo.activeProcessorCount, batch.count / 16))
        let requireSignature = requireEntrySignatures
        let origin = Array(chain!.origin.utf8)
        withUnsafeMutablePointer(to: &self) { me in
            prepared.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                nonisolated(unsafe) let me = me
                DispatchQueue.concurrentPerform(iterations: parts + 1) { w in
                    if w == 0 {
                        me.pointee.applyPending()
                        return
                    }
                    var members: [CanonicalScanner.Member] = []
                    members.reserveCapacity(64)
                    var k = batch.startIndex + (w - 1) * batch.count / parts
                    let end = batch.startIndex + w * batch.count / parts
                    while k < end {
                        out[k - batch.startIndex] = batch[k].withUnsafeBufferPointer {
                            Self.prepare($0, origin: origin, requireSignature: requireSignature, members: &members)
                        }
                        k += 1
                    }
                }
            }
        }
        pending = (batch, prepared)
    }

    /// Applies the lines of the last ``feed(lines:)`` to the chain in order: prepared entries
    /// directly, the others (and everything after a failure or a checkpoint) line by line.
    private mutating func applyPending() {
        guard let (batch, prepared) = pending else { return }
        pending = nil
        for k in prepared.indices {
            guard let entry = prepared[k], report.failure == nil, !checkpointSeen else {
                feedBytes([UInt8](batch[batch.startIndex + k]), terminated: true)
                continue
            }
            lineNumber += 1
            apply(entry)
        }
    }

    private mutating func readHeader(_ value: JSONValue) throws(VerificationFailure) {
        let h: BundleHeader
        do { h = try BundleHeader(parsing: value) } catch { throw VerificationFailure(.malformed, error.reason) }
        let stated: any NoteVerifier
        do { stated = try NoteVerifiers.parse(h.verifierKey) } catch {
            throw VerificationFailure(.malformed, "header verifier_key: \(error.reason)")
        }
        // The header's key is only where to start: the pinned key must turn up in the key history
        // followed through the bundle (checked in finish()).
        if let pinnedKey {
            guard pinnedKey.name == h.origin else {
                throw VerificationFailure(.keyMismatch, "the pinned key is for \(pinnedKey.name), but the bundle is of log \(h.origin)")
            }
        } else {
            report.warnings.append("no --key given: signatures were checked against the key the bundle itself names")
        }
        guard stated.name == h.origin else {
            throw VerificationFailure(.keyMismatch, "key name \(stated.name) is not the log origin \(h.origin)")
        }
        let tree: CompactRange
        do { tree = try CompactRange(size: h.start, nodes: h.prefix) } catch {
            throw VerificationFailure(
                .malformed,
                "header prefix has \(h.prefix.count) hashes; a compact range of [0, \(h.start)) has \(h.start.nonzeroBitCount)"
            )
        }
        header = h
        report.origin = h.origin
        chain = ChainVerifier(origin: h.origin, tree: tree, key: stated)
        started = true
    }

    private mutating func readEntry(_ value: JSONValue) throws(VerificationFailure) {
        guard var chain else { throw VerificationFailure(.malformed, "entry before header") }
        let seq = chain.nextSeq
        guard case .object(let m) = value, let entryValue = m["entry"] else {
            throw VerificationFailure(.malformed, seq: seq, "line is neither an entry nor a checkpoint")
        }
        if let extra = m.keys.first(where: { !["entry", "hash", "sig"].contains($0) }) {
            throw VerificationFailure(.malformed, seq: seq, "entry line has an unknown member \"\(extra)\"")
        }
        let entry: LedgerEntry
        do { entry = try LedgerEntry(parsing: entryValue) } catch { throw VerificationFailure(.malformed, seq: seq, error.reason) }
        guard case .string(let hashHex)? = m["hash"], let claimed = Hash256(lowercaseHex: hashHex) else {
            throw VerificationFailure(.malformed, seq: seq, "\"hash\" must be 64 lower-case hex digits")
        }
        var sig: [UInt8]?
        if let s = m["sig"] {
            guard case .string(let b64) = s, let raw = Data(base64Encoded: b64), raw.base64EncodedString() == b64 else {
                throw VerificationFailure(.malformed, seq: seq, "\"sig\" must be canonical base64")
            }
            sig = Array(raw)
        }
        if requireEntrySignatures && sig == nil {
            throw VerificationFailure(.badEntrySignature, seq: seq, "per-entry signatures are required but this entry has none")
        }
        try chain.append(entry: entry, bytes: entryValue.canonicalBytes, claimedHash: claimed, signature: sig)
        self.chain = chain
    }

    private mutating func readCheckpoint(_ value: JSONValue) throws(VerificationFailure) {
        guard let chain else { throw VerificationFailure(.malformed, "checkpoint before header") }
        guard case .object(let m) = value, m.count == 1, case .string(let note)? = m["checkpoint"] else {
            throw VerificationFailure(.malformed, "the checkpoint line must be {\"checkpoint\": NOTE} and nothing else")
        }
        do {
            _ = try chain.check(checkpoint: note)
        } catch {
            // Failures found at the checkpoint are about the whole range, not one entry.
            throw VerificationFailure(error.code, seq: nil, error.reason)
        }
        checkpointSeen = true
        report.checkpointsChecked += 1
    }

    /// The report: the verified range and root, or the first failure.
    public func finish() -> VerificationReport {
        var done = self
        done.applyPending()
        return done.finalReport()
    }

    private func finalReport() -> VerificationReport {
        var r = report
        guard r.failure == nil else { return r }
        guard let header, let chain else {
            r.failure = VerificationFailure(.truncated, "the bundle is empty (no header line)")
            return r
        }
        guard checkpointSeen else {
            r.failure = VerificationFailure(
                .truncated,
                "the bundle ends after entry \(Int64(chain.nextSeq) - 1) without a checkpoint line (truncated?)"
            )
            return r
        }
        r.keyHistory = chain.keyHistory
        if let pinnedKey, !chain.followed(pinnedKey) {
            let history = chain.keyHistory.joined(separator: " -> ")
            let hint =
                chain.keyHistory.count == 1
                ? "bundle is signed by \(history), not the pinned key \(pinnedKey.verifierKey)"
                : "the pinned key \(pinnedKey.verifierKey) is not in the bundle's key history \(history)"
            let rotated =
                header.start > 0 ? " (if the log was rotated before seq \(header.start), export from before the rotation or pin a later key)" : ""
            r.failure = VerificationFailure(.keyMismatch, hint + rotated)
            return r
        }
        r.range = header.start..<chain.nextSeq
        r.root = chain.tree.root
        r.signaturesChecked = chain.signaturesChecked
        return r
    }

    /// Verifies a whole bundle held in memory.
    public static func verify(
        _ data: some Collection<UInt8>,
        pinnedKey: (any NoteVerifier)?,
        requireEntrySignatures: Bool = false
    ) -> VerificationReport {
        var v = BundleVerifier(pinnedKey: pinnedKey, requireEntrySignatures: requireEntrySignatures)
        // One copy into an array, then a concrete scan: iterating an arbitrary collection from
        // outside this module runs unspecialized, with a witness call (and allocations) per byte.
        let bytes = [UInt8](data)
        var lineStart = 0
        var batch: [ArraySlice<UInt8>] = []
        while lineStart < bytes.count {
            guard let newline = bytes[lineStart...].firstIndex(of: 0x0A) else {
                v.feed(lines: batch)
                batch.removeAll()
                v.feed(bytes[lineStart...], terminated: false)
                break
            }
            batch.append(bytes[lineStart..<newline])
            if batch.count == 1024 {
                v.feed(lines: batch)
                batch.removeAll(keepingCapacity: true)
            }
            lineStart = newline + 1
        }
        v.feed(lines: batch)
        return v.finish()
    }
}
