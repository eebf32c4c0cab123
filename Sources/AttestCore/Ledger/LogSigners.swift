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

    /// Uses `key`'s seed; its own name is not used for signing.
    public init(key: Ed25519NoteSigner) { self.base = key }

    public func signer(forOrigin origin: String) throws -> any NoteSigner { try base.renamed(origin) }

    public func verifierKey(forOrigin origin: String) throws -> String { try base.renamed(origin).verifierKey }

    /// A verifier for the log `origin`.
    public func verifier(forOrigin origin: String) throws -> Ed25519NoteVerifier { try base.renamed(origin).verifier }
}
