import AttestCore
import AttestTesting
import Foundation
import Testing

/// Builds bundles in memory from the core alone (no store), then breaks them in every way.
@Suite("Bundle verification")
struct BundleVerifierTests {
    struct Log {
        let signer: Ed25519NoteSigner
        var entries: [[UInt8]] = []
        var hashes: [Hash256] = []
        var sigs: [[UInt8]?] = []

        init(count: Int, signEntries: Bool = false) throws {
            signer = try Ed25519NoteSigner.generate(name: "attest.example.com/acme")
            var prev = Hash256.zero
            for (i, e) in Fixtures.events(count).enumerated() {
                let entry = LedgerEntry(
                    origin: signer.name,
                    seq: UInt64(i),
                    prev: prev,
                    receivedAt: Timestamp(microseconds: 1_790_000_000_000_000 + Int64(i)),
                    event: e.value
                )
                let bytes = entry.canonicalBytes
                let h = LedgerEntry.hash(canonicalBytes: bytes)
                entries.append(bytes)
                hashes.append(h)
                sigs.append(signEntries ? try signer.sign(LedgerEntry.signatureMessage(for: h)) : nil)
                prev = h
            }
        }

        func bundle(start: Int = 0, end: Int? = nil) throws -> [String] {
            let end = end ?? entries.count
            let prefix = try CompactRange(
                size: UInt64(start),
                nodes: Merkle.perfectSubtrees(of: 0..<UInt64(start)).map {
                    Merkle.root(of: Array(hashes[Int($0.leafRange.lowerBound)..<Int($0.leafRange.upperBound)]))
                }
            )
            var lines = [
                String(
                    decoding: BundleWriter.headerLine(
                        BundleHeader(origin: signer.name, verifierKey: signer.verifierKey, start: UInt64(start), prefix: prefix.nodes)
                    ).dropLast(),
                    as: UTF8.self
                )
            ]
            for i in start..<end {
                lines.append(
                    String(
                        decoding: BundleWriter.entryLine(canonicalEntry: entries[i], hash: hashes[i], signature: sigs[i]).dropLast(),
                        as: UTF8.self
                    )
                )
            }
            let cp = Checkpoint(origin: signer.name, size: UInt64(end), root: Merkle.root(of: Array(hashes[0..<end])))
            lines.append(
                String(decoding: BundleWriter.checkpointLine(try SignedCheckpoint(signing: cp, with: signer).serialized).dropLast(), as: UTF8.self)
            )
            return lines
        }
    }

    func verify(_ lines: [String], key: Ed25519NoteVerifier?) -> VerificationReport {
        BundleVerifier.verify(Array((lines.joined(separator: "\n") + "\n").utf8), pinnedKey: key)
    }

    @Test("full and partial bundles verify for every start, with and without per-entry signatures")
    func partials() throws {
        for signEntries in [false, true] {
            let log = try Log(count: 40, signEntries: signEntries)
            for start in 0...40 {
                let r = verify(try log.bundle(start: start), key: log.signer.verifier)
                #expect(r.ok, "start \(start): \(r)")
                #expect(r.range == UInt64(start)..<40)
                #expect(r.root == Merkle.root(of: log.hashes))
                #expect(r.signaturesChecked == (signEntries ? UInt64(40 - start) : 0))
            }
            for end in [0, 1, 7, 16, 33] {
                let r = verify(try log.bundle(start: 0, end: end), key: log.signer.verifier)
                #expect(r.ok && r.range == 0..<UInt64(end), "end \(end): \(r)")
            }
        }
    }

    @Test("an unpinned key verifies but warns")
    func unpinned() throws {
        let log = try Log(count: 3)
        let r = verify(try log.bundle(), key: nil)
        #expect(r.ok)
        #expect(!r.warnings.isEmpty)
    }

    @Test("every kind of tampering fails at the right entry")
    func tampering() throws {
        let log = try Log(count: 20, signEntries: true)
        let good = try log.bundle()
        let key = log.signer.verifier

        func expectFailure(
            _ lines: [String],
            _ code: VerificationFailure.Code,
            seq: UInt64?,
            key: Ed25519NoteVerifier? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let r = verify(lines, key: key ?? log.signer.verifier)
            #expect(!r.ok, sourceLocation: sourceLocation)
            #expect(r.failure?.code == code, "\(r)", sourceLocation: sourceLocation)
            #expect(r.failure?.seq == seq, "\(r)", sourceLocation: sourceLocation)
        }

        // One character of an event changed: its hash no longer matches.
        var edited = good
        edited[6] = edited[6].replacingOccurrences(of: "agent-5", with: "agent-6")
        expectFailure(edited, .hashMismatch, seq: 5)

        // The hash recomputed too: the next entry's prev breaks the chain.
        var rehashed = good
        let value = try JSONParser.parse(rehashed[6], limits: .ledger)
        var entry = value["entry"]!.objectValue!
        var event = entry["event"]!.objectValue!
        event["action"] = "tamper.edit"
        entry["event"] = .object(event)
        let newBytes = JSONValue.object(entry).canonicalBytes
        rehashed[6] = String(
            decoding: BundleWriter.entryLine(canonicalEntry: newBytes, hash: LedgerEntry.hash(canonicalBytes: newBytes), signature: nil).dropLast(),
            as: UTF8.self
        )
        expectFailure(rehashed, .chainBroken, seq: 6)

        // A middle entry removed.
        var removed = good
        removed.remove(at: 10)
        expectFailure(removed, .sequenceGap, seq: 9)

        // Two entries swapped.
        var swapped = good
        swapped.swapAt(4, 8)
        expectFailure(swapped, .sequenceGap, seq: 3)

        // Truncated before the checkpoint, or after the checkpoint something more.
        expectFailure(Array(good.dropLast()), .truncated, seq: nil)
        expectFailure(good + [good[3]], .truncated, seq: nil)

        // The checkpoint re-signed by another key with the same name.
        let impostor = try Ed25519NoteSigner.generate(name: log.signer.name)
        var resigned = good
        let cp = Checkpoint(origin: log.signer.name, size: 20, root: Merkle.root(of: log.hashes))
        resigned[resigned.count - 1] = String(
            decoding: BundleWriter.checkpointLine(try SignedCheckpoint(signing: cp, with: impostor).serialized).dropLast(),
            as: UTF8.self
        )
        expectFailure(resigned, .badCheckpoint, seq: nil)

        // A bundle whose header names another key than the pinned one.
        expectFailure(good, .keyMismatch, seq: nil, key: impostor.verifier)

        // A checkpoint for a different root (entries dropped from the end, checkpoint kept).
        var short = good
        short.remove(at: short.count - 2)
        expectFailure(short, .truncated, seq: nil)

        // A per-entry signature that does not match.
        var badSig = good
        badSig[3] = badSig[3].replacingOccurrences(of: "\"sig\":\"", with: "\"sig\":\"AAAA")
        let r = verify(badSig, key: key)
        #expect(!r.ok)

        // A prefix that lies about the earlier entries: with an odd start the last prefix hash is the
        // previous entry, so the chain catches it at once; with an even start the signed root does.
        for (start, code, seq) in [(5, VerificationFailure.Code.chainBroken, UInt64(5) as UInt64?), (4, .rootMismatch, nil)] {
            let partial = try log.bundle(start: start)
            var header = try JSONParser.parse(partial[0]).objectValue!
            header["prefix"] = .array(Array(repeating: .string(Hash256.zero.hex), count: start.nonzeroBitCount))
            var lying = partial
            lying[0] = JSONValue.object(header).canonicalString
            expectFailure(lying, code, seq: seq)
        }

        // A second spelling of the same values (whitespace, another number form) is refused: what is
        // verified must be byte for byte what was read.
        var spaced = good
        spaced[3] = spaced[3].replacingOccurrences(of: "\"entry\":", with: "\"entry\": ")
        expectFailure(spaced, .notCanonical, seq: 2)
        var respelled = good
        respelled[3] = respelled[3].replacingOccurrences(of: "\"negzero\":0", with: "\"negzero\":-0.0")
        #expect(respelled[3] != good[3])
        expectFailure(respelled, .notCanonical, seq: 2)

        // Unknown header members, a missing final newline, a stripped per-entry signature when required.
        var header = try JSONParser.parse(good[0]).objectValue!
        header["note"] = "x"
        var extraHeader = good
        extraHeader[0] = JSONValue.object(header).canonicalString
        expectFailure(extraHeader, .malformed, seq: nil)
        let unterminated = BundleVerifier.verify(Array(good.joined(separator: "\n").utf8), pinnedKey: key)
        #expect(unterminated.failure?.code == .truncated, "\(unterminated)")
        var stripped = good
        stripped[4] = stripped[4].replacingOccurrences(of: #",\"sig\":\"[^\"]*\""#, with: "", options: .regularExpression)
        #expect(verify(stripped, key: key).ok)
        let required = BundleVerifier.verify(Array((stripped.joined(separator: "\n") + "\n").utf8), pinnedKey: key, requireEntrySignatures: true)
        #expect(required.failure?.code == .badEntrySignature, "\(required)")
        #expect(BundleVerifier.verify(Array((good.joined(separator: "\n") + "\n").utf8), pinnedKey: key, requireEntrySignatures: true).ok)

        // Garbage lines.
        expectFailure(["not json"], .malformed, seq: nil)
        expectFailure([], .malformed, seq: nil)
    }
}
