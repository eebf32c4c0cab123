import AttestCore
import AttestServer
import AttestTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Tokens, roles and tenants")
struct AccessRouteTests {
    static let v1Routes: [(HTTPRequest.Method, String)] = [
        (.post, "/v1/events"), (.get, "/v1/events"), (.get, "/v1/events/x"), (.get, "/v1/checkpoint"), (.get, "/v1/pubkey"),
        (.get, "/v1/proofs/inclusion?seq=0"), (.get, "/v1/proofs/consistency?from=0"), (.get, "/v1/export"), (.post, "/v1/hash"),
        (.post, "/v1/tenants"), (.get, "/v1/tenants"), (.post, "/v1/tokens"), (.get, "/v1/tokens"), (.get, "/v1/tokens/x"),
        (.delete, "/v1/tokens/x"),
    ]

    @Test("every /v1 route answers 401 without a valid token")
    func unauthenticated() async throws {
        let s = try await TestServer()
        try await s.test { c in
            for (method, uri) in Self.v1Routes {
                for token in [nil, "att_wrong", ""] as [String?] {
                    let r = try await c.call(method, uri, token: token)
                    #expect(r.status == .unauthorized, "\(method) \(uri) with \(token ?? "none")")
                    #expect(r.headers[.wwwAuthenticate] == "Bearer")
                }
                let basic = try await c.call(method, uri, token: nil, headers: [.authorization: "Basic YTpi"])
                #expect(basic.status == .unauthorized)
            }
        }
    }

    @Test("roles are enforced on every route")
    func roles() async throws {
        let s = try await TestServer()
        try await s.test { c in
            try await ReadRouteTests.seed(c, s.admin, count: 6)
            let tokens = [
                "compliance_officer": try await c.token(admin: s.admin, name: "co", role: "compliance_officer"),
                "auditor": try await c.token(admin: s.admin, name: "au", role: "auditor"),
                "standard_user": try await c.token(admin: s.admin, name: "su", role: "standard_user", subject: "u1"),
                "ingest": try await c.token(admin: s.admin, name: "in", role: "ingest"),
            ]
            // What each role may do (route → roles allowed besides super_admin).
            let allowed: [String: Set<String>] = [
                "POST /v1/events": ["ingest"],
                "GET /v1/events": ["compliance_officer", "auditor", "standard_user"],
                "GET /v1/events/q-1": ["compliance_officer", "auditor", "standard_user"],
                "GET /v1/checkpoint": ["compliance_officer", "auditor", "standard_user", "ingest"],
                "GET /v1/export": ["compliance_officer", "auditor"],
                "POST /v1/hash": ["compliance_officer", "auditor"],
                "GET /v1/tenants": [],
                "GET /v1/tokens": ["compliance_officer"],
            ]
            for (route, roles) in allowed {
                let parts = route.split(separator: " ")
                let method = HTTPRequest.Method(String(parts[0]))!
                let body: String? =
                    route.hasPrefix("POST /v1/events") ? #"{"action":"r.w","actor":{"id":"z"}}"# : (method == .post ? #"{"value":"x"}"# : nil)
                for (role, token) in tokens {
                    let r = try await c.call(method, String(parts[1]), token: token, json: body)
                    if roles.contains(role) {
                        #expect(r.status.code < 300, "\(role) \(route): \(r.status) \(r.text)")
                    } else {
                        #expect(r.status == .forbidden, "\(role) \(route): \(r.status)")
                    }
                }
            }
        }
    }

    @Test("standard_user sees only records whose actor or on-behalf-of is its subject")
    func ownRecords() async throws {
        let s = try await TestServer()
        try await s.test { c in
            try await ReadRouteTests.seed(c, s.admin, count: 12)
            let alice = try await c.token(admin: s.admin, name: "su", role: "standard_user", subject: "a1")
            let r = try await c.call(.get, "/v1/events?limit=100", token: alice)
            let items = try #require(try r.json()["items"]?.arrayValue)
            #expect(items.count == 4)
            #expect(
                items.allSatisfy { $0["event"]?["actor"]?["id"]?.stringValue == "a1" || $0["event"]?["on_behalf_of"]?["id"]?.stringValue == "a1" }
            )
            // Filters cannot widen the view.
            #expect(try await c.call(.get, "/v1/events?actor=a0", token: alice).json()["items"]?.arrayValue?.count == 0)
            #expect(try await c.call(.get, "/v1/events/q-1", token: alice).status == .ok)
            #expect(try await c.call(.get, "/v1/events/q-0", token: alice).status == .notFound)
            let onBehalf = try await c.token(admin: s.admin, name: "u0", role: "standard_user", subject: "u0")
            #expect(try await c.call(.get, "/v1/events?limit=100", token: onBehalf).json()["items"]?.arrayValue?.count == 6)
            let noSubject = try await c.call(.post, "/v1/tokens", token: s.admin, json: #"{"name":"x","role":"standard_user"}"#)
            #expect(try noSubject.pointers() == ["/subject"])
        }
    }

    @Test("tenants never see each other; super_admin can act in any tenant")
    func tenants() async throws {
        let s = try await TestServer()
        try await s.test { c in
            let created = try await c.call(.post, "/v1/tenants", token: s.admin, json: #"{"id":"acme"}"#)
            #expect(created.status == .created)
            #expect(try created.json()["origin"]?.stringValue == "attest.test/acme")
            #expect(try await c.call(.post, "/v1/tenants", token: s.admin, json: #"{"id":"acme"}"#).status == .conflict)
            #expect(try await c.call(.post, "/v1/tenants", token: s.admin, json: #"{"id":"Bad!","x":1}"#).pointers() == ["/id", "/x"])
            let acmeIngest = try await c.token(admin: s.admin, name: "acme-in", role: "ingest", tenant: "acme")
            let acmeAuditor = try await c.token(admin: s.admin, name: "acme-au", role: "auditor", tenant: "acme")
            #expect(
                try await c.call(.post, "/v1/events", token: acmeIngest, json: #"{"id":"secret-1","action":"a.b","actor":{"id":"x"}}"#).status
                    == .created
            )
            #expect(
                try await c.call(.post, "/v1/events", token: s.admin, json: #"{"id":"default-1","action":"a.b","actor":{"id":"x"}}"#).status
                    == .created
            )
            // The acme auditor sees acme only, and cannot ask for another tenant.
            let ids = try await c.call(.get, "/v1/events?limit=100", token: acmeAuditor).json()["items"]?.arrayValue?.compactMap {
                $0["event"]?["id"]?.stringValue
            }
            #expect(ids?.contains("secret-1") == true && ids?.contains("default-1") == false)
            #expect(try await c.call(.get, "/v1/events?tenant=default", token: acmeAuditor).status == .forbidden)
            #expect(try await c.call(.get, "/v1/events/default-1", token: acmeAuditor).status == .notFound)
            // The super_admin reads acme by naming it.
            let viaAdmin = try await c.call(.get, "/v1/events/secret-1?tenant=acme", token: s.admin)
            #expect(viaAdmin.status == .ok)
            #expect(try await c.call(.get, "/v1/events/secret-1", token: s.admin).status == .notFound)
            #expect(try await c.call(.get, "/v1/events?tenant=nope", token: s.admin).status == .notFound)
            let list = try await c.call(.get, "/v1/tenants", token: s.admin).json()["tenants"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
            #expect(list == ["acme", "default"])
            // Tokens for another tenant: by body or by ?tenant=; bad names are 400 naming where.
            let viaQuery = try await c.call(.post, "/v1/tokens?tenant=acme", token: s.admin, json: #"{"name":"q","role":"ingest"}"#)
            #expect(try viaQuery.json()["tenant"]?.stringValue == "acme")
            #expect(
                try await c.call(.post, "/v1/tokens", token: s.admin, json: #"{"name":"t1","role":"ingest","tenant":""}"#).pointers() == ["/tenant"]
            )
            #expect(
                try await c.call(.post, "/v1/tokens", token: s.admin, json: #"{"name":"t1","role":"ingest","tenant":"Bad Name"}"#).pointers() == [
                    "/tenant"
                ]
            )
            #expect(
                try await c.call(.post, "/v1/tokens?tenant=", token: s.admin, json: #"{"name":"t1","role":"ingest"}"#).pointers() == ["/query/tenant"]
            )
            #expect(
                try await c.call(.post, "/v1/tokens", token: s.admin, json: #"{"name":"t1","role":"ingest","tenant":"ghost"}"#).status == .notFound
            )
            #expect(try await c.call(.get, "/v1/tokens?tenant=BAD", token: s.admin).status == .badRequest)
            // Separate logs: separate keys and checkpoints.
            let k1 = try await c.call(.get, "/v1/pubkey", token: s.admin).text
            let k2 = try await c.call(.get, "/v1/pubkey?tenant=acme", token: s.admin).text
            #expect(k1 != k2)
        }
    }

    @Test("tokens: shown once, stored hashed, listed without secrets, revocable")
    func tokens() async throws {
        let s = try await TestServer()
        try await s.test { c in
            let created = try await c.call(.post, "/v1/tokens", token: s.admin, json: #"{"name":"ci","role":"ingest"}"#)
            #expect(created.status == .created)
            let secret = try #require(try created.json()["token"]?.stringValue)
            #expect(secret.hasPrefix("att_"))
            let listed = try await c.call(.get, "/v1/tokens", token: s.admin)
            #expect(!listed.text.contains(secret))
            #expect(try listed.json()["tokens"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["admin", "ci"])
            #expect(try await c.call(.get, "/v1/tokens/ci", token: s.admin).json()["role"]?.stringValue == "ingest")
            #expect(try await c.call(.post, "/v1/tokens", token: s.admin, json: #"{"name":"ci","role":"ingest"}"#).status == .conflict)
            let bad = try await c.call(.post, "/v1/tokens", token: s.admin, json: #"{"name":"has space","role":"king","extra":true}"#)
            #expect(try bad.pointers() == ["/extra", "/name", "/role"])
            #expect(try await c.call(.post, "/v1/events", token: secret, json: #"{"action":"a.b","actor":{"id":"x"}}"#).status == .created)
            #expect(try await c.call(.delete, "/v1/tokens/ci", token: s.admin).status == .noContent)
            #expect(try await c.call(.post, "/v1/events", token: secret, json: #"{"action":"a.b","actor":{"id":"x"}}"#).status == .unauthorized)
            #expect(try await c.call(.delete, "/v1/tokens/ci", token: s.admin).status == .notFound)
            // The database holds no token secret, only hashes.
            let dbBytes = try Data(contentsOf: URL(fileURLWithPath: s.components.config.dataDir + "/ledger.sqlite"))
            #expect(dbBytes.range(of: Data(secret.utf8)) == nil)
            #expect(dbBytes.range(of: Data(s.admin.utf8)) == nil)
            // A compliance officer manages tokens but cannot mint super_admins.
            let co = try await c.token(admin: s.admin, name: "co", role: "compliance_officer")
            #expect(try await c.call(.post, "/v1/tokens", token: co, json: #"{"name":"boss","role":"super_admin"}"#).status == .forbidden)
            #expect(try await c.call(.delete, "/v1/tokens/admin", token: co).status == .forbidden)
            #expect(try await c.call(.post, "/v1/tokens", token: co, json: #"{"name":"aud2","role":"auditor"}"#).status == .created)
        }
    }

    @Test("first start writes the admin token once, mode 0600; later starts keep it")
    func firstStart() async throws {
        let s = try await TestServer()
        let path = s.components.config.dataDir + "/admin-token"
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines) == s.admin)
        let again = try await ServerComponents(config: s.components.config)
        #expect(again.firstAdminToken == nil)
    }
}
