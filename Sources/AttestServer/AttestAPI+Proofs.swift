import AttestCore
import AttestIngest
import AttestStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension AttestAPI {
    func checkpoint(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.readProofs)
        try checkParameters(request, allowed: ["witnessed"])
        let tenant = try await tenant(request, who)
        let minimum = Int(clamping: try unsignedParameter(request, "witnessed") ?? 0)
        guard let found = try await mapStore({ try await store.witnessedCheckpoint(tenant: tenant, minWitnesses: minimum) }) else {
            throw HTTPProblem.notFound(minimum > 0 ? "no checkpoint cosigned by \(minimum) witness(es) yet" : "no checkpoint")
        }
        // Witness cosignatures are more signature lines of the same note (C2SP tlog-cosignature).
        return text(found.checkpoint.note + found.cosignatures.map { $0 + "\n" }.joined())
    }

    func pubkey(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.readProofs)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        return text(try await mapStore { try await store.verifierKey(tenant: tenant) } + "\n")
    }

    /// `GET /v1/keys`: the log's key history (FORMAT §8), oldest first.
    func keys(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.readProofs)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        guard let log = try await mapStore({ try await store.log(tenant: tenant, create: false) }) else {
            throw HTTPProblem.notFound("no log for tenant \(tenant)")
        }
        var history = try await mapStore { try await store.keyHistory(tenant: tenant) }
        if history.isEmpty {
            // A log from before key histories were recorded, never rotated: its one key.
            history = [LogKey(fromSize: 0, verifierKey: try await mapStore { try await store.verifierKey(tenant: tenant) }, rotationSeq: nil)]
        }
        let keys: [JSONValue] = history.map { k in
            var o: [String: JSONValue] = ["from_size": .int(Int64(k.fromSize)), "verifier_key": .string(k.verifierKey)]
            if let r = k.rotationSeq { o["rotation_seq"] = .int(Int64(r)) }
            return .object(o)
        }
        return json(.object(["origin": .string(log.origin), "keys": .array(keys)]))
    }

    func latestSize(_ tenant: String) async throws -> UInt64 {
        try await mapStore { try await store.latestCheckpoint(tenant: tenant)?.size ?? 0 }
    }

    func inclusionProof(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.readProofs)
        try checkParameters(request, allowed: ["seq", "size"])
        let tenant = try await tenant(request, who)
        guard let seq = try unsignedParameter(request, "seq") else { throw HTTPProblem.badParameter("seq", "is required") }
        let latest = try await latestSize(tenant)
        let size = try unsignedParameter(request, "size") ?? latest
        guard size <= latest else { throw HTTPProblem.badParameter("size", "is beyond the log size \(latest)") }
        guard seq < size else { throw HTTPProblem.badParameter("seq", "must be below size \(size)") }
        let proof = try await mapStore { try await store.inclusionProof(tenant: tenant, seq: seq, size: size) }
        let cp = try await mapStore { try await store.checkpoint(tenant: tenant, size: size) }
        let leaf = try await mapStore { try await store.entries(tenant: tenant, from: seq, limit: 1) }
        return json(
            .object([
                "seq": .int(Int64(seq)), "tree_size": .int(Int64(size)), "leaf_hash": .string(leaf.first?.hash.hex ?? ""),
                "root": .string(cp.root.hex), "checkpoint": .string(cp.note), "inclusion": .array(proof.map { .string($0.hex) }),
            ])
        )
    }

    func consistencyProof(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.readProofs)
        try checkParameters(request, allowed: ["from", "to"])
        let tenant = try await tenant(request, who)
        guard let from = try unsignedParameter(request, "from") else { throw HTTPProblem.badParameter("from", "is required") }
        let latest = try await latestSize(tenant)
        let to = try unsignedParameter(request, "to") ?? latest
        guard to <= latest else { throw HTTPProblem.badParameter("to", "is beyond the log size \(latest)") }
        guard from <= to else { throw HTTPProblem.badParameter("from", "must not be larger than to (\(to))") }
        let proof = try await mapStore { try await store.consistencyProof(tenant: tenant, from: from, to: to) }
        let oldRoot = try await mapStore { try await store.compactRange(tenant: tenant, size: from).root }
        let new = try await mapStore { try await store.checkpoint(tenant: tenant, size: to) }
        return json(
            .object([
                "from": .int(Int64(from)), "to": .int(Int64(to)), "from_root": .string(oldRoot.hex), "to_root": .string(new.root.hex),
                "checkpoint": .string(new.note), "consistency": .array(proof.map { .string($0.hex) }),
            ])
        )
    }

    /// Streams a bundle (FORMAT §6) of `[start, end)`.
    func export(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.export)
        try checkParameters(request, allowed: ["start", "end"])
        let tenant = try await tenant(request, who)
        let latest = try await latestSize(tenant)
        let start = try unsignedParameter(request, "start") ?? 0
        let end = try unsignedParameter(request, "end") ?? latest
        guard end <= latest else { throw HTTPProblem.badParameter("end", "is beyond the log size \(latest)") }
        guard start <= end else { throw HTTPProblem.badParameter("start", "must not be after end (\(end))") }
        guard let log = try await store.log(tenant: tenant, create: false) else { throw HTTPProblem.notFound(tenant) }
        let prefix = try await mapStore { try await store.compactRange(tenant: tenant, size: start) }
        let header = BundleHeader(
            origin: log.origin,
            verifierKey: try await mapStore { try await store.verifierKey(tenant: tenant, atSize: start) },
            start: start,
            prefix: prefix.nodes
        )
        let checkpoint = try await mapStore { try await store.checkpoint(tenant: tenant, size: end) }
        recorder.record(
            tenant: tenant,
            reader: who,
            action: "audit.export",
            details: ["start": .int(Int64(start)), "end": .int(Int64(end))]
        )
        let ledger = self.store
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(bytes: BundleWriter.headerLine(header)))
            var next = start
            while next < end {
                let rows = try await ledger.entries(tenant: tenant, from: next, limit: Int(min(2048, end - next)))
                guard !rows.isEmpty else { throw StoreError(.corrupt, "entries stop at \(next)") }
                var out: [UInt8] = []
                for r in rows { out += BundleWriter.entryLine(canonicalEntry: r.bytes, hash: r.hash, signature: r.signature) }
                try await writer.write(ByteBuffer(bytes: out))
                next += UInt64(rows.count)
            }
            try await writer.write(ByteBuffer(bytes: BundleWriter.checkpointLine(checkpoint.note)))
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/x-ndjson",
                .contentDisposition: "attachment; filename=\"attest-\(tenant)-\(start)-\(end).ndjson\"",
            ],
            body: body
        )
    }

    /// `POST /v1/hash {"value": V}`: the tenant's HMAC of a known value, to compare with a stored
    /// `{"hmac": …}` (strings: their UTF-8 bytes; other values: their RFC 8785 bytes).
    func hash(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.hashValues)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        let body = try await jsonBody(request)
        var problems: [Problem] = []
        for k in body.keys where k != "value" { problems.append(Problem(pointer: "/\(k)", message: "is not a known field")) }
        if body["value"] == nil { problems.append(Problem(pointer: "/value", message: "is required")) }
        if !problems.isEmpty { throw HTTPProblem.badRequest("Invalid body", problems.sorted()) }
        return json(.object(["hmac": .string(normalizer.redactor(tenant: tenant).hmac(body["value"]!))]))
    }
}
