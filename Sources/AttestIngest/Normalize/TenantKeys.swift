import Crypto
import Synchronization

/// Per-tenant HMAC keys for sensitive fields, derived from one installation secret:
/// `key(tenant) = HKDF-SHA256(secret, salt: "attest", info: "attest-hmac-v1/" + tenant, 32 bytes)`.
///
/// Each tenant's HMACs differ, so one tenant's hashes reveal nothing about another's values.
public final class TenantKeys: Sendable {
    private let secret: SymmetricKey
    private let cache = Mutex<[String: [UInt8]]>([:])

    /// `secret` must be at least 32 bytes.
    public init(secret: [UInt8]) {
        precondition(secret.count >= 32, "the HMAC secret must be at least 32 bytes")
        self.secret = SymmetricKey(data: secret)
    }

    /// The 32-byte HMAC key of `tenant`.
    public func key(tenant: String) -> [UInt8] {
        if let k = cache.withLock({ $0[tenant] }) { return k }
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: secret,
            salt: Array("attest".utf8),
            info: Array("attest-hmac-v1/\(tenant)".utf8),
            outputByteCount: 32
        )
        let bytes = derived.withUnsafeBytes { Array($0) }
        cache.withLock { $0[tenant] = bytes }
        return bytes
    }
}
