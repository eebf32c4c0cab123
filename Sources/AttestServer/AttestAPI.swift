import AttestCore
import AttestIngest
import AttestStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The HTTP API: every route of docs/API.md, over the ledger, the sequencer and the admin store.
struct AttestAPI: Sendable {
    let config: ServerConfig
    let store: any AttestStorage
    let normalizer: IngestNormalizer
    let sequencer: Sequencer
    let indexer: IndexerService
    let recorder: DataAccessRecorder
    /// Usage analytics of OTLP log records and spans, written just behind their events.
    let usageRecorder: UsageRecorder
    let verifier: VerifierService?
    let registry: PrometheusCollectorRegistry
    /// Command risk rules for OTLP tool calls (nil: none configured).
    let risk: CommandRiskClassifier?
    let openAPIDocument: [UInt8]
    /// Tokens found recently (``BearerAuthMiddleware``), emptied when a token is created or revoked.
    let tokenCache = TokenCache()

    // MARK: Helpers

    /// The tenant a request acts on: `?tenant=` or the token's own. Only super_admin tokens may
    /// name another tenant; the tenant must exist.
    func tenant(_ request: Request, _ who: TokenRecord) async throws -> String {
        let asked = request.uri.queryParameters["tenant"].map(String.init)
        let tenant = asked ?? who.tenant
        if tenant != who.tenant && !who.role.permissions.contains(.manageTenants) {
            throw HTTPProblem.forbidden("this token belongs to tenant \(who.tenant)")
        }
        guard SQLiteLedgerStore.isValidTenant(tenant) else {
            throw HTTPProblem.badParameter("tenant", "must be 1-63 of a-z 0-9 _ -, starting with a letter or digit")
        }
        guard try await mapStore({ try await store.log(tenant: tenant, create: false) }) != nil else {
            throw HTTPProblem.notFound("no tenant \"\(tenant)\"")
        }
        return tenant
    }

    /// Refuses query parameters a route does not know, naming all of them.
    func checkParameters(_ request: Request, allowed: Set<String>) throws {
        let unknown = Set(request.uri.queryParameters.map { String($0.key) }).subtracting(allowed.union(["tenant"])).sorted()
        guard unknown.isEmpty else {
            throw HTTPProblem.badRequest(
                "Unknown query parameter",
                unknown.map { Problem(pointer: "/query/\($0)", message: "is not a parameter of this route") }
            )
        }
    }

    func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/json"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: value.canonicalBytes)))
    }

    func text(_ s: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    /// Parses a JSON request body (admin routes), up to 64 KiB.
    func jsonBody(_ request: Request) async throws -> [String: JSONValue] {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        do {
            guard case .object(let m) = try JSONParser.parse(buffer.readableBytesView) else {
                throw HTTPProblem.badRequest("Invalid body", [Problem(pointer: "", message: "must be a JSON object")])
            }
            return m
        } catch let e as JSONParseError {
            throw HTTPProblem.badRequest("Invalid JSON", [Problem(pointer: "", message: "invalid JSON: \(e)")])
        }
    }

    func unsignedParameter(_ request: Request, _ name: String) throws -> UInt64? {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let v = UInt64(raw), !raw.hasPrefix("+") else { throw HTTPProblem.badParameter(name, "must be a non-negative integer") }
        return v
    }

    /// Maps store failures to problems; everything else stays an internal error.
    func mapStore<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as StoreError {
            switch e.code {
            case .invalidArgument: throw HTTPProblem(.badRequest, "Invalid request", detail: e.reason)
            case .notFound: throw HTTPProblem.notFound(e.reason)
            case .conflict: throw HTTPProblem(.conflict, "Conflict", detail: e.reason)
            case .unavailable: throw HTTPProblem.unavailable("the ledger database is unavailable")
            default: throw e
            }
        }
    }

    // MARK: Routes

    func register(on router: Router<AttestRequestContext>) {
        router.get("/healthz") { _, _ in json(.object(["status": "ok"])) }
        router.get("/readyz") { _, _ in try await ready() }
        router.get("/metrics") { _, _ in
            text(registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: openAPIDocument)))
        }

        let v1 = router.group("v1").add(middleware: BearerAuthMiddleware(admin: store, cache: tokenCache))
        v1.post("events") { request, context in try await ingest(request, context) }
        registerOTLP(
            on: router.group("v1").add(middleware: OTLPStatusMiddleware()).add(middleware: BearerAuthMiddleware(admin: store, cache: tokenCache))
        )
        v1.get("analytics/usage") { request, context in try await usage(request, context) }
        v1.get("events") { request, context in try await query(request, context) }
        v1.get("events/:id") { request, context in try await eventDetail(request, context) }
        v1.get("checkpoint") { request, context in try await checkpoint(request, context) }
        v1.get("pubkey") { request, context in try await pubkey(request, context) }
        v1.get("keys") { request, context in try await keys(request, context) }
        v1.get("proofs/inclusion") { request, context in try await inclusionProof(request, context) }
        v1.get("proofs/consistency") { request, context in try await consistencyProof(request, context) }
        v1.get("export") { request, context in try await export(request, context) }
        v1.post("hash") { request, context in try await hash(request, context) }
        v1.post("tenants") { request, context in try await createTenant(request, context) }
        v1.get("tenants") { request, context in try await listTenants(request, context) }
        v1.post("tokens") { request, context in try await createToken(request, context) }
        v1.get("tokens") { request, context in try await listTokens(request, context) }
        v1.get("tokens/:name") { request, context in try await getToken(request, context) }
        v1.delete("tokens/:name") { request, context in try await deleteToken(request, context) }
    }

    func ready() async throws -> Response {
        do {
            _ = try await store.logs()
        } catch {
            throw HTTPProblem.unavailable("the ledger database is not readable")
        }
        var body: [String: JSONValue] = ["status": "ready", "queued_events": .int(Int64(sequencer.queuedEvents))]
        if let verifier {
            // Integrity is reported, not used to refuse traffic: ingest goes on (nothing is lost)
            // while the failure is alerted on through logs, metrics and the log itself.
            let statuses = verifier.snapshot
            var logs: [String: JSONValue] = [:]
            for (tenant, s) in statuses {
                var o: [String: JSONValue] = ["verified_entries": .int(Int64(clamping: s.verifiedSize))]
                if let f = s.failure {
                    o["failure"] = .object([
                        "code": .string(f.code.rawValue), "reason": .string(f.reason), "seq": f.seq.map { .int(Int64(clamping: $0)) } ?? .null,
                    ])
                }
                if let at = s.lastPass { o["last_pass"] = .string(at.rfc3339) }
                logs[tenant] = .object(o)
            }
            let failed = statuses.values.contains { $0.failure != nil }
            body["verification"] = .object(["status": .string(failed ? "failed" : "ok"), "logs": .object(logs)])
        }
        return json(.object(body))
    }
}
