import AttestCore
import AttestStore
import AttestTesting
import Foundation
import Testing

/// One software ECDSA P-256 key for every log, named per log (as the installation key is).
struct P256LogSigners: LogSigners {
    let key: P256NoteSigner
    func signer(forOrigin origin: String) throws -> any NoteSigner { try key.renamed(origin) }
    func verifierKey(forOrigin origin: String) throws -> String { try key.renamed(origin).verifierKey }
}

/// Key rotation through the store (FORMAT §5, Key rotation) on every backend.
@Suite("Key rotation in the store")
struct KeyRotationStoreTests {
    @Test("rotate: entry and handover checkpoint signed by both keys, old key refused after, history verifies", arguments: Backend.enabled)
    func rotate(_ backend: Backend) async throws {
        let s = try await BackendStore.make(backend, signEntries: true)
        try await s.fill(25, batch: 10)
        try await s.fill(5, batch: 5, tenant: "globex")
        let k0 = try s.verifier()
        let newKey = try P256NoteSigner(name: "installation")
        let k1 = try newKey.renamed("attest.test/default")

        let result = try await s.store.rotateKey(tenant: "default", to: k1, receivedAt: .now())
        #expect(result.rotation.seq == 25)
        #expect(result.rotation.oldKey == k0.verifierKey && result.rotation.newKey == k1.verifierKey)
        #expect(result.checkpoint.size == 26)
        // The handover checkpoint carries both keys' signatures.
        let note = try SignedNote(parsing: result.checkpoint.note)
        #expect(note.signatures.count == 2)
        #expect(try note.verify(with: [k0]).count == 1)
        #expect(try note.verify(with: [k1.verifier]).count == 1)
        // The entry is in the log, with the reserved action, indexed like any other.
        let rows = try await s.store.entries(tenant: "default", from: 25, limit: 1)
        let entry = try LedgerEntry(parsing: JSONParser.parse(rows[0].bytes, limits: .ledger))
        #expect(KeyRotation.isRotation(entry.event))
        #expect(rows[0].signature != nil)  // signed by the old key, which was in effect for it

        // History and keys by size.
        let history = try await s.store.keyHistory(tenant: "default")
        #expect(
            history == [
                LogKey(fromSize: 0, verifierKey: k0.verifierKey, rotationSeq: nil),
                LogKey(fromSize: 26, verifierKey: k1.verifierKey, rotationSeq: 25),
            ]
        )
        #expect(try await s.store.verifierKey(tenant: "default") == k1.verifierKey)
        #expect(try await s.store.verifierKey(tenant: "default", atSize: 25) == k0.verifierKey)
        #expect(try await s.store.verifierKey(tenant: "globex") == (try s.key.renamed("attest.test/globex").verifierKey))

        // The store still configured with the old key can no longer extend the log.
        do {
            try await s.fill(1, batch: 1, from: 100)
            Issue.record("the old key appended after the rotation")
        } catch let e as StoreError {
            #expect(e.code == .conflict && e.reason.contains("key rotation"))
        }
        // Rotating to the key already in effect is refused.
        await #expect(throws: StoreError.self) { _ = try await s.store.rotateKey(tenant: "default", to: k1, receivedAt: .now()) }

        // A node with the new key appends; each log's mismatch is named.
        let rotated = try await s.reopen(signers: P256LogSigners(key: newKey), signEntries: true)
        #expect(try await rotated.keyMismatches(signers: P256LogSigners(key: newKey)).count == 1)  // globex is still on the old key
        #expect(try await rotated.keyMismatches(signers: Ed25519LogSigners(key: s.key)).count == 1)  // default moved on
        let after = try await fillStore(rotated, 10, batch: 5, tenant: "default", from: 200)
        #expect(after?.checkpoint.size == 36)
        #expect(throws: Never.self) { try SignedCheckpoint(verifying: after!.checkpoint.note, with: k1.verifier) }
        // An old size without a stored checkpoint cannot be signed by the new key; a stored one is served.
        await #expect(throws: StoreError.self) { _ = try await rotated.checkpoint(tenant: "default", size: 13) }
        #expect(try await rotated.checkpoint(tenant: "default", size: 20).size == 20)

        // The whole log verifies with either key pinned, and not with a stranger's.
        for pinned in [k0 as any NoteVerifier, k1.verifier] {
            let report = await StoreVerifier.verify(store: rotated, tenant: "default", key: pinned)
            #expect(report.ok, "\(report)")
            #expect(report.keyHistory == [k0.verifierKey, k1.verifierKey])
            #expect(report.signaturesChecked == 36)
        }
        let stranger = try Ed25519NoteSigner.generate(name: "attest.test/default").verifier
        let bad = await StoreVerifier.verify(store: rotated, tenant: "default", key: stranger)
        #expect(bad.failure?.code == .keyMismatch)
        #expect(try await s.verify("globex").ok)
    }
}
