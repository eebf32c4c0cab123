import AttestCore
import AttestIngest
import AttestStore
import CompressNIO
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

extension AttestAPI {
    // MARK: POST /v1/events

    func ingest(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.writeEvents)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        let framing = try framing(request.headers[.contentType])
        let body = try await readBody(request)
        let receivedAt = Timestamp.now()
        let events: [AuditEvent]
        switch normalizer.normalize(body: body, framing: framing, tenant: tenant, receivedAt: receivedAt) {
        case .success(let e): events = e
        case .failure(let p): throw HTTPProblem.badRequest("Invalid events", p.problems)
        }
        let result: BatchReceipt
        do {
            result = try await sequencer.submit(tenant: tenant, events: events, receivedAt: receivedAt)
        } catch let e as IngestError {
            throw HTTPProblem.unavailable(e.reason, retryAfter: e.code == .overloaded ? 1 : 5)
        }
        let receipts: [JSONValue] = result.receipts.map {
            .object(["id": .string($0.id), "seq": .int(Int64($0.seq)), "hash": .string($0.hash.hex)])
        }
        let created = result.receipts.contains { !$0.duplicate }
        return json(
            .object([
                "receipts": .array(receipts),
                "checkpoint": .object(["size": .int(Int64(result.checkpoint.size)), "root": .string(result.checkpoint.root.hex)]),
            ]),
            status: created ? .created : .ok
        )
    }

    /// JSON (object or array) or NDJSON, from the Content-Type.
    func framing(_ contentType: String?) throws -> EventBatchParser.Framing {
        switch HeaderValue.mediaType(contentType) {
        case "application/json": return .json
        case "application/x-ndjson", "application/ndjson", "application/jsonl": return .ndjson
        default:
            throw HTTPProblem(
                .unsupportedMediaType,
                "Unsupported media type",
                detail: "send application/json (an event or an array of events) or application/x-ndjson, not \"\(contentType ?? "")\""
            )
        }
    }

    /// The request body, gunzipped when `Content-Encoding: gzip`, at most `maxBodyBytes` either way.
    func readBody(_ request: Request) async throws -> [UInt8] {
        var request = request
        let limit = config.maxBodyBytes
        let tooLarge = HTTPProblem(.contentTooLarge, "Request body too large", detail: "the limit is \(limit) bytes after decompression")
        var buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        let encoding = request.headers[.contentEncoding].map { HeaderValue.trimmed($0[...]).lowercased() } ?? "identity"
        switch encoding {
        case "identity", "":
            return Array(buffer.readableBytesView)
        case "gzip", "x-gzip":
            do {
                return try Gunzip.decompress(buffer, limit: limit)
            } catch .tooLarge {
                throw tooLarge
            } catch {
                throw HTTPProblem(.badRequest, "Invalid gzip body", detail: "the body is not one complete gzip stream")
            }
        default:
            throw HTTPProblem(.unsupportedMediaType, "Unsupported content encoding", detail: "use gzip or no Content-Encoding, not \"\(encoding)\"")
        }
    }

    // MARK: GET /v1/events

    static let queryParameters: Set<String> = [
        "from", "to", "actor", "on_behalf_of", "agent", "action", "category", "resource_type", "resource_id", "outcome", "session",
        "min_risk", "limit", "cursor", "order",
    ]

    /// The page of `q`: from the index as far as it has come and the rows of the commits beyond it
    /// (``IndexerService/recent(_:)``), so a query does not wait for the indexer. Those rows miss
    /// an entry for a moment after each commit (the commit is visible before its rows are handed
    /// over; a few tries 2 ms apart bridge that), and for good when another process or node
    /// appended or rows were dropped: then the query brings the index up to date first.
    func eventPage(tenant: String, _ q: EventQuery) async throws -> EventPage {
        let indexer = indexer
        for attempt in 0..<4 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(2)) }
            if let page = try await mapStore({ try await store.query(tenant: tenant, q, recent: { indexer.recent(tenant) }) }) {
                return page
            }
        }
        try await indexer.catchUp(tenant)
        return try await mapStore { try await store.query(tenant: tenant, q) }
    }

    func query(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.caller()
        let ownOnly = !who.role.permissions.contains(.readEvents)
        if ownOnly { _ = try context.require(.readOwnEvents) }
        try checkParameters(request, allowed: Self.queryParameters)
        let tenant = try await tenant(request, who)
        var q = try parseQuery(request)
        if ownOnly {
            guard let subject = who.subject else { throw HTTPProblem.forbidden("this standard_user token has no subject") }
            q.ownedBy = subject
        }
        let page = try await eventPage(tenant: tenant, q)
        let next = page.nextAfter.map { Cursor.encode(after: $0, query: q) }
        recorder.record(
            tenant: tenant,
            reader: who,
            action: "audit.query",
            details: [
                "filters": .object(
                    request.uri.queryParameters.filter { $0.key != "cursor" }.reduce(into: [:]) { $0[String($1.key)] = .string(String($1.value)) }
                ),
                "returned": .int(Int64(page.items.count)),
            ]
        )
        // The page is written as bytes: each event's canonical bytes as stored, without a tree.
        // The same bytes as serializing `{"items": [item…], "next_cursor": …}` (tests compare them).
        var out: [UInt8] = []
        out.reserveCapacity(page.items.reduce(64) { $0 + $1.eventBytes.count + 160 })
        if (request.headers[.accept] ?? "").contains("application/x-ndjson") {
            for e in page.items {
                Self.writeItem(e, into: &out)
                out.append(0x0A)
            }
            var headers: HTTPFields = [.contentType: "application/x-ndjson"]
            if let next { headers[HTTPField.Name("Attest-Next-Cursor")!] = next }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: out)))
        }
        Self.writePage(page.items, next: next, into: &out)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// An event of a query page or a read: `{"event": …, "hash": …, "received_at": …, "seq": …}`.
    static func item(_ e: StoredEvent) throws -> JSONValue {
        .object([
            "seq": .int(Int64(e.seq)), "hash": .string(e.hash.hex), "received_at": .string(e.receivedAt.rfc3339), "event": try e.event(),
        ])
    }

    /// The RFC 8785 bytes of ``item(_:)``, written around the event's stored bytes (members in
    /// canonical order: event, hash, received_at, seq).
    static func writeItem(_ e: StoredEvent, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"event":"#.utf8)
        out.append(contentsOf: e.eventBytes)
        out.append(contentsOf: #","hash":""#.utf8)
        out.append(contentsOf: e.hash.hex.utf8)
        out.append(contentsOf: #"","received_at":""#.utf8)
        out.append(contentsOf: e.receivedAt.rfc3339.utf8)
        out.append(contentsOf: #"","seq":"#.utf8)
        out.append(contentsOf: String(e.seq).utf8)
        out.append(0x7D)
    }

    /// The RFC 8785 bytes of `{"items": [item…], "next_cursor": next or null}`.
    static func writePage(_ items: [StoredEvent], next: String?, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"items":["#.utf8)
        for (i, e) in items.enumerated() {
            if i > 0 { out.append(0x2C) }
            writeItem(e, into: &out)
        }
        out.append(contentsOf: #"],"next_cursor":"#.utf8)
        if let next {
            JSONValue.string(next).writeCanonical(into: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(0x7D)
    }

    /// Reads the filters, naming every bad one.
    func parseQuery(_ request: Request) throws -> EventQuery {
        let params = request.uri.queryParameters
        var q = EventQuery()
        var problems: [Problem] = []
        func string(_ name: String) -> String? {
            guard let v = params[Substring(name)] else { return nil }
            if v.isEmpty || v.utf8.count > 1024 {
                problems.append(Problem(pointer: "/query/\(name)", message: "must be 1-1024 characters"))
                return nil
            }
            return String(v)
        }
        func time(_ name: String) -> Timestamp? {
            guard let v = params[Substring(name)] else { return nil }
            guard let t = Timestamp(rfc3339: v) else {
                problems.append(Problem(pointer: "/query/\(name)", message: "must be an RFC 3339 date-time such as 2026-11-23T08:00:00Z"))
                return nil
            }
            return t
        }
        func oneOf(_ name: String, _ allowed: [String]) -> String? {
            guard let v = string(name) else { return nil }
            guard allowed.contains(v) else {
                problems.append(Problem(pointer: "/query/\(name)", message: "must be one of \(allowed.joined(separator: ", "))"))
                return nil
            }
            return v
        }
        q.from = time("from")
        q.to = time("to")
        q.actor = string("actor")
        q.onBehalfOf = string("on_behalf_of")
        q.agent = string("agent")
        q.action = string("action")
        if let a = q.action, a.dropLast(a.hasSuffix("*") ? 1 : 0).contains("*") {
            problems.append(Problem(pointer: "/query/action", message: "* is only allowed at the end (prefix match)"))
        }
        q.category = oneOf("category", EventSchema.categories)
        q.resourceType = string("resource_type")
        q.resourceID = string("resource_id")
        q.outcome = oneOf("outcome", EventSchema.outcomeStatuses)
        q.session = string("session")
        if let r = oneOf("min_risk", EventSchema.riskLevels) { q.minRisk = EventSchema.riskLevels.firstIndex(of: r) }
        if let o = oneOf("order", ["asc", "desc"]) { q.order = o == "asc" ? .ascending : .descending }
        if let l = params["limit"] {
            if let n = Int(l), (1...1000).contains(n) {
                q.limit = n
            } else {
                problems.append(Problem(pointer: "/query/limit", message: "must be 1-1000"))
            }
        }
        if let from = q.from, let to = q.to, from >= to {
            problems.append(Problem(pointer: "/query/to", message: "must be after from"))
        }
        if let c = params["cursor"] {
            if problems.isEmpty, let after = Cursor.decode(String(c), query: q) {
                q.after = after
            } else if problems.isEmpty {
                problems.append(
                    Problem(pointer: "/query/cursor", message: "is not a cursor of this query (use next_cursor as returned, with the same filters)")
                )
            }
        }
        if !problems.isEmpty { throw HTTPProblem.badRequest("Invalid query", problems) }
        return q
    }

    // MARK: GET /v1/events/{id}

    func eventDetail(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.caller()
        let ownOnly = !who.role.permissions.contains(.readEvents)
        if ownOnly { _ = try context.require(.readOwnEvents) }
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        guard let id = context.parameters.get("id") else { throw HTTPProblem.notFound("no event id") }
        guard let found = try await mapStore({ try await store.event(tenant: tenant, id: id) }) else {
            throw HTTPProblem.notFound("no event \"\(id)\" in tenant \(tenant)")
        }
        if ownOnly {
            let e = AuditEvent(stored: try found.event())
            guard let subject = who.subject, e?.actorID == subject || e?.onBehalfOfID == subject else {
                // The same answer as for a missing event: a user cannot probe for others' ids.
                throw HTTPProblem.notFound("no event \"\(id)\" in tenant \(tenant)")
            }
        }
        guard let cp = try await store.latestCheckpoint(tenant: tenant) else { throw HTTPProblem.notFound("no checkpoint") }
        let proof = try await mapStore { try await store.inclusionProof(tenant: tenant, seq: found.seq, size: cp.size) }
        recorder.record(tenant: tenant, reader: who, action: "audit.read", details: ["event_id": .string(id), "seq": .int(Int64(found.seq))])
        guard case .object(var m) = try Self.item(found) else { throw HTTPProblem.notFound(id) }
        m["proof"] = .object([
            "tree_size": .int(Int64(cp.size)), "root": .string(cp.root.hex), "checkpoint": .string(cp.note),
            "inclusion": .array(proof.map { .string($0.hex) }),
        ])
        return json(.object(m))
    }
}

/// Opaque keyset cursors: base64url of `v2.<order>.<seq>.<filter fingerprint>`, so a cursor cannot
/// be replayed against other filters or another order. `v1` cursors (before 2026-12-03) are still
/// read.
enum Cursor {
    /// The first 8 bytes of SHA-256 over every filter but the position and the page size, in hex.
    /// Each filter is written as a fixed tag and a length-prefixed value (or its absence), so no
    /// two filter sets share an encoding. (`v1` hashed `"\(query)"`, Swift's reflection-based
    /// description, which took about a tenth of a query page's CPU.)
    static func fingerprint(_ q: EventQuery) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        func put(_ tag: UInt8, _ value: String?) {
            bytes.append(tag)
            guard let value else { return bytes.append(0x2D) }
            bytes.append(contentsOf: String(value.utf8.count).utf8)
            bytes.append(0x3A)
            bytes.append(contentsOf: value.utf8)
        }
        put(0x61, q.from.map { String($0.microseconds) })
        put(0x62, q.to.map { String($0.microseconds) })
        put(0x63, q.actor)
        put(0x64, q.onBehalfOf)
        put(0x65, q.agent)
        put(0x66, q.action)
        put(0x67, q.category)
        put(0x68, q.resourceType)
        put(0x69, q.resourceID)
        put(0x6A, q.outcome)
        put(0x6B, q.session)
        put(0x6C, q.minRisk.map { String($0) })
        put(0x6D, q.ownedBy)
        put(0x6E, q.order.rawValue)
        return hex(SHA256.hash(data: bytes).prefix(8))
    }

    /// The `v1` fingerprint, for cursors handed out before `v2`.
    static func fingerprintV1(_ q: EventQuery) -> String {
        var f = q
        f.after = nil
        f.limit = 0
        return hex(SHA256.hash(data: Array("\(f)".utf8)).prefix(8))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(after: UInt64, query: EventQuery) -> String {
        let raw = "v2.\(query.order.rawValue).\(after).\(fingerprint(query))"
        return Data(raw.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String, query: EventQuery) -> UInt64? {
        guard cursor.utf8.count <= 200 else { return nil }
        var b64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let raw = String(data: data, encoding: .utf8) else { return nil }
        let parts = raw.split(separator: ".")
        guard parts.count == 4, parts[1] == query.order.rawValue, let seq = UInt64(parts[2]) else { return nil }
        switch parts[0] {
        case "v2": guard parts[3] == fingerprint(query) else { return nil }
        case "v1": guard parts[3] == fingerprintV1(query) else { return nil }
        default: return nil
        }
        return seq
    }
}
