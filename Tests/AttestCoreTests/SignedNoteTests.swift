import AttestCore
import Foundation
import Testing

@Suite("C2SP signed notes and checkpoints")
struct SignedNoteTests {
    struct Vector: Decodable {
        let private_key: String
        let text: String
        let signature_line: String
    }

    static func vector() throws -> Vector {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/signed-note/ed25519.json")
        return try JSONDecoder().decode(Vector.self, from: Data(contentsOf: url))
    }

    @Test("sumdb/note Ed25519 vector: signature is byte-exact")
    func sumdbVector() throws {
        let v = try Self.vector()
        let signer = try Ed25519NoteSigner(privateKey: v.private_key)
        #expect(signer.name == "PeterNeumann")
        #expect(NoteKeyName.hex8(signer.keyID) == "c74f20a3")
        let note = try SignedNote.sign(v.text, with: [signer])
        #expect(note.signatures.count == 1)
        #expect(note.signatures[0].line == v.signature_line)
        #expect(note.serialized == v.text + "\n" + v.signature_line + "\n")
        // The private key string round-trips.
        #expect(signer.privateKeyString == v.private_key)
    }

    @Test("the vector's note verifies with the derived verifier key and fails with others")
    func sumdbVerify() throws {
        let v = try Self.vector()
        let signer = try Ed25519NoteSigner(privateKey: v.private_key)
        let verifier = try Ed25519NoteVerifier(verifierKey: signer.verifierKey)
        let note = try SignedNote(parsing: v.text + "\n" + v.signature_line + "\n")
        #expect(try note.verify(with: [verifier]).count == 1)
        let other = try Ed25519NoteSigner.generate(name: "PeterNeumann").verifier
        #expect(throws: SignedNoteError(.noKnownSignature, "")) { try note.verify(with: [other]) }
        // Changing one character of the text breaks the signature.
        let tampered = try SignedNote(parsing: v.text.replacingOccurrences(of: "answer", with: "Answer") + "\n" + v.signature_line + "\n")
        #expect(throws: SignedNoteError(.invalidSignature, "")) { try tampered.verify(with: [verifier]) }
    }

    @Test("verifier keys parse, round-trip, and reject wrong IDs and types")
    func verifierKeys() throws {
        let signer = try Ed25519NoteSigner.generate(name: "attest.example.com/default")
        let vkey = signer.verifierKey
        let parsed = try Ed25519NoteVerifier(verifierKey: vkey)
        #expect(parsed.verifierKey == vkey)
        #expect(parsed.keyID == signer.keyID)
        #expect(parsed.publicKey == signer.publicKey)
        let parts = vkey.split(separator: "+", maxSplits: 2).map(String.init)
        let wrongID = "\(parts[0])+00000000+\(parts[2])"
        #expect(throws: NoteKeyError.self) { try Ed25519NoteVerifier(verifierKey: wrongID) }
        var raw = Array(Data(base64Encoded: parts[2])!)
        raw[0] = 0x02
        #expect(throws: NoteKeyError.self) {
            try Ed25519NoteVerifier(verifierKey: "\(parts[0])+\(parts[1])+\(Data(raw).base64EncodedString())")
        }
        #expect(throws: NoteKeyError.self) { try Ed25519NoteVerifier(verifierKey: "nameonly") }
        #expect(throws: NoteKeyError.self) { try Ed25519NoteSigner.generate(name: "has space") }
        #expect(throws: NoteKeyError.self) { try Ed25519NoteSigner.generate(name: "has+plus") }
        #expect(throws: NoteKeyError.self) { try Ed25519NoteSigner.generate(name: "") }
    }

    @Test("renamed keys keep the seed but change name and key ID")
    func renamed() throws {
        let base = try Ed25519NoteSigner.generate(name: "base")
        let a = try base.renamed("x/a")
        let b = try base.renamed("x/b")
        #expect(a.publicKey == b.publicKey)
        #expect(a.keyID != b.keyID)
        let note = try SignedNote.sign("hello\n", with: [a])
        #expect(throws: SignedNoteError.self) { try note.verify(with: [b.verifier]) }
        #expect(try note.verify(with: [a.verifier]).count == 1)
    }

    @Test("signatures by unknown keys are ignored; a known bad one is an error")
    func multipleSignatures() throws {
        let a = try Ed25519NoteSigner.generate(name: "a")
        let b = try Ed25519NoteSigner.generate(name: "b")
        let note = try SignedNote.sign("text\n", with: [a, b])
        let reparsed = try SignedNote(parsing: note.serialized)
        #expect(reparsed == note)
        #expect(try reparsed.verify(with: [b.verifier]).map(\.name) == ["b"])
        #expect(try reparsed.verify(with: [a.verifier, b.verifier]).count == 2)
        var sigs = note.signatures
        sigs[1] = NoteSignature(name: "b", keyID: b.keyID, signature: sigs[0].signature)
        let forged = SignedNote(text: note.text, signatures: sigs)
        #expect(throws: SignedNoteError(.invalidSignature, "")) { try forged.verify(with: [a.verifier, b.verifier]) }
    }

    @Test(
        "malformed notes are refused",
        arguments: [
            "no blank line\n\u{2014} a AAAAAAAA\n",
            "text\n\n",
            "text\n\nnot a signature line\n",
            "text\n\n\u{2014} a !!notbase64!!\n",
            "text\n\n\u{2014} a AAAA\n",
            "text\n\n\u{2014} a AAAAAAAA",
            "te\u{7}xt\n\n\u{2014} a AAAAAAAA\n",
            "text\n\n\u{2014} has+plus AAAAAAAA\n",
        ]
    )
    func malformed(_ note: String) {
        #expect(throws: SignedNoteError(.malformed, "")) { try SignedNote(parsing: note) }
    }

    @Test("checkpoints serialize as C2SP tlog-checkpoint and parse strictly")
    func checkpoints() throws {
        let root = Merkle.leafHash(Array("x".utf8))
        let c = Checkpoint(origin: "attest.example.com/default", size: 42, root: root)
        #expect(c.text == "attest.example.com/default\n42\n\(root.base64)\n")
        #expect(try Checkpoint(parsing: c.text) == c)
        let signer = try Ed25519NoteSigner.generate(name: "attest.example.com/default")
        let signed = try SignedCheckpoint(signing: c, with: signer)
        #expect(try SignedCheckpoint(verifying: signed.serialized, with: signer.verifier).checkpoint == c)
        let other = try Ed25519NoteSigner.generate(name: "attest.example.com/other")
        #expect(throws: SignedNoteError.self) { try SignedCheckpoint(signing: c, with: other) }
        #expect(throws: SignedNoteError.self) { try SignedCheckpoint(verifying: signed.serialized, with: other.verifier) }
        for bad in ["o\n042\n\(root.base64)\n", "o\n-1\n\(root.base64)\n", "o\n1\nAAAA\n", "o\n1\n", "\n1\n\(root.base64)\n", "o\n1\n\(root.base64)"]
        {
            #expect(throws: SignedNoteError.self, "\(bad)") { try Checkpoint(parsing: bad) }
        }
    }
}
