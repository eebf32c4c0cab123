import Crypto
import Foundation

/// Signs the text of a C2SP signed note.
///
/// Implementations may keep the key in memory (``Ed25519NoteSigner``) or in a hardware token.
public protocol NoteSigner: Sendable {
    /// The key name, which for Attest logs is the log origin.
    var name: String { get }
    /// The 4-byte key ID, as defined by C2SP signed-note for this key's type.
    var keyID: UInt32 { get }
    /// The verifier key string (`name+hex8+base64`) that checks this signer's signatures.
    var verifierKey: String { get }
    /// Signs `message` and returns the raw signature bytes (without the key ID).
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

/// Checks signatures made by one named key of a C2SP signed note.
public protocol NoteVerifier: Sendable {
    /// The key name.
    var name: String { get }
    /// The 4-byte key ID.
    var keyID: UInt32 { get }
    /// The verifier key string (`name+hex8+base64(type ‖ public key)`).
    var verifierKey: String { get }
    /// Returns whether `signature` is a valid signature of `message` by this key.
    func verify(_ message: [UInt8], signature: [UInt8]) -> Bool
}

/// Errors about key strings: malformed, wrong type, or a key ID that does not match.
public struct NoteKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Key names and IDs as C2SP signed-note defines them.
public enum NoteKeyName {
    /// Signature type byte for Ed25519 keys.
    public static let ed25519Type: UInt8 = 0x01
    /// Signature type byte for ECDSA keys (Attest supports NIST P-256 with SHA-256 only).
    public static let ecdsaType: UInt8 = 0x02

    /// Whether `name` is a valid key name: non-empty, valid UTF-8, no Unicode white space, no `+`.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        for scalar in name.unicodeScalars {
            if scalar == "+" || scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F {
                return false
            }
        }
        return true
    }

    /// The key ID: the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key), big-endian.
    public static func keyID(name: String, type: UInt8, publicKey: some Collection<UInt8>) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8))
        hasher.update(data: [0x0A, type])
        hasher.update(data: Array(publicKey))
        let digest = Array(hasher.finalize())
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// Eight lower-case hex digits of a key ID.
    public static func hex8(_ keyID: UInt32) -> String {
        let s = String(keyID, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    /// Splits `name+hex8+base64` into its parts at the first `expectedParts - 1` plus signs
    /// (base64 itself may contain `+`).
    static func split(_ key: String, expectedParts: Int) throws(NoteKeyError) -> [Substring] {
        let parts = key.split(separator: "+", maxSplits: expectedParts - 1, omittingEmptySubsequences: false)
        guard parts.count == expectedParts else {
            throw NoteKeyError("key must have the form name+hex8+base64")
        }
        return parts
    }

    static func parseHex8(_ s: Substring) throws(NoteKeyError) -> UInt32 {
        guard s.count == 8, s.allSatisfy({ $0.isHexDigit && ($0.isNumber || $0.isLowercase) }),
            let id = UInt32(s, radix: 16)
        else {
            throw NoteKeyError("key ID must be 8 lower-case hex digits, got \"\(s)\"")
        }
        return id
    }
}

/// An Ed25519 key that signs notes (C2SP signed-note type 0x01). Ed25519 is deterministic.
public struct Ed25519NoteSigner: NoteSigner {
    public let name: String
    public let keyID: UInt32
    private let key: Curve25519.Signing.PrivateKey

    /// A signer for `name` from a 32-byte Ed25519 seed.
    public init(name: String, seed: some Collection<UInt8>) throws(NoteKeyError) {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        let seedBytes = Array(seed)
        guard seedBytes.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seedBytes) else {
            throw NoteKeyError("an Ed25519 seed is 32 bytes")
        }
        self.name = name
        self.key = key
        self.keyID = NoteKeyName.keyID(name: name, type: NoteKeyName.ed25519Type, publicKey: key.publicKey.rawRepresentation)
        self.verifierKey =
            "\(name)+\(NoteKeyName.hex8(keyID))+" + Data([NoteKeyName.ed25519Type] + key.publicKey.rawRepresentation).base64EncodedString()
    }

    /// A fresh random key named `name`.
    public static func generate(name: String) throws(NoteKeyError) -> Ed25519NoteSigner {
        let seed = Curve25519.Signing.PrivateKey().rawRepresentation
        return try Ed25519NoteSigner(name: name, seed: seed)
    }

    /// Parses a private key string `PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)`.
    public init(privateKey: String) throws(NoteKeyError) {
        let trimmed = privateKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = try NoteKeyName.split(trimmed, expectedParts: 5)
        guard parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw NoteKeyError("a private key starts with PRIVATE+KEY+")
        }
        let id = try NoteKeyName.parseHex8(parts[3])
        guard let raw = Data(base64Encoded: String(parts[4])), raw.count == 33, raw.first == NoteKeyName.ed25519Type else {
            throw NoteKeyError("private key data must be base64 of 0x01 followed by a 32-byte Ed25519 seed")
        }
        try self.init(name: String(parts[2]), seed: raw.dropFirst())
        guard id == keyID else { throw NoteKeyError("private key ID \(parts[3]) does not match the key") }
    }

    /// The 32-byte seed. Handle with care.
    public var seed: [UInt8] { Array(key.rawRepresentation) }

    /// The raw 32-byte public key.
    public var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }

    /// `PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)`.
    public var privateKeyString: String {
        "PRIVATE+KEY+\(name)+\(NoteKeyName.hex8(keyID))+" + Data([NoteKeyName.ed25519Type] + seed).base64EncodedString()
    }

    /// `name+hex8+base64(0x01 ‖ public key)`, made once: every commit compares it with the key in
    /// effect.
    public let verifierKey: String

    /// The same key material under another name (each Attest log signs under its own origin).
    public func renamed(_ newName: String) throws(NoteKeyError) -> Ed25519NoteSigner {
        try Ed25519NoteSigner(name: newName, seed: seed)
    }

    /// A verifier for this signer's signatures.
    public var verifier: Ed25519NoteVerifier {
        // The public key comes from a valid private key, so this cannot fail.
        try! Ed25519NoteVerifier(name: name, publicKey: publicKey)
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: message))
    }
}

/// Checks Ed25519 note signatures (type 0x01) from a verifier key `name+hex8+base64(0x01 ‖ pub)`.
public struct Ed25519NoteVerifier: NoteVerifier, Hashable {
    public let name: String
    public let keyID: UInt32
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]

    /// A verifier for a name and a raw public key.
    public init(name: String, publicKey: [UInt8]) throws(NoteKeyError) {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        guard publicKey.count == 32 else { throw NoteKeyError("an Ed25519 public key is 32 bytes") }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKeyName.keyID(name: name, type: NoteKeyName.ed25519Type, publicKey: publicKey)
    }

    /// Parses `name+hex8+base64(0x01 ‖ pub)`, checking that the key ID matches.
    public init(verifierKey: String) throws(NoteKeyError) {
        let trimmed = verifierKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = try NoteKeyName.split(trimmed, expectedParts: 3)
        let id = try NoteKeyName.parseHex8(parts[1])
        guard let raw = Data(base64Encoded: String(parts[2])), raw.count >= 1 else {
            throw NoteKeyError("verifier key data is not base64")
        }
        guard raw.first == NoteKeyName.ed25519Type else {
            throw NoteKeyError("unsupported verifier key type 0x\(String(raw.first!, radix: 16)) (only Ed25519, 0x01)")
        }
        guard raw.count == 33 else { throw NoteKeyError("an Ed25519 verifier key holds 32 bytes after the type") }
        try self.init(name: String(parts[0]), publicKey: Array(raw.dropFirst()))
        guard id == keyID else { throw NoteKeyError("verifier key ID \(parts[1]) does not match the key") }
    }

    /// `name+hex8+base64(0x01 ‖ pub)`.
    public var verifierKey: String {
        "\(name)+\(NoteKeyName.hex8(keyID))+" + Data([NoteKeyName.ed25519Type] + publicKey).base64EncodedString()
    }

    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard signature.count == 64, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            return false
        }
        return key.isValidSignature(signature, for: message)
    }
}

/// Parses verifier keys of every type Attest signs with.
public enum NoteVerifiers {
    /// A verifier for `verifierKey`: Ed25519 (type 0x01) or ECDSA P-256 (type 0x02).
    public static func parse(_ verifierKey: String) throws(NoteKeyError) -> any NoteVerifier {
        let trimmed = verifierKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = try NoteKeyName.split(trimmed, expectedParts: 3)
        guard let raw = Data(base64Encoded: String(parts[2])), let type = raw.first else {
            throw NoteKeyError("verifier key data is not base64")
        }
        switch type {
        case NoteKeyName.ed25519Type: return try Ed25519NoteVerifier(verifierKey: trimmed)
        case NoteKeyName.ecdsaType: return try P256NoteVerifier(verifierKey: trimmed)
        default:
            throw NoteKeyError("unsupported verifier key type 0x\(String(type, radix: 16)) (Ed25519 0x01 and ECDSA P-256 0x02 are supported)")
        }
    }
}

/// Checks ECDSA P-256 note signatures (C2SP signed-note type 0x02, as transparency-dev/witness
/// implements it): the public key is DER SubjectPublicKeyInfo, the key ID is the first four bytes
/// of SHA-256 of those DER bytes alone, and signatures are ASN.1 DER over SHA-256 of the message.
public struct P256NoteVerifier: NoteVerifier, Hashable {
    public let name: String
    public let keyID: UInt32
    /// The DER SubjectPublicKeyInfo.
    public let spki: [UInt8]

    /// The key ID of a type-0x02 key: SHA-256(DER SPKI)[:4], big-endian.
    public static func keyID(spki: [UInt8]) -> UInt32 {
        let d = Array(SHA256.hash(data: spki))
        return UInt32(d[0]) << 24 | UInt32(d[1]) << 16 | UInt32(d[2]) << 8 | UInt32(d[3])
    }

    /// A verifier for a name and a DER SubjectPublicKeyInfo of a P-256 key.
    public init(name: String, spki: [UInt8]) throws(NoteKeyError) {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        guard let key = try? P256.Signing.PublicKey(derRepresentation: spki) else {
            throw NoteKeyError("an ECDSA verifier key must hold the DER SubjectPublicKeyInfo of a NIST P-256 key")
        }
        self.name = name
        // Kept as the canonical DER Swift Crypto writes, so a key has one spelling.
        self.spki = Array(key.derRepresentation)
        guard self.spki == spki else { throw NoteKeyError("the ECDSA public key is not in canonical DER (uncompressed point)") }
        self.keyID = Self.keyID(spki: spki)
    }

    /// Parses `name+hex8+base64(0x02 ‖ DER SPKI)`, checking that the key ID matches.
    public init(verifierKey: String) throws(NoteKeyError) {
        let trimmed = verifierKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = try NoteKeyName.split(trimmed, expectedParts: 3)
        let id = try NoteKeyName.parseHex8(parts[1])
        guard let raw = Data(base64Encoded: String(parts[2])), raw.first == NoteKeyName.ecdsaType else {
            throw NoteKeyError("an ECDSA verifier key is base64 of 0x02 followed by a DER SubjectPublicKeyInfo")
        }
        try self.init(name: String(parts[0]), spki: Array(raw.dropFirst()))
        guard id == keyID else { throw NoteKeyError("verifier key ID \(parts[1]) does not match the key") }
    }

    public var verifierKey: String {
        "\(name)+\(NoteKeyName.hex8(keyID))+" + Data([NoteKeyName.ecdsaType] + spki).base64EncodedString()
    }

    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard let key = try? P256.Signing.PublicKey(derRepresentation: spki),
            let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature)
        else { return false }
        return key.isValidSignature(sig, for: SHA256.hash(data: message))
    }
}

/// A software ECDSA P-256 note signer (type 0x02). Attest signs with ECDSA only inside an HSM that
/// lacks Ed25519; this one exists for tests and tools.
public struct P256NoteSigner: NoteSigner {
    public let name: String
    public let keyID: UInt32
    private let key: P256.Signing.PrivateKey

    public init(name: String, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) throws(NoteKeyError) {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        self.name = name
        self.key = key
        self.keyID = P256NoteVerifier.keyID(spki: Array(key.publicKey.derRepresentation))
    }

    public var verifier: P256NoteVerifier {
        // The public key comes from a valid private key, so this cannot fail.
        try! P256NoteVerifier(name: name, spki: Array(key.publicKey.derRepresentation))
    }

    public var verifierKey: String { verifier.verifierKey }

    /// The same key under another name.
    public func renamed(_ newName: String) throws(NoteKeyError) -> P256NoteSigner { try P256NoteSigner(name: newName, key: key) }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: SHA256.hash(data: message)).derRepresentation)
    }
}
