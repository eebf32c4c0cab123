import AttestCore

/// The roles of DESIGN §5. A role is a fixed set of permissions.
public enum Role: String, CaseIterable, Sendable, Codable {
    case superAdmin = "super_admin"
    case complianceOfficer = "compliance_officer"
    case auditor
    case standardUser = "standard_user"
    case ingest

    /// What the role may do.
    public var permissions: Set<Permission> {
        switch self {
        case .superAdmin: return Set(Permission.allCases)
        case .complianceOfficer: return [.readEvents, .export, .readProofs, .hashValues, .manageTokens, .readAnalytics]
        case .auditor: return [.readEvents, .export, .readProofs, .hashValues, .readAnalytics]
        case .standardUser: return [.readOwnEvents, .readProofs]
        case .ingest: return [.writeEvents, .readProofs]
        }
    }
}

/// One thing a token may do.
public enum Permission: String, CaseIterable, Sendable {
    /// Append events.
    case writeEvents = "events:write"
    /// Read every event of the tenant.
    case readEvents = "events:read"
    /// Read only events whose `actor.id` or `on_behalf_of.id` is the token's subject.
    case readOwnEvents = "events:read_own"
    /// Export bundles.
    case export = "export"
    /// Read checkpoints, proofs and the verifier key.
    case readProofs = "proofs:read"
    /// HMAC a known value with the tenant key (`POST /v1/hash`).
    case hashValues = "hash"
    /// Read usage analytics (`GET /v1/analytics/usage`).
    case readAnalytics = "analytics:read"
    /// Create, list and revoke tokens of the tenant.
    case manageTokens = "tokens:manage"
    /// Create tenants and act in any tenant.
    case manageTenants = "tenants:manage"
}

/// A stored API token (never the token itself: only its SHA-256).
public struct TokenRecord: Hashable, Sendable {
    public let tenant: String
    public let name: String
    public let role: Role
    /// For `standard_user`: the user whose records the token may read.
    public let subject: String?
    public let createdAt: Timestamp
    public init(tenant: String, name: String, role: Role, subject: String?, createdAt: Timestamp) {
        self.tenant = tenant
        self.name = name
        self.role = role
        self.subject = subject
        self.createdAt = createdAt
    }
}

/// Tokens and tenants: the service's own state, next to the ledger.
public protocol AdminStore: Sendable {
    /// Stores a token by the SHA-256 of its secret. Fails with `.conflict` if the name is taken.
    func createToken(_ record: TokenRecord, secretHash: [UInt8]) async throws
    /// The token whose secret hashes to `secretHash`.
    func token(secretHash: [UInt8]) async throws -> TokenRecord?
    /// Tokens of a tenant, by name.
    func tokens(tenant: String) async throws -> [TokenRecord]
    /// One token by tenant and name.
    func token(tenant: String, name: String) async throws -> TokenRecord?
    /// Revokes a token; false if there was none.
    func deleteToken(tenant: String, name: String) async throws -> Bool
}

/// A follower's durable position in one log: the next `seq` it will read.
public protocol FollowerCursorStore: Sendable {
    func cursor(follower: String, tenant: String) async throws -> UInt64
    func setCursor(follower: String, tenant: String, position: UInt64) async throws
}

/// Witness cosignatures of checkpoints (C2SP tlog-cosignature lines), kept next to the ledger.
public protocol CosignatureStore: Sendable {
    /// Keeps `line` as `witness`'s cosignature of the checkpoint of `size`; a second line from the
    /// same witness for the same size is ignored.
    func addCosignature(tenant: String, size: UInt64, witness: String, line: String) async throws
    /// The newest stored checkpoint cosigned by at least `minWitnesses` witnesses (the latest
    /// checkpoint when 0), with every cosignature line stored for it.
    func witnessedCheckpoint(tenant: String, minWitnesses: Int) async throws -> (checkpoint: StoredCheckpoint, cosignatures: [String])?
}
