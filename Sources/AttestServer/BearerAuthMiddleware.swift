import AttestStore
import Crypto
import Foundation
import Hummingbird
import Logging
import Synchronization

/// Checks `Authorization: Bearer <token>` against the SHA-256 hashes in the admin store. A request
/// without a valid token gets 401 before any handler runs.
///
/// A token found is kept for ``TokenCache/lifetime`` (``TokenCache``), so a burst of requests with
/// one token reads the store once a second rather than once a request.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = AttestRequestContext
    let admin: any AdminStore
    let cache: TokenCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.utf8.count > 7,
            HeaderValue.equalsIgnoringCase(header.prefix(7), "bearer ")
        else { throw HTTPProblem.unauthorized }
        let token = String(HeaderValue.trimmed(header.dropFirst(7)))
        guard !token.isEmpty, token.utf8.count <= 256 else { throw HTTPProblem.unauthorized }
        let hash = Tokens.hash(token)
        let found: TokenRecord?
        do {
            if let kept = cache.record(hash) {
                found = kept
            } else {
                let generation = cache.generation
                found = try await admin.token(secretHash: hash)
                if let found { cache.keep(hash, found, readIn: generation) }
            }
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

/// Tokens found in the store, by the SHA-256 of the secret, each for ``lifetime``: every request
/// had read the `tokens` table in a transaction of its own (about 4% of the server's CPU with
/// single-event requests). Only tokens that exist are kept, so an unknown or mistyped token still
/// asks the store every time. Creating or revoking a token through this server empties the cache
/// at once; a token revoked through another process (another node of a PostgreSQL installation,
/// or a second server on the same SQLite data directory) stops working here within ``lifetime``
/// (OPERATIONS.md, "Secrets and logs").
final class TokenCache: Sendable {
    /// How long a token found is trusted without asking the store again.
    let lifetime: Duration
    /// More distinct tokens than this in one lifetime empty the cache (it never grows unbounded).
    static let capacity = 4_096

    private struct State {
        var kept: [[UInt8]: (record: TokenRecord, until: ContinuousClock.Instant)] = [:]
        /// Counts ``clear()``s, so a read that began before one is not kept after it.
        var generation = 0
    }
    private let state = Mutex(State())

    init(lifetime: Duration = .seconds(1)) { self.lifetime = lifetime }

    /// Taken before reading a token from the store, and given to ``keep(_:_:readIn:)``.
    var generation: Int { state.withLock { $0.generation } }

    /// The record of the token whose secret hashes to `hash`, if it was found less than
    /// ``lifetime`` ago.
    func record(_ hash: [UInt8]) -> TokenRecord? {
        let now = ContinuousClock.now
        return state.withLock { s in
            guard let entry = s.kept[hash] else { return nil }
            guard entry.until > now else {
                s.kept[hash] = nil
                return nil
            }
            return entry.record
        }
    }

    /// Keeps `record`, read from the store after ``generation`` was `generation`, unless a token
    /// was created or revoked since: a request that read a token just before its revocation must
    /// not put it back.
    func keep(_ hash: [UInt8], _ record: TokenRecord, readIn generation: Int) {
        let until = ContinuousClock.now + lifetime
        state.withLock { s in
            guard s.generation == generation else { return }
            if s.kept.count >= Self.capacity { s.kept.removeAll() }
            s.kept[hash] = (record, until)
        }
    }

    /// Forgets every token (a token was created or revoked).
    func clear() {
        state.withLock { s in
            s.kept.removeAll()
            s.generation &+= 1
        }
    }
}
