import AttestStore
import Crypto
import Foundation
import Hummingbird
import Logging

/// Checks `Authorization: Bearer <token>` against the SHA-256 hashes in the admin store. A request
/// without a valid token gets 401 before any handler runs.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AttestRequestContext
    let admin: any AdminStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { throw HTTPProblem.unauthorized }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 256 else { throw HTTPProblem.unauthorized }
        let found: TokenRecord?
        do {
            found = try await admin.token(secretHash: Tokens.hash(token))
        } catch {
            // The database is down or restarting: a retryable 503, never a 401 or a 500.
            throw HTTPProblem.unavailable("the ledger database is unavailable")
        }
        guard let record = found else { throw HTTPProblem.unauthorized }
        var context = context
        context.identity = record
        context.logger[metadataKey: "attest.token"] = "\(record.tenant)/\(record.name)"
        return try await next(request, context)
    }
}

/// Token secrets: `att_` and 32 random bytes, base64url. Only their SHA-256 is stored.
enum Tokens {
    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let b64 = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "att_" + b64
    }

    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }
}
