import Crypto
import Foundation

/// C2SP tlog-cosignature v1 with Ed25519 (signature type 0x04), hand-written from the
/// specification (no Swift library implements it): a witness's timestamped statement that a
/// checkpoint is the largest consistent tree it has seen for that log.
///
/// The signature line is `— <name> base64(keyID ‖ u64be(timestamp) ‖ ed25519 signature)`; the key ID
/// is `SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]`; the signed message is
/// `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint body. Both types plug into
/// ``SignedNote`` like any note key.
public enum Cosignature {
    /// The cosignature/v1 Ed25519 key type.
    public static let ed25519Type: UInt8 = 0x04

    /// The message a cosignature signs.
    public static func message(body: [UInt8], timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + body
    }
}

/// A witness key that cosigns checkpoints; the timestamp is the time of signing.
public struct Ed25519CosignatureSigner: NoteSigner {
    public let name: String
    public let keyID: UInt32
    private let key: Curve25519.Signing.PrivateKey
    /// The clock (POSIX seconds); tests fix it.
    let clock: @Sendable () -> UInt64

    /// A cosigner named `name` from a 32-byte Ed25519 seed.
    public init(name: String, seed: some Collection<UInt8>, clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) })
        throws(NoteKeyError)
    {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: Array(seed)) else {
            throw NoteKeyError("an Ed25519 seed is 32 bytes")
        }
        self.name = name
        self.key = key
        self.clock = clock
        self.keyID = NoteKeyName.keyID(name: name, type: Cosignature.ed25519Type, publicKey: key.publicKey.rawRepresentation)
    }

    /// The verifier for this cosigner.
    public var verifier: Ed25519CosignatureVerifier {
        try! Ed25519CosignatureVerifier(name: name, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// `name+hex8+base64(0x04 ‖ public key)`.
    public var verifierKey: String { verifier.verifierKey }

    /// `u64be(timestamp) ‖ signature` over the cosignature message of `message` (a checkpoint body).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        let timestamp = clock()
        let sig = try key.signature(for: Cosignature.message(body: message, timestamp: timestamp))
        return withUnsafeBytes(of: timestamp.bigEndian) { Array($0) } + Array(sig)
    }
}

/// Checks cosignature/v1 Ed25519 lines from a verifier key `name+hex8+base64(0x04 ‖ pub)`.
public struct Ed25519CosignatureVerifier: NoteVerifier, Hashable {
    public let name: String
    public let keyID: UInt32
    public let publicKey: [UInt8]

    public init(name: String, publicKey: [UInt8]) throws(NoteKeyError) {
        guard NoteKeyName.isValid(name) else { throw NoteKeyError("invalid key name \"\(name)\"") }
        guard publicKey.count == 32 else { throw NoteKeyError("an Ed25519 public key is 32 bytes") }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKeyName.keyID(name: name, type: Cosignature.ed25519Type, publicKey: publicKey)
    }

    /// Parses `name+hex8+base64(0x04 ‖ pub)`, checking the key ID.
    public init(verifierKey: String) throws(NoteKeyError) {
        let parts = try NoteKeyName.split(verifierKey.trimmingCharacters(in: .whitespacesAndNewlines), expectedParts: 3)
        let id = try NoteKeyName.parseHex8(parts[1])
        guard let raw = Data(base64Encoded: String(parts[2])), raw.count == 33 else {
            throw NoteKeyError("a witness key holds a type byte and 32 bytes, base64")
        }
        guard raw.first == Cosignature.ed25519Type else {
            throw NoteKeyError("not a cosignature/v1 Ed25519 key (type 0x04), got type 0x\(String(raw.first!, radix: 16))")
        }
        try self.init(name: String(parts[0]), publicKey: Array(raw.dropFirst()))
        guard id == keyID else { throw NoteKeyError("witness key ID \(parts[1]) does not match the key") }
    }

    public var verifierKey: String {
        "\(name)+\(NoteKeyName.hex8(keyID))+" + Data([Cosignature.ed25519Type] + publicKey).base64EncodedString()
    }

    /// The timestamp a cosignature carries, if it has the right length.
    public static func timestamp(of signature: [UInt8]) -> UInt64? {
        guard signature.count == 72 else { return nil }
        return signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard let timestamp = Self.timestamp(of: signature), timestamp <= UInt64(Int64.max),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(signature.suffix(64), for: Cosignature.message(body: message, timestamp: timestamp))
    }
}
