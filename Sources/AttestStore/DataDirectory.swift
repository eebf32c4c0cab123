import AttestCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The data directory: `ledger.sqlite` (with its WAL files) and `signing-key` (mode 0600).
///
/// Created on first use with a fresh Ed25519 signing key.
public struct DataDirectory: Sendable {
    /// The directory path.
    public let path: String
    /// The database file.
    public var databasePath: String { path + "/ledger.sqlite" }
    /// The private signing key file (`PRIVATE+KEY+…`).
    public var signingKeyPath: String { path + "/signing-key" }

    public init(path: String) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.path = p
    }

    /// The installation secret from which per-tenant HMAC keys are derived (mode 0600).
    public var hmacSecretPath: String { path + "/hmac-secret" }
    /// The first admin token, written once on first start (mode 0600).
    public var adminTokenPath: String { path + "/admin-token" }

    /// Reads the HMAC secret, or writes a new random one (32 bytes, base64) when there is none.
    public func loadOrCreateHMACSecret() throws -> [UInt8] {
        if FileManager.default.fileExists(atPath: hmacSecretPath) {
            guard let text = try? String(contentsOfFile: hmacSecretPath, encoding: .utf8),
                let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count >= 32
            else {
                throw StoreError(.invalidArgument, "\(hmacSecretPath) must hold at least 32 bytes, base64")
            }
            return Array(data)
        }
        var rng = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try Self.writeSecret(Data(secret).base64EncodedString() + "\n", to: hmacSecretPath)
        return secret
    }

    /// Whether the directory already holds a ledger.
    public var exists: Bool { FileManager.default.fileExists(atPath: databasePath) }

    /// Creates the directory (mode 0700) if it does not exist.
    public func createIfMissing() throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(.unavailable, "cannot create data directory \(path): \(error.localizedDescription)")
        }
    }

    /// Opens the store, creating the directory, key and database when `create` is true.
    public func open(create: Bool, options: SQLiteLedgerStore.Options = .init()) throws -> (SQLiteLedgerStore, Ed25519NoteSigner) {
        if !exists {
            guard create else {
                throw StoreError(.notFound, "no Attest ledger in \(path) (expected \(databasePath))")
            }
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError(.unavailable, "cannot create data directory \(path): \(error.localizedDescription)")
            }
        }
        let key = try loadOrCreateKey(create: create)
        let store = try SQLiteLedgerStore(path: databasePath, signers: Ed25519LogSigners(key: key), options: options)
        return (store, key)
    }

    /// Reads the signing key, or writes a new one (mode 0600, never overwriting) when allowed.
    public func loadOrCreateKey(create: Bool) throws -> Ed25519NoteSigner {
        if FileManager.default.fileExists(atPath: signingKeyPath) {
            let text: String
            do { text = try String(contentsOfFile: signingKeyPath, encoding: .utf8) } catch {
                throw StoreError(.unavailable, "cannot read \(signingKeyPath): \(error.localizedDescription)")
            }
            do { return try Ed25519NoteSigner(privateKey: text) } catch {
                throw StoreError(.invalidArgument, "\(signingKeyPath) is not a signing key: \(error.reason)")
            }
        }
        guard create else { throw StoreError(.notFound, "no signing key at \(signingKeyPath)") }
        let key = try Ed25519NoteSigner.generate(name: "attest-installation-key")
        try Self.writeSecret(key.privateKeyString + "\n", to: signingKeyPath)
        return key
    }

    /// Writes `text` to a new file readable only by its owner; refuses to overwrite.
    public static func writeSecret(_ text: String, to path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it already exists (refusing to overwrite a key)" : String(cString: strerror(errno))
            throw StoreError(.unavailable, "cannot create \(path): \(reason)")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw StoreError(.unavailable, "cannot write \(path): \(String(cString: strerror(errno)))") }
            written += n
        }
        guard fsync(fd) == 0 else { throw StoreError(.unavailable, "cannot sync \(path)") }
    }
}
