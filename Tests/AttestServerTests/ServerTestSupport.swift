import AttestCore
import AttestPostgres
import AttestServer
import AttestTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The ledger backends the route tests that touch storage run on: SQLite always, PostgreSQL under
/// scripts/test (a bare `swift test` without a server runs SQLite only; PostgresStoreTests then
/// reports the PostgreSQL suite as skipped).
enum ServerBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres
    var testDescription: String { rawValue }
    static var enabled: [ServerBackend] { PostgresTestServer.enabled ? [.sqlite, .postgres] : [.sqlite] }
}

/// A service on a temporary data directory, driven in-process through its router.
struct TestServer {
    let components: ServerComponents
    let admin: String

    init(_ configure: (inout ServerConfig) -> Void = { _ in }) async throws {
        var config = ServerConfig()
        config.dataDir = try TestEnvironment.temporaryDirectory("attest-server").path
        config.originPrefix = "attest.test"
        configure(&config)
        components = try await ServerComponents(config: config)
        admin = try requireValue(components.firstAdminToken, "first start made no admin token")
    }

    /// The same on `backend`: with PostgreSQL, a new database initialized as `attest db init` does.
    init(backend: ServerBackend, _ configure: @escaping (inout ServerConfig) -> Void = { _ in }) async throws {
        switch backend {
        case .sqlite:
            try await self.init(configure)
        case .postgres:
            let urls = try await PostgresTestServer.newDatabase()
            try await self.init { config in
                config.database = urls.runtime.secretString
                config.databaseConnections = 8
                configure(&config)
            }
        }
    }

    /// Runs `body` with a client against the router, services running.
    func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = Application(router: components.buildRouter(), services: components.services)
        return try await app.test(.router, body)
    }
}

func requireValue<T>(_ v: T?, _ message: String = "missing value") throws -> T {
    guard let v else { throw TestFailure(message) }
    return v
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension TestClientProtocol {
    /// A request with a bearer token; `json` is sent as the body with the right content type.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String?,
        json: String? = nil,
        body: [UInt8]? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let json {
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
            buffer = ByteBuffer(string: json)
        } else if let body {
            buffer = ByteBuffer(bytes: body)
        }
        return try await execute(uri: uri, method: method, headers: headers, body: buffer)
    }

    /// Creates a token with `role` and returns its secret.
    func token(admin: String, name: String, role: String, subject: String? = nil, tenant: String? = nil) async throws -> String {
        var body: [String: JSONValue] = ["name": .string(name), "role": .string(role)]
        if let subject { body["subject"] = .string(subject) }
        if let tenant { body["tenant"] = .string(tenant) }
        let r = try await call(.post, "/v1/tokens", token: admin, json: JSONValue.object(body).canonicalString)
        guard r.status == .created, let secret = try r.json()["token"]?.stringValue else {
            throw TestFailure("token creation failed: \(r.status) \(String(buffer: r.body))")
        }
        return secret
    }
}

extension TestResponse {
    func json() throws -> JSONValue { try JSONParser.parse(Array(body.readableBytesView), limits: .ledger) }
    var text: String { String(buffer: body) }
    /// The pointers of a problem document.
    func pointers() throws -> [String] {
        (try json()["problems"]?.arrayValue ?? []).compactMap { $0["pointer"]?.stringValue }
    }
}
