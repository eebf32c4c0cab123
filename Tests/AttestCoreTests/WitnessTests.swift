import AttestCore
import Crypto
import Foundation
import Testing

/// C2SP tlog-cosignature (Ed25519, type 0x04) and the tlog-witness add-checkpoint decisions.
@Suite("Witness cosignatures and add-checkpoint")
struct WitnessTests {
    let log: Ed25519NoteSigner
    let leaves: [Hash256]

    init() throws {
        log = try Ed25519NoteSigner.generate(name: "attest.example.com/acme")
        leaves = (0..<100).map { Merkle.leafHash([UInt8($0)]) }
    }

    func note(_ size: Int, leaves: [Hash256]? = nil, signer: Ed25519NoteSigner? = nil) throws -> String {
        let root = Merkle.root(of: Array((leaves ?? self.leaves).prefix(size)))
        return try SignedCheckpoint(signing: Checkpoint(origin: log.name, size: UInt64(size), root: root), with: signer ?? log).serialized
    }

    @Test("a cosignature is keyID ‖ u64be(time) ‖ Ed25519 over cosignature/v1, time and the body; key ID uses type 0x04")
    func cosignatureFormat() throws {
        let seed = Array(repeating: UInt8(7), count: 32)
        let signer = try Ed25519CosignatureSigner(name: "witness.example/w1", seed: seed, clock: { 1_679_315_147 })
        let pub = Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation)
        var h = SHA256()
        h.update(data: Array("witness.example/w1\n".utf8) + [0x04] + pub)
        let digest = Array(h.finalize())
        #expect(signer.keyID == UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3]))
        let body = "attest.example.com/acme\n3\n" + Hash256.zero.base64 + "\n"
        let sig = try signer.sign(Array(body.utf8))
        #expect(sig.count == 72)
        #expect(Array(sig.prefix(8)) == [0, 0, 0, 0, 0x64, 0x18, 0x50, 0xCB])  // 1679315147 big-endian
        let message = "cosignature/v1\ntime 1679315147\n" + body
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: pub)
        #expect(key.isValidSignature(sig.suffix(64), for: Array(message.utf8)))
        let verifier = try Ed25519CosignatureVerifier(verifierKey: signer.verifierKey)
        #expect(verifier.verify(Array(body.utf8), signature: sig))
        var tampered = sig
        tampered[7] ^= 1  // another time
        #expect(!verifier.verify(Array(body.utf8), signature: tampered))
        #expect(!verifier.verify(Array((body + "x\n").utf8), signature: sig))
        // A log key (type 0x01) is not a witness key, and the other way round.
        #expect(throws: NoteKeyError.self) { try Ed25519CosignatureVerifier(verifierKey: log.verifierKey) }
        #expect(throws: NoteKeyError.self) { try Ed25519NoteVerifier(verifierKey: signer.verifierKey) }
        // In a note: the cosignature is one more signature line, found by name and key ID.
        let cosigned = try SignedNote.sign(body, with: [log, signer])
        let parsed = try SignedNote(parsing: cosigned.serialized)
        #expect(try parsed.verify(with: [verifier]).map(\.name) == ["witness.example/w1"])
        #expect(Ed25519CosignatureVerifier.timestamp(of: parsed.signatures[1].signature) == 1_679_315_147)
    }

    @Test("add-checkpoint requests parse, and malformed ones are 400")
    func parsing() throws {
        let proof = try Merkle.consistencyProof(from: 7, to: 20, leaves: Array(leaves.prefix(20)))
        let request = WitnessProtocol.Request(oldSize: 7, proof: proof, note: try note(20))
        #expect(try WitnessProtocol.parse(Array(request.body.utf8)) == request)
        for bad in ["old 07\n\n" + (try note(20)), "old x\n\n", "new 1\n\n", "old 1\nnot-base64!\n\n", "old 1\n", "old 1"] {
            do {
                _ = try WitnessProtocol.parse(Array(bad.utf8))
                Issue.record("accepted \(bad.debugDescription)")
            } catch { #expect(error.status == 400) }
        }
        let tooLong = "old 1\n" + String(repeating: Hash256.zero.base64 + "\n", count: 64) + "\n" + (try note(20))
        #expect(throws: WitnessProtocol.Refusal.self) { try WitnessProtocol.parse(Array(tooLong.utf8)) }
    }

    func decide(old: UInt64, size: Int, proofFrom: Int? = nil, note text: String? = nil, latest: WitnessProtocol.Latest?) throws -> SignedCheckpoint {
        let from = proofFrom ?? Int(old)
        let proof =
            (from > 0 && from < size)
            ? (try? Merkle.consistencyProof(from: UInt64(from), to: UInt64(size), leaves: Array(leaves.prefix(size)))) ?? [] : []
        let checkpoint = try text ?? note(size)
        let request = WitnessProtocol.Request(oldSize: old, proof: proof, note: checkpoint)
        return try WitnessProtocol.decide(request, trusted: [log.name: [log.verifier]], latest: latest)
    }

    func status(_ body: () throws -> SignedCheckpoint) -> Int {
        do {
            _ = try body()
            return 200
        } catch let e as WitnessProtocol.Refusal {
            return e.status
        } catch {
            return -1
        }
    }

    @Test("the witness's decisions follow the specification's order and codes")
    func decisions() throws {
        let at10 = WitnessProtocol.Latest(size: 10, root: Merkle.root(of: Array(leaves.prefix(10))))
        #expect(status { try decide(old: 0, size: 10, latest: nil) } == 200)
        #expect(status { try decide(old: 10, size: 30, latest: at10) } == 200)
        #expect(status { try decide(old: 10, size: 10, latest: at10) } == 200)
        // Unknown origin 404, no trusted signature 403.
        let other = try Ed25519NoteSigner.generate(name: "other.example/log")
        let foreign = try SignedCheckpoint(signing: Checkpoint(origin: other.name, size: 3, root: Hash256.zero), with: other).serialized
        #expect(status { try decide(old: 0, size: 3, note: foreign, latest: nil) } == 404)
        let impostor = try Ed25519NoteSigner.generate(name: log.name)
        #expect(status { try decide(old: 10, size: 30, note: try note(30, signer: impostor), latest: at10) } == 403)
        // Old size above the checkpoint 400; not the cosigned size 409 (with that size).
        #expect(status { try decide(old: 40, size: 30, latest: at10) } == 400)
        do {
            _ = try decide(old: 5, size: 30, latest: at10)
            Issue.record("accepted a stale old size")
        } catch let error as WitnessProtocol.Refusal {
            #expect(error.status == 409 && error.latestSize == 10)
        }
        #expect(status { try decide(old: 0, size: 30, latest: at10) } == 409)
        // A proof from size 0 must be empty.
        #expect(status { try decide(old: 0, size: 30, proofFrom: 10, latest: nil) } == 400)
        // Another history: same size another root 409; a larger tree that does not extend it 422.
        var forked = leaves
        forked[3] = Hash256.zero
        #expect(status { try decide(old: 10, size: 10, note: try note(10, leaves: forked), latest: at10) } == 409)
        #expect(status { try decide(old: 10, size: 30, note: try note(30, leaves: forked), latest: at10) } == 422)
    }
}
