import AttestCore
import CPKCS11
import Synchronization

/// An Ed25519 key inside a PKCS#11 token (an HSM, or SoftHSM2): generated there, never
/// extractable; Attest only asks it to sign. Signatures are ordinary Ed25519, so notes it signs
/// are C2SP signed-note type 0x01 and verify with the same verifier keys as software keys.
public final class PKCS11Key: Sendable {
    /// Where the token and key are.
    public struct Config: Sendable, Hashable {
        /// The module (shared library) path, e.g. /usr/lib/softhsm/libsofthsm2.so.
        public var module: String
        /// The token label.
        public var tokenLabel: String
        /// The user PIN.
        public var pin: String
        /// The key's label (CKA_LABEL) inside the token.
        public var keyLabel: String
        public init(module: String, tokenLabel: String, pin: String, keyLabel: String) {
            self.module = module
            self.tokenLabel = tokenLabel
            self.pin = pin
            self.keyLabel = keyLabel
        }
    }

    /// The module is called by one thread at a time (C_Initialize was given no locking callbacks).
    let context: Mutex<OpaquePointer>
    /// The raw Ed25519 public key.
    public let publicKey: [UInt8]

    init(context: sending OpaquePointer, publicKey: [UInt8]) {
        self.context = Mutex(context)
        self.publicKey = publicKey
    }

    deinit { context.withLock { attest_p11_close($0) } }

    static func message(_ err: [CChar]) -> String {
        String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Opens the token and finds the key; with `create`, generates it when it does not exist yet
    /// (and refuses to when it does).
    public static func open(_ config: Config, create: Bool = false) throws(PKCS11Error) -> PKCS11Key {
        var err = [CChar](repeating: 0, count: 512)
        guard let ctx = attest_p11_open(config.module, config.tokenLabel, config.pin, &err, err.count) else {
            throw PKCS11Error(message(err))
        }
        var pub = [UInt8](repeating: 0, count: 32)
        let found = attest_p11_find_ed25519(ctx, config.keyLabel, &pub, &err, err.count)
        switch (found, create) {
        case (0, false):
            return PKCS11Key(context: ctx, publicKey: pub)
        case (0, true):
            attest_p11_close(ctx)
            throw PKCS11Error("the token \(config.tokenLabel) already holds a key labelled \(config.keyLabel); not making another")
        case (1, true):
            guard attest_p11_generate_ed25519(ctx, config.keyLabel, &pub, &err, err.count) == 0 else {
                attest_p11_close(ctx)
                throw PKCS11Error(message(err))
            }
            return PKCS11Key(context: ctx, publicKey: pub)
        case (1, false):
            attest_p11_close(ctx)
            throw PKCS11Error("no Ed25519 key labelled \(config.keyLabel) in token \(config.tokenLabel): run attest keys hsm-init")
        default:
            attest_p11_close(ctx)
            throw PKCS11Error(message(err))
        }
    }

    /// Ed25519 over `message`, computed inside the token.
    public func sign(_ message: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: 64)
        var err = [CChar](repeating: 0, count: 256)
        let rc = context.withLock { ctx in attest_p11_sign(ctx, message, message.count, &sig, &err, err.count) }
        guard rc == 0 else { throw PKCS11Error(Self.message(err)) }
        return sig
    }

    /// Whether the token says the private key may leave it (it must say false).
    public var extractable: Bool? {
        switch context.withLock({ attest_p11_private_key_extractable($0) }) {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }
}

/// A PKCS#11 failure, with the module's error code where there is one.
public struct PKCS11Error: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A note signer whose key is in the token; the name (and so the key ID) is the log origin.
public struct PKCS11NoteSigner: NoteSigner {
    public let name: String
    public let keyID: UInt32
    let key: PKCS11Key

    public init(name: String, key: PKCS11Key) throws(NoteKeyError) {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        self.name = name
        self.key = key
        self.keyID = NoteKeyName.keyID(name: name, type: NoteKeyName.ed25519Type, publicKey: key.publicKey)
    }

    public var verifier: Ed25519NoteVerifier { try! Ed25519NoteVerifier(name: name, publicKey: key.publicKey) }

    public var verifierKey: String { verifier.verifierKey }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { try key.sign(message) }
}

/// Every log of the installation signed by the one key in the token, named per log (as
/// ``Ed25519LogSigners`` does with a software seed).
public struct PKCS11LogSigners: LogSigners {
    public let key: PKCS11Key
    public init(key: PKCS11Key) { self.key = key }
    public func signer(forOrigin origin: String) throws -> any NoteSigner { try PKCS11NoteSigner(name: origin, key: key) }
    public func verifierKey(forOrigin origin: String) throws -> String { try PKCS11NoteSigner(name: origin, key: key).verifier.verifierKey }
}
