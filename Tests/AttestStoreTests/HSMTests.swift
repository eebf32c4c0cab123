import AttestCore
import AttestHSM
import AttestStore
import AttestTesting
import Foundation
import Testing

/// Signing inside a real PKCS#11 token: SoftHSM2, which scripts/test installs from Debian's
/// packages and initializes (ATTEST_TEST_HSM_MODULE, ATTEST_TEST_HSM_TOKEN, ATTEST_TEST_HSM_PIN,
/// SOFTHSM2_CONF).
@Suite(
    // One test at a time: a PKCS#11 login belongs to the whole process, so a wrong-PIN check must
    // not run while another test's session is logged in.
    .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["ATTEST_TEST_HSM_MODULE"] != nil || TestEnvironment.integrationRequired,
        "HSM tests need a PKCS#11 token: scripts/test initializes SoftHSM2 and sets ATTEST_TEST_HSM_*; under ATTEST_INTEGRATION=1 they fail instead"
    )
)
struct HSMTests {
    static func config(label: String = "attest-test-" + UUID().uuidString.prefix(8).lowercased(), pin: String? = nil) throws -> PKCS11Key.Config {
        let env = ProcessInfo.processInfo.environment
        guard let module = env["ATTEST_TEST_HSM_MODULE"], let token = env["ATTEST_TEST_HSM_TOKEN"], let userPin = env["ATTEST_TEST_HSM_PIN"] else {
            throw PKCS11Error("ATTEST_TEST_HSM_MODULE, ATTEST_TEST_HSM_TOKEN and ATTEST_TEST_HSM_PIN are not set (scripts/test sets them)")
        }
        return PKCS11Key.Config(module: module, tokenLabel: token, pin: pin ?? userPin, keyLabel: label)
    }

    @Test("a key made in the token is not extractable, signs Ed25519 notes, and is found again by its label")
    func keyLifecycle() throws {
        let config = try Self.config()
        let key = try PKCS11Key.open(config, create: true)
        // SoftHSM2 has CKM_EDDSA, so the automatic choice is Ed25519.
        #expect(key.algorithm == .ed25519)
        #expect(key.publicKey.count == 32)
        #expect(key.extractable == false)
        #expect(throws: PKCS11Error.self) { try PKCS11Key.open(config, create: true) }
        let again = try PKCS11Key.open(config)
        #expect(again.publicKey == key.publicKey)
        let signer = try PKCS11NoteSigner(name: "hsm.test/default", key: again)
        let note = try SignedNote.sign("hsm.test/default\n1\n\(Hash256.zero.base64)\n", with: [signer])
        // Verified by the ordinary software verifier: the token's signatures are plain Ed25519.
        let verifier = try Ed25519NoteVerifier(verifierKey: signer.verifierKey)
        #expect(try note.verify(with: [verifier]).count == 1)
        var missing = config
        missing.keyLabel = "no-such-key"
        #expect(throws: PKCS11Error.self) { try PKCS11Key.open(missing) }
    }

    @Test("an ECDSA P-256 key made in the token is not extractable, signs type-0x02 notes, and is found again automatically")
    func p256KeyLifecycle() throws {
        var config = try Self.config()
        config.algorithm = .ecdsaP256
        let key = try PKCS11Key.open(config, create: true)
        #expect(key.algorithm == .ecdsaP256)
        #expect(key.extractable == false)
        // The DER SubjectPublicKeyInfo of an uncompressed P-256 point: 26 bytes of header, 65 of point.
        #expect(key.publicKey.count == 91)
        #expect(throws: PKCS11Error.self) { try PKCS11Key.open(config, create: true) }

        let origin = "hsm.test/p256"
        let signer = try PKCS11NoteSigner(name: origin, key: key)
        let text = "\(origin)\n1\n\(Hash256.zero.base64)\n"
        let note = try SignedNote.sign(text, with: [signer])
        // A type-0x02 verifier key, read by the ordinary parser: the token's signatures are plain
        // ECDSA P-256 over SHA-256, DER-encoded.
        #expect(signer.verifierKey.hasPrefix("\(origin)+\(NoteKeyName.hex8(signer.keyID))+"))
        let parsed = try NoteVerifiers.parse(signer.verifierKey)
        #expect(parsed is P256NoteVerifier)
        #expect(parsed.keyID == signer.keyID)
        #expect(try note.verify(with: [parsed]).count == 1)
        let direct = try P256NoteVerifier(name: origin, spki: key.publicKey)
        #expect(direct.keyID == P256NoteVerifier.keyID(spki: key.publicKey))
        #expect(direct.verifierKey == signer.verifierKey)
        #expect(signer.verifier.verifierKey == signer.verifierKey)
        #expect(try SignedNote(parsing: note.serialized).verify(with: [direct]).count == 1)
        #expect(direct.verify(Array(text.utf8), signature: note.signatures[0].signature))

        // The same signature over another message does not verify.
        let modified = "\(origin)\n2\n\(Hash256.zero.base64)\n"
        #expect(!direct.verify(Array(modified.utf8), signature: note.signatures[0].signature))
        do {
            try SignedNote(text: modified, signatures: note.signatures).verify(with: [parsed])
            Issue.record("a modified note verified")
        } catch { #expect(error.code == .invalidSignature) }

        // Opened again with the algorithm left automatic, the label finds the same P-256 key (even
        // though the token also supports Ed25519), and it still signs.
        var automatic = config
        automatic.algorithm = nil
        let again = try PKCS11Key.open(automatic)
        #expect(again.algorithm == .ecdsaP256)
        #expect(again.publicKey == key.publicKey)
        let againSigner = try PKCS11NoteSigner(name: origin, key: again)
        #expect(againSigner.verifierKey == signer.verifierKey)
        #expect(try SignedNote.sign(text, with: [againSigner]).verify(with: [parsed]).count == 1)
        // A label names one key, whatever its algorithm; and the Ed25519 search ignores P-256 keys.
        #expect(throws: PKCS11Error.self) { try PKCS11Key.open(automatic, create: true) }
        var ed25519 = config
        ed25519.algorithm = .ed25519
        #expect(throws: PKCS11Error.self) { try PKCS11Key.open(ed25519) }
    }

    @Test("a wrong PIN, an unknown token and a missing module are named")
    func errors() throws {
        var config = try Self.config()
        config.pin = "0000"
        do {
            _ = try PKCS11Key.open(config)
            Issue.record("opened with a wrong PIN")
        } catch { #expect(error.reason.contains("C_Login")) }
        config = try Self.config()
        config.tokenLabel = "no-such-token"
        do {
            _ = try PKCS11Key.open(config)
            Issue.record("opened a missing token")
        } catch { #expect(error.reason.contains("no PKCS#11 token labelled \"no-such-token\"")) }
        config.module = "/nonexistent/libpkcs11.so"
        do {
            _ = try PKCS11Key.open(config)
            Issue.record("loaded a missing module")
        } catch { #expect(error.reason.contains("cannot load PKCS#11 module")) }
    }

    @Test("a ledger signed by the token verifies with its verifier key, and every tenant gets its own name")
    func ledgerSignedInTheToken() async throws {
        let key = try PKCS11Key.open(try Self.config(), create: true)
        let dir = try TestEnvironment.temporaryDirectory("attest-hsm")
        let signers = PKCS11LogSigners(key: key)
        let store = try SQLiteLedgerStore(
            path: dir.appendingPathComponent("ledger.sqlite").path,
            signers: signers,
            options: .init(signEntries: true, originPrefix: "hsm.test")
        )
        for tenant in ["alpha", "beta"] {
            for batch in 0..<3 {
                _ = try await store.append(tenant: tenant, events: Fixtures.events(7, from: batch * 7), receivedAt: .now())
            }
            let vkey = try Ed25519NoteVerifier(verifierKey: try signers.verifierKey(forOrigin: "hsm.test/\(tenant)"))
            let report = await StoreVerifier.verify(store: store, tenant: tenant, key: vkey)
            #expect(report.ok, "\(report)")
            #expect(report.signaturesChecked == 21)
        }
        // A software key of the same name does not verify what the token signed.
        let impostor = try Ed25519NoteSigner.generate(name: "hsm.test/alpha").verifier
        #expect(await StoreVerifier.verify(store: store, tenant: "alpha", key: impostor).failure != nil)
    }
}
