import AttestCore
import AttestServer
import AttestTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import Yams

@testable import AttestStore

@Suite("Health, metrics, OpenAPI, configuration")
struct OpsRouteTests {
    @Test("healthz, readyz and metrics answer without a token; metrics count ingest")
    func ops() async throws {
        let s = try await TestServer()
        try await s.test { c in
            #expect(try await c.call(.get, "/healthz", token: nil).status == .ok)
            let ready = try await c.call(.get, "/readyz", token: nil)
            #expect(ready.status == .ok)
            #expect(try ready.json()["status"]?.stringValue == "ready")
            #expect(
                try await c.call(
                    .post,
                    "/v1/events",
                    token: s.admin,
                    json: #"[{"action":"a.b","actor":{"id":"x"}},{"action":"a.b","actor":{"id":"y"}}]"#
                ).status == .created
            )
            let m = try await c.call(.get, "/metrics", token: nil).text
            #expect(m.contains("attest_ingest_events_total{result=\"appended\"} 2"), "\(m)")
            #expect(m.contains("attest_ingest_batch_events"))
            #expect(m.contains("attest_ingest_commit_seconds"))
            #expect(m.contains("attest_index_lag_entries"))
            #expect(try await c.call(.get, "/nope", token: nil).status == .notFound)
        }
    }

    @Test("the OpenAPI document is served and names exactly the router's routes")
    func openAPI() async throws {
        let s = try await TestServer()
        let routes = Set(
            s.components.buildRouter().routes.map {
                "\($0.method.rawValue) \($0.path.description.replacingOccurrences(of: ":id", with: "{id}").replacingOccurrences(of: ":name", with: "{name}"))"
            }
        )
        try await s.test { c in
            let r = try await c.call(.get, "/openapi.yaml", token: nil)
            #expect(r.status == .ok)
            let doc = try #require(try Yams.load(yaml: r.text) as? [String: Any])
            #expect(doc["openapi"] as? String == "3.1.0")
            let paths = try #require(doc["paths"] as? [String: Any])
            var documented: Set<String> = []
            for (path, ops) in paths {
                for method in (ops as? [String: Any] ?? [:]).keys where ["get", "post", "delete", "put", "patch"].contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            #expect(documented == routes, "only documented: \(documented.subtracting(routes)); only routed: \(routes.subtracting(documented))")
        }
    }

    @Test("configuration: YAML, environment and validation name every problem")
    func config() throws {
        var c = ServerConfig()
        try c.apply(
            yaml: """
                data_dir: /tmp/x
                port: 9000
                limits:
                  max_body_bytes: 1048576
                  proof_cache_mb: 16
                signing:
                  per_entry: true
                redaction:
                  pointers: [/attributes/email]
                """,
            source: "test.yaml"
        )
        #expect(c.dataDir == "/tmp/x" && c.port == 9000 && c.maxBodyBytes == 1_048_576 && c.signEntries)
        #expect(c.redactPointers == ["/attributes/email"])
        #expect(c.proofCacheMB == 16 && ServerConfig().proofCacheMB == 64)
        try c.apply(environment: ["ATTEST_PORT": "9100", "ATTEST_HOST": "0.0.0.0", "ATTEST_SIGN_ENTRIES": "false", "ATTEST_PROOF_CACHE_MB": "0"])
        #expect(c.port == 9100 && c.host == "0.0.0.0" && !c.signEntries && c.proofCacheMB == 0)
        #expect(c.host != ServerConfig().host, "the default host is loopback")
        #expect(ServerConfig().host == "127.0.0.1")
        do {
            var bad = ServerConfig()
            try bad.apply(yaml: "port: eighty\nhots: x\nlimits:\n  max_bodyy: 1\n", source: "bad.yaml")
            Issue.record("accepted a bad file")
        } catch {
            #expect(error.problems.count == 3, "\(error.problems)")
        }
        #expect(throws: ConfigError.self) {
            var e = ServerConfig()
            try e.apply(environment: ["ATTEST_PORT": "x"])
        }
        var invalid = ServerConfig()
        invalid.port = 0
        invalid.tlsCert = "/c.pem"
        invalid.redactPointers = ["/actor/id"]
        invalid.logLevel = "loud"
        invalid.proofCacheMB = -1
        do {
            try invalid.validate()
            Issue.record("accepted an invalid configuration")
        } catch {
            #expect(error.problems.count == 5, "\(error.problems)")
            #expect(error.problems.contains { $0.hasPrefix("limits.proof_cache_mb") }, "\(error.problems)")
        }
    }

    @Test("limits.proof_cache_mb reaches the SQLite store's proof tile cache")
    func proofCacheSetting() async throws {
        let server = try await TestServer { $0.proofCacheMB = 3 }
        let store = try requireValue(server.components.store as? SQLiteLedgerStore, "the default store is SQLite")
        #expect(store.tileCache.maxTiles == (3 << 20) / ProofTileCache.bytesPerTile)
        let off = try await TestServer { $0.proofCacheMB = 0 }
        #expect((off.components.store as? SQLiteLedgerStore)?.tileCache.maxTiles == 0)
    }

    @Test("OTLP port and risk rules: YAML, environment, and every bad rule named")
    func otlpAndRiskConfig() throws {
        var c = ServerConfig()
        try c.apply(
            yaml: """
                otlp_port: 4318
                risk:
                  defaults: true
                  rules:
                    - {id: force-push, level: critical, pattern: 'git\\s+push\\s+-f', reason: pushes over history}
                    - {id: prod-db, level: high, pattern: 'psql\\s.*prod', reason: touches the production database}
                """,
            source: "r.yaml"
        )
        try c.validate()
        #expect(c.otlpPort == 4318)
        let risk = try #require(try c.riskClassifier())
        // The custom force-push rule replaced the built-in one; prod-db was added.
        #expect(risk.rules.count == CommandRiskClassifier.defaultRules.count + 1)
        #expect(risk.classify("git push -f")?.level == "critical")
        #expect(risk.classify("psql -h prod.db.internal")?.reasons == ["prod-db: touches the production database"])
        try c.apply(environment: ["ATTEST_RISK_DEFAULTS": "false", "ATTEST_OTLP_PORT": "8080"])
        #expect(try c.riskClassifier()?.rules.count == 2)
        var bad = ServerConfig()
        try bad.apply(
            yaml: """
                otlp_port: 8080
                risk:
                  rules:
                    - {id: x, level: severe, pattern: '(', reason: r}
                """,
            source: "bad.yaml"
        )
        do {
            try bad.validate()
            Issue.record("accepted bad risk rules")
        } catch {
            #expect(error.problems.contains { $0.contains("otlp_port must differ from port") })
            #expect(error.problems.contains { $0.contains("risk rule 13 (x): level") })
            #expect(error.problems.contains { $0.contains("risk rule 13 (x): pattern") })
        }
        do {
            var unknown = ServerConfig()
            try unknown.apply(
                yaml: "risk:\n  rules:\n    - {id: y, level: low}\n    - {id: z, level: low, pattern: a, reason: r, colour: red}\n",
                source: "u.yaml"
            )
            Issue.record("accepted incomplete rules")
        } catch {
            #expect(error.problems.count == 2, "\(error.problems)")
        }
    }
}
