import AttestCore
import CPKCS11
import Crypto
import Synchronization

/// A signing key inside a PKCS#11 token (an HSM, or SoftHSM2): generated there, never extractable;
/// Attest only asks it to sign. Ed25519 where the token has it (C2SP signed-note type 0x01, the same
/// verifier keys as software keys), else ECDSA NIST P-256 with SHA-256 (type 0x02).
public final class PKCS11Key: Sendable {
    /// The signature algorithm of a key in the token.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// Ed25519 (CKK_EC_EDWARDS, CKM_EDDSA): note signature type 0x01.
        case ed25519
        /// ECDSA on NIST P-256 over SHA-256 (CKK_EC, CKM_ECDSA): note signature type 0x02.
        case ecdsaP256 = "ecdsa-p256"

        /// The name used in messages.
        var displayName: String {
            switch self {
            case .ed25519: "Ed25519"
            case .ecdsaP256: "ECDSA P-256"
            }
        }
    }

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
        /// The key's algorithm; nil chooses automatically: a new key is Ed25519 when the token
        /// supports CKM_EDDSA (and Ed25519 key generation), else ECDSA P-256; an existing key is
        /// whichever of the two the token holds under the label.
        public var algorithm: Algorithm?
        public init(module: String, tokenLabel: String, pin: String, keyLabel: String, algorithm: Algorithm? = nil) {
            self.module = module
            self.tokenLabel = tokenLabel
            self.pin = pin
            self.keyLabel = keyLabel
            self.algorithm = algorithm
        }
    }

    /// The module is called by one thread at a time (C_Initialize was given no locking callbacks).
    let context: Mutex<OpaquePointer>
    /// The key's algorithm.
    public let algorithm: Algorithm
    /// The public key: for Ed25519 the raw 32 bytes, for ECDSA P-256 the DER SubjectPublicKeyInfo
    /// (as C2SP signed-note type 0x02 keys carry it).
    public let publicKey: [UInt8]

    init(context: sending OpaquePointer, algorithm: Algorithm, publicKey: [UInt8]) {
        self.context = Mutex(context)
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    deinit { context.withLock { attest_p11_close($0) } }

    static func message(_ err: [CChar]) -> String {
        String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Opens the token and finds the key; with `create`, generates it when it does not exist yet
    /// (and refuses to when the label already names an Ed25519 or P-256 key).
    public static func open(_ config: Config, create: Bool = false) throws(PKCS11Error) -> PKCS11Key {
        var err = [CChar](repeating: 0, count: 512)
        guard let ctx = attest_p11_open(config.module, config.tokenLabel, config.pin, &err, err.count) else {
            throw PKCS11Error(message(err))
        }
        let selected: (algorithm: Algorithm, publicKey: [UInt8])
        do {
            selected = try select(ctx, config, create: create)
        } catch {
            attest_p11_close(ctx)
            throw error
        }
        return PKCS11Key(context: ctx, algorithm: selected.algorithm, publicKey: selected.publicKey)
    }

    /// The outcome of looking for one kind of key under a label.
    enum Lookup {
        case found([UInt8])
        case none
        case failed(String)
    }

    /// Finds the `algorithm` key labelled `label` (and makes it the one that signs); the public key
    /// as the token gives it (raw Ed25519 key, or the 65-byte uncompressed P-256 point).
    static func find(_ ctx: OpaquePointer, _ algorithm: Algorithm, label: String) -> Lookup {
        var err = [CChar](repeating: 0, count: 512)
        var key = [UInt8](repeating: 0, count: algorithm == .ed25519 ? 32 : 65)
        var len = key.count
        let rc =
            switch algorithm {
            case .ed25519: attest_p11_find_ed25519(ctx, label, &key, &err, err.count)
            case .ecdsaP256: attest_p11_find_p256(ctx, label, &key, &len, &err, err.count)
            }
        switch rc {
        case 0: return .found(Array(key.prefix(len)))
        case 1: return .none
        default: return .failed(message(err))
        }
    }

    /// Generates an `algorithm` key labelled `label` (and makes it the one that signs).
    static func generate(_ ctx: OpaquePointer, _ algorithm: Algorithm, label: String) throws(PKCS11Error) -> [UInt8] {
        var err = [CChar](repeating: 0, count: 512)
        var key = [UInt8](repeating: 0, count: algorithm == .ed25519 ? 32 : 65)
        var len = key.count
        let rc =
            switch algorithm {
            case .ed25519: attest_p11_generate_ed25519(ctx, label, &key, &err, err.count)
            case .ecdsaP256: attest_p11_generate_p256(ctx, label, &key, &len, &err, err.count)
            }
        guard rc == 0 else { throw PKCS11Error(message(err)) }
        return Array(key.prefix(len))
    }

    /// Finds (or with `create`, generates) the key `config` names and returns its algorithm and
    /// public key (``publicKey``'s form); the context then signs with it.
    static func select(_ ctx: OpaquePointer, _ config: Config, create: Bool) throws(PKCS11Error) -> (algorithm: Algorithm, publicKey: [UInt8]) {
        let label = config.keyLabel
        let token = config.tokenLabel
        let eddsa = attest_p11_supports_eddsa(ctx)
        // The kinds of key to look for under the label: the configured one when opening; every kind
        // when opening automatically, and when creating (a label names one key). Ed25519 keys are not
        // looked for in a token that lists no EdDSA (it could not sign with them).
        let kinds: [Algorithm]
        if let fixed = config.algorithm, !create {
            kinds = [fixed]
        } else {
            kinds = eddsa == 0 ? [.ecdsaP256] : [.ed25519, .ecdsaP256]
        }
        var found: [(algorithm: Algorithm, key: [UInt8])] = []
        for kind in kinds {
            switch find(ctx, kind, label: label) {
            case .found(let key): found.append((kind, key))
            case .none: break
            case .failed(let message): throw PKCS11Error(message)
            }
        }
        let algorithm: Algorithm
        let raw: [UInt8]
        if create {
            if let existing = found.first {
                throw PKCS11Error(
                    "the token \(token) already holds a key labelled \(label) (\(existing.algorithm.displayName)); not making another"
                )
            }
            if let fixed = config.algorithm {
                algorithm = fixed
            } else {
                switch eddsa {
                case 1: algorithm = .ed25519
                case 0: algorithm = .ecdsaP256
                default:
                    throw PKCS11Error(
                        "cannot read the mechanism list of token \(token) to choose between Ed25519 and ECDSA P-256; set the algorithm"
                    )
                }
            }
            raw = try generate(ctx, algorithm, label: label)
        } else {
            switch found.count {
            case 0:
                let what = config.algorithm.map(\.displayName) ?? "Ed25519 or ECDSA P-256"
                throw PKCS11Error("no \(what) key labelled \(label) in token \(token): run attest keys hsm-init")
            case 1:
                algorithm = found[0].algorithm
                raw = found[0].key
            default:
                throw PKCS11Error(
                    "the token \(token) holds both an Ed25519 and an ECDSA P-256 key labelled \(label); set the algorithm to choose one"
                )
            }
        }
        // The context signs with the key found or generated last: it must be this one.
        let selected = attest_p11_key_algorithm(ctx)
        guard selected == (algorithm == .ed25519 ? ATTEST_P11_ED25519 : ATTEST_P11_ECDSA_P256) else {
            throw PKCS11Error("internal error: the token context selected key algorithm \(selected), not \(algorithm.displayName)")
        }
        switch algorithm {
        case .ed25519:
            return (algorithm, raw)
        case .ecdsaP256:
            guard let key = try? P256.Signing.PublicKey(x963Representation: raw) else {
                throw PKCS11Error("the token's ECDSA public key \(label) is not a valid P-256 point")
            }
            return (algorithm, Array(key.derRepresentation))
        }
    }

    /// Signs `message` inside the token. Ed25519: the 64-byte signature of `message`. ECDSA P-256:
    /// the token signs SHA-256(`message`); the signature is returned in ASN.1 DER (as C2SP
    /// signed-note type 0x02 carries it).
    public func sign(_ message: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        let input = algorithm == .ed25519 ? message : Array(SHA256.hash(data: message))
        var sig = [UInt8](repeating: 0, count: 64)
        var err = [CChar](repeating: 0, count: 256)
        let rc = context.withLock { ctx in attest_p11_sign(ctx, input, input.count, &sig, &err, err.count) }
        guard rc == 0 else { throw PKCS11Error(Self.message(err)) }
        switch algorithm {
        case .ed25519:
            return sig
        case .ecdsaP256:
            // The token returns r || s, 32 bytes each.
            guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: sig) else {
                throw PKCS11Error("the token returned a malformed ECDSA signature")
            }
            return Array(ecdsa.derRepresentation)
        }
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

/// A note signer whose key is in the token; the name (and so the key ID) is the log origin. The
/// key ID and verifier key follow C2SP signed-note for the key's type: 0x01 for Ed25519, 0x02 for
/// ECDSA P-256 (key ID = SHA-256 of the DER SubjectPublicKeyInfo, first four bytes).
public struct PKCS11NoteSigner: NoteSigner {
    public let name: String
    public let keyID: UInt32
    /// The verifier of this signer's signatures: an ``Ed25519NoteVerifier`` or a ``P256NoteVerifier``.
    public let verifier: any NoteVerifier
    let key: PKCS11Key

    public init(name: String, key: PKCS11Key) throws(NoteKeyError) {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        let verifier: any NoteVerifier
        switch key.algorithm {
        case .ed25519: verifier = try Ed25519NoteVerifier(name: name, publicKey: key.publicKey)
        case .ecdsaP256: verifier = try P256NoteVerifier(name: name, spki: key.publicKey)
        }
        self.name = name
        self.key = key
        self.verifier = verifier
        self.keyID = verifier.keyID
    }

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
