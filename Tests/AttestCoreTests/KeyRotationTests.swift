import AttestCore
import AttestTesting
import Crypto
import Foundation
import Testing

/// ECDSA P-256 note keys (signed-note type 0x02) and key rotation (FORMAT §5), from the core alone.
@Suite("Key rotation and ECDSA keys")
struct KeyRotationTests {
    static let origin = "attest.example.com/acme"

    /// A log built in memory whose key can be rotated; every entry may carry a per-entry signature
    /// by the key in effect for it.
    struct Log {
        var signer: any NoteSigner
        var entries: [[UInt8]] = []
        var hashes: [Hash256] = []
        var sigs: [[UInt8]?] = []
        /// The key in effect for each tree size (index = size).
        var signerAtSize: [any NoteSigner]
        var keyAtSize: [String] { signerAtSize.map(\.verifierKey) }
        let signEntries: Bool

        init(signer: any NoteSigner, signEntries: Bool = true) {
            self.signer = signer
            self.signEntries = signEntries
            self.signerAtSize = [signer]
        }

        mutating func add(_ event: JSONValue) throws {
            let seq = UInt64(entries.count)
            let entry = LedgerEntry(
                origin: KeyRotationTests.origin,
                seq: seq,
                prev: hashes.last ?? .zero,
                receivedAt: Timestamp(microseconds: 1_790_000_000_000_000 + Int64(seq)),
                event: event
            )
            let bytes = entry.canonicalBytes
            let h = LedgerEntry.hash(canonicalBytes: bytes)
            entries.append(bytes)
            hashes.append(h)
            sigs.append(signEntries ? try signer.sign(LedgerEntry.signatureMessage(for: h)) : nil)
            signerAtSize.append(signer)
        }

        mutating func events(_ n: Int) throws {
            for e in Fixtures.events(n, from: entries.count) { try add(e.value) }
        }

        /// Appends a rotation entry to `new`, optionally spoiled by `edit` (on the event's rotation object).
        mutating func rotate(to new: any NoteSigner, edit: ((inout [String: JSONValue]) -> Void)? = nil) throws {
            let r = try KeyRotation.make(origin: KeyRotationTests.origin, seq: UInt64(entries.count), old: signer, new: new)
            var event = r.event(time: Timestamp(microseconds: 1_790_000_000_000_000))
            if let edit, case .object(var top) = event, case .object(var attrs)? = top["attributes"],
                case .object(var rot)? = attrs["key_rotation"]
            {
                edit(&rot)
                attrs["key_rotation"] = .object(rot)
                top["attributes"] = .object(attrs)
                event = .object(top)
            }
            try add(event)
            signer = new
            signerAtSize[signerAtSize.count - 1] = new
        }

        /// A bundle of `[start, end)`, its header naming the key in effect at `start`; the checkpoint
        /// signed by `signers` (default: the key in effect at `end`).
        func bundle(start: Int = 0, end: Int? = nil, checkpointSigners: [any NoteSigner]? = nil) throws -> [UInt8] {
            let end = end ?? entries.count
            let prefix = Merkle.perfectSubtrees(of: 0..<UInt64(start)).map {
                Merkle.root(of: Array(hashes[Int($0.leafRange.lowerBound)..<Int($0.leafRange.upperBound)]))
            }
            var out = BundleWriter.headerLine(
                BundleHeader(origin: KeyRotationTests.origin, verifierKey: keyAtSize[start], start: UInt64(start), prefix: prefix)
            )
            for i in start..<end { out += BundleWriter.entryLine(canonicalEntry: entries[i], hash: hashes[i], signature: sigs[i]) }
            let cp = Checkpoint(origin: KeyRotationTests.origin, size: UInt64(end), root: Merkle.root(of: Array(hashes[0..<end])))
            let note = try SignedNote.sign(cp.text, with: checkpointSigners ?? [signerAtSize[end]]).serialized
            out += BundleWriter.checkpointLine(note)
            return out
        }
    }

    static func ed() throws -> Ed25519NoteSigner { try Ed25519NoteSigner.generate(name: origin) }
    static func p256() throws -> P256NoteSigner { try P256NoteSigner(name: origin) }

    // MARK: ECDSA keys

    @Test("ECDSA P-256 keys: key ID from the DER SPKI alone, verifier key round trip, signatures verify")
    func ecdsaKeys() throws {
        let signer = try Self.p256()
        let v = signer.verifier
        #expect(v.spki.count == 91)
        let digest = Array(SHA256.hash(data: v.spki))
        #expect(NoteKeyName.hex8(v.keyID) == digest.prefix(4).map { String(format: "%02x", $0) }.joined())
        // The key ID does not depend on the name (type 0x02 hashes the DER bytes only).
        #expect(try signer.renamed("attest.example.com/globex").keyID == signer.keyID)
        let parsed = try NoteVerifiers.parse(signer.verifierKey)
        #expect(parsed is P256NoteVerifier)
        #expect(parsed.verifierKey == signer.verifierKey)
        #expect(try NoteVerifiers.parse(try Self.ed().verifierKey) is Ed25519NoteVerifier)
        let message = Array("attest.example.com/acme\n3\nAAAA\n".utf8)
        let sig = try signer.sign(message)
        #expect(parsed.verify(message, signature: sig))
        #expect(!parsed.verify(message + [0x0A], signature: sig))
        #expect(!parsed.verify(message, signature: Array(sig.dropLast())))
        // A checkpoint note signed by the P-256 key verifies with the parsed key only.
        let note = try SignedCheckpoint(signing: Checkpoint(origin: Self.origin, size: 0, root: Merkle.emptyRoot), with: signer)
        #expect(throws: Never.self) { try SignedCheckpoint(verifying: note.serialized, with: parsed) }
        #expect(throws: SignedNoteError.self) { try SignedCheckpoint(verifying: note.serialized, with: try Self.p256().verifier) }
    }

    @Test("malformed ECDSA verifier keys are refused with a reason")
    func ecdsaKeyErrors() throws {
        let good = try Self.p256().verifierKey
        let parts = good.split(separator: "+", maxSplits: 2).map(String.init)
        // Wrong key ID.
        #expect(throws: NoteKeyError.self) { try NoteVerifiers.parse("\(parts[0])+00000000+\(parts[2])") }
        // A P-384 key under type 0x02.
        let p384 = Array(P384.Signing.PrivateKey().publicKey.derRepresentation)
        let id384 = NoteKeyName.hex8(P256NoteVerifier.keyID(spki: p384))
        #expect(throws: NoteKeyError.self) { try NoteVerifiers.parse("\(Self.origin)+\(id384)+" + Data([0x02] + p384).base64EncodedString()) }
        // An unknown type byte.
        #expect(throws: NoteKeyError.self) { try NoteVerifiers.parse("\(Self.origin)+00000000+" + Data([0x07, 1, 2]).base64EncodedString()) }
    }

    // MARK: Bundles across rotations

    /// Ed25519 -> P-256 -> Ed25519 with per-entry signatures; returns the log and its three keys.
    func rotatedLog() throws -> (Log, [any NoteSigner]) {
        let k0 = try Self.ed()
        let k1 = try Self.p256()
        let k2 = try Self.ed()
        var log = Log(signer: k0)
        try log.events(10)
        try log.rotate(to: k1)  // seq 10
        try log.events(9)
        try log.rotate(to: k2)  // seq 20
        try log.events(5)
        return (log, [k0, k1, k2])
    }

    @Test("a bundle across two rotations verifies with any key of the history pinned")
    func followsHistory() throws {
        let (log, keys) = try rotatedLog()
        let bundle = try log.bundle()
        for k in keys {
            let pinned = try NoteVerifiers.parse(k.verifierKey)
            let r = BundleVerifier.verify(bundle, pinnedKey: pinned)
            #expect(r.ok, "\(r)")
            #expect(r.keyHistory == keys.map(\.verifierKey))
            #expect(r.signaturesChecked == 26)
            #expect(r.description.contains("key rotated 2 time(s)"))
        }
        // A key outside the history is refused, after everything else verified.
        let r = BundleVerifier.verify(bundle, pinnedKey: try Self.ed().verifier)
        #expect(r.failure?.code == .keyMismatch)
    }

    @Test("partial bundles start from the key in effect at start")
    func partialBundles() throws {
        let (log, keys) = try rotatedLog()
        // Ends before the first rotation: only the first key.
        let early = try log.bundle(start: 0, end: 10)
        #expect(BundleVerifier.verify(early, pinnedKey: try NoteVerifiers.parse(keys[0].verifierKey)).ok)
        #expect(BundleVerifier.verify(early, pinnedKey: try NoteVerifiers.parse(keys[1].verifierKey)).failure?.code == .keyMismatch)
        // Starts after the first rotation: the first key is not in what it shows.
        let late = try log.bundle(start: 12)
        #expect(BundleVerifier.verify(late, pinnedKey: try NoteVerifiers.parse(keys[1].verifierKey)).ok)
        #expect(BundleVerifier.verify(late, pinnedKey: try NoteVerifiers.parse(keys[2].verifierKey)).ok)
        let old = BundleVerifier.verify(late, pinnedKey: try NoteVerifiers.parse(keys[0].verifierKey))
        #expect(old.failure?.code == .keyMismatch)
        #expect(old.failure?.reason.contains("export from before the rotation") == true)
        // The rotation entry alone, ending at the handover checkpoint signed by both keys.
        let handover = try log.bundle(start: 10, end: 11, checkpointSigners: [keys[1], keys[0]])
        let r = BundleVerifier.verify(handover, pinnedKey: try NoteVerifiers.parse(keys[0].verifierKey))
        #expect(r.ok && r.keyHistory == [keys[0].verifierKey, keys[1].verifierKey], "\(r)")
    }

    @Test("after a rotation the old key no longer signs checkpoints or entries")
    func oldKeyRetired() throws {
        let (log, keys) = try rotatedLog()
        let pinned = try NoteVerifiers.parse(keys[0].verifierKey)
        // A checkpoint after the rotation signed by the old key only.
        let r = BundleVerifier.verify(try log.bundle(checkpointSigners: [keys[0]]), pinnedKey: pinned)
        #expect(r.failure?.code == .badCheckpoint)
        // A bad signature line by an earlier key of the history also fails the note.
        let k0Name = keys[0].name
        struct Garbage: NoteSigner {
            let name: String
            let keyID: UInt32
            let verifierKey: String
            func sign(_ message: [UInt8]) throws -> [UInt8] { [UInt8](repeating: 7, count: 64) }
        }
        let bad = Garbage(name: k0Name, keyID: keys[0].keyID, verifierKey: keys[0].verifierKey)
        let mixed = BundleVerifier.verify(try log.bundle(checkpointSigners: [keys[2], bad]), pinnedKey: pinned)
        #expect(mixed.failure?.code == .badCheckpoint)
        // An entry after the rotation signed by the old key.
        var forged = log
        forged.sigs[11] = try keys[0].sign(LedgerEntry.signatureMessage(for: log.hashes[11]))
        let e = BundleVerifier.verify(try forged.bundle(), pinnedKey: pinned)
        #expect(e.failure?.code == .badEntrySignature && e.failure?.seq == 11)
    }

    @Test("forged or malformed rotation entries are refused at their seq")
    func forgedRotations() throws {
        let k0 = try Self.ed()
        let k1 = try Self.p256()
        let stranger = try Self.ed()
        typealias Edit = (inout [String: JSONValue]) -> Void
        let otherSig = Data(try stranger.sign([1, 2, 3])).base64EncodedString()
        let edits: [(String, Edit)] = [
            ("bad old_signature", { $0["old_signature"] = .string(otherSig) }),
            ("bad new_signature", { $0["new_signature"] = .string(otherSig) }),
            ("old_key not in effect", { $0["old_key"] = .string(stranger.verifierKey) }),
            ("new_key of another log", { $0["new_key"] = .string(try! stranger.renamed("attest.example.com/globex").verifierKey) }),
            ("extra member", { $0["note"] = .string("x") }),
            ("missing member", { $0.removeValue(forKey: "new_signature") }),
            ("non-canonical base64", { if case .string(let s)? = $0["old_signature"] { $0["old_signature"] = .string(s + "\n") } }),
        ]
        for (what, edit) in edits {
            var log = Log(signer: k0, signEntries: false)
            try log.events(3)
            try log.rotate(to: k1, edit: edit)
            try log.events(2)
            let r = BundleVerifier.verify(try log.bundle(), pinnedKey: k0.verifier)
            #expect(r.failure?.code == .badKeyRotation, "\(what): \(r)")
            #expect(r.failure?.seq == 3, "\(what)")
        }
        // An entry with the reserved action but no rotation in it.
        var log = Log(signer: k0, signEntries: false)
        try log.events(2)
        try log.add(["action": "ledger.key_rotation", "actor": ["id": "mallory"]])
        let r = BundleVerifier.verify(try log.bundle(), pinnedKey: k0.verifier)
        #expect(r.failure?.code == .badKeyRotation && r.failure?.seq == 2)
    }

    @Test("clients cannot send an event with the reserved rotation action")
    func reservedAction() {
        let value: JSONValue = ["action": "ledger.key_rotation", "actor": ["id": "mallory"]]
        guard case .failure(let p) = AuditEvent.validate(value, receivedAt: .now()) else {
            Issue.record("a client event with the rotation action was accepted")
            return
        }
        #expect(p.problems.contains { $0.pointer == "/action" && $0.message.contains("reserved") })
    }

    // MARK: Live verification across a rotation

    /// A server as LogMonitor sees it: checkpoints, proofs, the key listing and rotation bundles.
    struct Server {
        var log: Log
        var listing: [LogMonitor.ListedKey]

        func note(_ size: Int, signers: [any NoteSigner]) throws -> String {
            let cp = Checkpoint(origin: KeyRotationTests.origin, size: UInt64(size), root: Merkle.root(of: Array(log.hashes.prefix(size))))
            return try SignedNote.sign(cp.text, with: signers).serialized
        }

        func check(_ note: String, pinned: any NoteVerifier, state: LogMonitor.State?) async throws -> LogMonitor.Outcome {
            try await LogMonitor.check(
                note: note,
                pinned: pinned,
                state: state,
                now: .now(),
                consistencyProof: { m, n in try Merkle.consistencyProof(from: m, to: n, leaves: Array(log.hashes.prefix(Int(n)))) },
                keyHistory: { listing },
                rotationBundle: { r in try log.bundle(start: Int(r), end: Int(r) + 1) }
            )
        }
    }

    func server() throws -> (Server, [any NoteSigner]) {
        let (log, keys) = try rotatedLog()
        let listing = [
            LogMonitor.ListedKey(verifierKey: keys[0].verifierKey, rotationSeq: nil),
            LogMonitor.ListedKey(verifierKey: keys[1].verifierKey, rotationSeq: 10),
            LogMonitor.ListedKey(verifierKey: keys[2].verifierKey, rotationSeq: 20),
        ]
        return (Server(log: log, listing: listing), keys)
    }

    @Test("a verifier with state follows each rotation with proofs and keeps its pinned key")
    func monitorFollows() async throws {
        let (server, keys) = try server()
        let k0 = try NoteVerifiers.parse(keys[0].verifierKey)
        let first = try await server.check(try server.note(5, signers: [keys[0]]), pinned: k0, state: nil)
        let later = try await server.check(try server.note(25, signers: [keys[2]]), pinned: k0, state: first.accepted)
        #expect(later.rotationsFollowed == [10, 20])
        #expect(later.accepted.keys == keys.map(\.verifierKey))
        #expect(later.accepted.verifierKey == keys[2].verifierKey)
        #expect(later.provedConsistent)
        // The state round-trips with its key history, and the original pin still works.
        let reread = try LogMonitor.State(json: JSONParser.parse(later.accepted.json.canonicalBytes))
        #expect(reread == later.accepted)
        #expect(try await server.check(try server.note(25, signers: [keys[2]]), pinned: k0, state: reread).accepted.size == 25)
        // First use with the newest key pinned: nothing to follow.
        let fresh = try await server.check(try server.note(25, signers: [keys[2]]), pinned: try NoteVerifiers.parse(keys[2].verifierKey), state: nil)
        #expect(fresh.rotationsFollowed.isEmpty && fresh.accepted.keys == [keys[2].verifierKey])
    }

    @Test("a state saved at the handover checkpoint (signed by both keys) moves on to the new key")
    func monitorFromHandover() async throws {
        let (server, keys) = try server()
        let k0 = try NoteVerifiers.parse(keys[0].verifierKey)
        let handover = try await server.check(try server.note(11, signers: [keys[1], keys[0]]), pinned: k0, state: nil)
        #expect(handover.accepted.verifierKey == keys[0].verifierKey)
        let next = try await server.check(try server.note(15, signers: [keys[1]]), pinned: k0, state: handover.accepted)
        #expect(next.rotationsFollowed == [10])
        #expect(next.accepted.keys == [keys[0].verifierKey, keys[1].verifierKey])
    }

    @Test("hidden, forged or misplaced rotations are refused")
    func monitorRefuses() async throws {
        let (server, keys) = try server()
        let k0 = try NoteVerifiers.parse(keys[0].verifierKey)
        let seen = try await server.check(try server.note(5, signers: [keys[0]]), pinned: k0, state: nil).accepted
        let note = try server.note(25, signers: [keys[2]])
        func code(_ s: Server, _ note: String, _ state: LogMonitor.State?) async -> LogMonitorError.Code? {
            do {
                _ = try await s.check(note, pinned: k0, state: state)
                return nil
            } catch let e as LogMonitorError { return e.code } catch {
                Issue.record("unexpected \(error)")
                return nil
            }
        }
        // The server hides its key history.
        var hidden = server
        hidden.listing = []
        #expect(await code(hidden, note, seen) == .badSignature)
        // The listing points at an ordinary entry.
        var misplaced = server
        misplaced.listing[1] = LogMonitor.ListedKey(verifierKey: keys[1].verifierKey, rotationSeq: 9)
        #expect(await code(misplaced, note, seen) == .badSignature)
        // A key introduced by no rotation entry (an attacker's key listed as the next one).
        var injected = server
        let mallory = try Self.ed()
        injected.listing[1] = LogMonitor.ListedKey(verifierKey: mallory.verifierKey, rotationSeq: 10)
        #expect(await code(injected, try server.note(25, signers: [mallory]), seen) == .badSignature)
        // A state past the rotation, yet accepted under the old key: the old key signed a size it no longer could.
        let stale = LogMonitor.State(
            verifierKey: keys[0].verifierKey,
            checkpoint: try server.note(15, signers: [keys[0]]),
            size: 15,
            root: Merkle.root(of: Array(server.log.hashes.prefix(15))),
            acceptedAt: .now()
        )
        #expect(await code(server, note, stale) == .badSignature)
        // A pinned key that is not in the history followed.
        do {
            _ = try await server.check(note, pinned: try Self.ed().renamed(Self.origin).verifier, state: seen)
            Issue.record("a key outside the history was accepted")
        } catch let e as LogMonitorError {
            #expect(e.code == .keyChanged)
        }
    }
}
