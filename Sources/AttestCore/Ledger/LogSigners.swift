import Synchronization

/// Gives the signer of each log. Every Attest log signs its checkpoints under its own origin.
public protocol LogSigners: Sendable {
    /// The signer whose key name is `origin`.
    func signer(forOrigin origin: String) throws -> any NoteSigner
    /// The verifier key string of the log `origin`.
    func verifierKey(forOrigin origin: String) throws -> String
}

/// One Ed25519 seed used for every log of an installation, named per log.
public struct Ed25519LogSigners: LogSigners {
    private let base: Ed25519NoteSigner
    private let named = NamedSigners()

    /// Uses `key`'s seed; its own name is not used for signing.
    public init(key: Ed25519NoteSigner) { self.base = key }

    public func signer(forOrigin origin: String) throws -> any NoteSigner { try renamed(origin) }

    public func verifierKey(forOrigin origin: String) throws -> String { try renamed(origin).verifierKey }

    /// A verifier for the log `origin`.
    public func verifier(forOrigin origin: String) throws -> Ed25519NoteVerifier { try renamed(origin).verifier }

    /// The signer named `origin`, made once per origin: making one derives the public key from the
    /// seed and hashes the key id, which every commit's checkpoint had paid for (a few percent of
    /// the server's CPU with single-event requests).
    private func renamed(_ origin: String) throws -> Ed25519NoteSigner {
        if let s = named.signers.withLock({ $0[origin] }) { return s }
        let s = try base.renamed(origin)
        named.signers.withLock {
            // One per tenant; the bound only keeps a runaway number of origins from growing it.
            if $0.count >= 10_000 { $0.removeAll() }
            $0[origin] = s
        }
        return s
    }

    private final class NamedSigners: Sendable {
        let signers = Mutex<[String: Ed25519NoteSigner]>([:])
    }
}
