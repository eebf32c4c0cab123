import AttestCore
import AttestStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension AttestAPI {
    func createTenant(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        _ = try context.require(.manageTenants)
        try checkParameters(request, allowed: [])
        let body = try await jsonBody(request)
        var problems: [Problem] = []
        for k in body.keys where k != "id" { problems.append(Problem(pointer: "/\(k)", message: "is not a known field")) }
        let id = body["id"]?.stringValue
        if id == nil {
            problems.append(Problem(pointer: "/id", message: "is required (a string)"))
        } else if !SQLiteLedgerStore.isValidTenant(id!) {
            problems.append(Problem(pointer: "/id", message: "must be 1-63 of a-z 0-9 _ -, starting with a letter or digit"))
        }
        if !problems.isEmpty { throw HTTPProblem.badRequest("Invalid tenant", problems.sorted()) }
        if try await store.log(tenant: id!, create: false) != nil {
            throw HTTPProblem(.conflict, "Conflict", detail: "tenant \"\(id!)\" already exists")
        }
        guard let log = try await mapStore({ try await store.log(tenant: id!, create: true) }) else { throw HTTPProblem.notFound(id!) }
        return json(
            .object([
                "id": .string(log.tenant), "origin": .string(log.origin),
                "verifier_key": .string(try await store.verifierKey(tenant: log.tenant)),
            ]),
            status: .created
        )
    }

    func listTenants(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        _ = try context.require(.manageTenants)
        try checkParameters(request, allowed: [])
        let logs = try await mapStore { try await store.logs() }
        return json(.object(["tenants": .array(logs.map { .object(["id": .string($0.tenant), "origin": .string($0.origin)]) })]))
    }

    static func tokenJSON(_ t: TokenRecord, secret: String? = nil) -> JSONValue {
        var m: [String: JSONValue] = [
            "name": .string(t.name), "role": .string(t.role.rawValue), "tenant": .string(t.tenant),
            "created_at": .string(t.createdAt.rfc3339),
        ]
        if let s = t.subject { m["subject"] = .string(s) }
        if let secret { m["token"] = .string(secret) }
        return .object(m)
    }

    static func isValidTokenName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy {
                ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 || $0 == 46
            }
    }

    func createToken(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.manageTokens)
        try checkParameters(request, allowed: [])
        let body = try await jsonBody(request)
        var problems: [Problem] = []
        for k in body.keys where !["name", "role", "subject", "tenant"].contains(k) {
            problems.append(Problem(pointer: "/\(k)", message: "is not a known field"))
        }
        let name = body["name"]?.stringValue
        if name == nil || !Self.isValidTokenName(name!) {
            problems.append(Problem(pointer: "/name", message: "is required: 1-64 of A-Z a-z 0-9 . _ -"))
        }
        let role = body["role"]?.stringValue.flatMap(Role.init(rawValue:))
        if role == nil {
            problems.append(Problem(pointer: "/role", message: "must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        var subject: String?
        if let s = body["subject"] {
            if let str = s.stringValue, !str.isEmpty, str.utf8.count <= 256 {
                subject = str
            } else {
                problems.append(Problem(pointer: "/subject", message: "must be a non-empty string of at most 256 bytes"))
            }
        }
        if role == .standardUser && subject == nil {
            problems.append(Problem(pointer: "/subject", message: "is required for standard_user: the user whose records it may read"))
        }
        // The tenant: the body's `tenant`, else `?tenant=`, else the caller's own.
        var tenant = request.uri.queryParameters["tenant"].map(String.init) ?? who.tenant
        if let t = body["tenant"] {
            if let str = t.stringValue { tenant = str } else { problems.append(Problem(pointer: "/tenant", message: "must be a string")) }
        }
        if !SQLiteLedgerStore.isValidTenant(tenant) && !problems.contains(where: { $0.pointer == "/tenant" }) {
            problems.append(
                Problem(
                    pointer: body["tenant"] == nil ? "/query/tenant" : "/tenant",
                    message: "must be 1-63 of a-z 0-9 _ -, starting with a letter or digit"
                )
            )
        }
        if !problems.isEmpty { throw HTTPProblem.badRequest("Invalid token request", problems.sorted()) }
        if tenant != who.tenant && !who.role.permissions.contains(.manageTenants) {
            throw HTTPProblem.forbidden("only super_admin may create tokens in another tenant")
        }
        if role == .superAdmin && !who.role.permissions.contains(.manageTenants) {
            throw HTTPProblem.forbidden("only super_admin may create super_admin tokens")
        }
        guard try await mapStore({ try await store.log(tenant: tenant, create: false) }) != nil else {
            throw HTTPProblem.notFound("no tenant \"\(tenant)\"")
        }
        let secret = Tokens.generate()
        let record = TokenRecord(tenant: tenant, name: name!, role: role!, subject: subject, createdAt: .now())
        defer { tokenCache.clear() }
        try await mapStore { try await store.createToken(record, secretHash: Tokens.hash(secret)) }
        return json(Self.tokenJSON(record, secret: secret), status: .created)
    }

    func listTokens(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.manageTokens)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        let tokens = try await mapStore { try await store.tokens(tenant: tenant) }
        return json(.object(["tokens": .array(tokens.map { Self.tokenJSON($0) })]))
    }

    func getToken(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.manageTokens)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        let name = context.parameters.get("name") ?? ""
        guard let t = try await mapStore({ try await store.token(tenant: tenant, name: name) }) else {
            throw HTTPProblem.notFound("no token \"\(name)\" in tenant \(tenant)")
        }
        return json(Self.tokenJSON(t))
    }

    func deleteToken(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.manageTokens)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        let name = context.parameters.get("name") ?? ""
        if let t = try await store.token(tenant: tenant, name: name), t.role == .superAdmin, !who.role.permissions.contains(.manageTenants) {
            throw HTTPProblem.forbidden("only super_admin may revoke super_admin tokens")
        }
        defer { tokenCache.clear() }  // also when the delete failed halfway: ask the store again
        guard try await mapStore({ try await store.deleteToken(tenant: tenant, name: name) }) else {
            throw HTTPProblem.notFound("no token \"\(name)\" in tenant \(tenant)")
        }
        return Response(status: .noContent)
    }
}
