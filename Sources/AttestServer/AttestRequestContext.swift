import AttestStore
import Hummingbird

/// Per-request state: who is calling, once the bearer token checked out.
public struct AttestRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's token, set by ``BearerAuthMiddleware``.
    public var identity: TokenRecord?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.identity = nil
    }

    /// The caller, or 401.
    func caller() throws -> TokenRecord {
        guard let identity else { throw HTTPProblem.unauthorized }
        return identity
    }

    /// The caller if it holds `permission`, else 403.
    func require(_ permission: Permission) throws -> TokenRecord {
        let who = try caller()
        guard who.role.permissions.contains(permission) else {
            throw HTTPProblem.forbidden("role \(who.role.rawValue) lacks the permission \(permission.rawValue)")
        }
        return who
    }
}
