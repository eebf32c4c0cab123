import AttestCore
import AttestIngest
import AttestOTLP
import AttestOTLPProto
import AttestStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwiftProtobuf

/// OTLP/HTTP (`POST /v1/logs`, `/v1/traces`, `/v1/metrics`): binary protobuf or OTLP/JSON, gzip
/// allowed, answered in the request's content type (docs/OTLP.md). Errors are google.rpc.Status
/// bodies (``OTLPStatusMiddleware``).
///
/// Logs and spans are mapped to audit events (``OTLPLogMapper``, ``OTLPSpanMapper``) and appended
/// to the ledger; a record that does not make a valid event is counted in `partial_success` and the
/// others are appended. Metrics feed usage analytics (``OTLPMetricMapper``), not the ledger.
extension AttestAPI {
    enum OTLPEncoding {
        case protobuf, json
    }

    /// The OTLP routes, on the main router and on the optional OTLP listener.
    func registerOTLP(on group: RouterGroup<AttestRequestContext>) {
        group.post("logs") { request, context in try await otlpLogs(request, context) }
        group.post("traces") { request, context in try await otlpTraces(request, context) }
        group.post("metrics") { request, context in try await otlpMetrics(request, context) }
    }

    func otlpEncoding(_ request: Request) throws -> OTLPEncoding {
        let type =
            HeaderValue.mediaType(request.headers[.contentType])
        switch type {
        case "application/x-protobuf", "application/protobuf": return .protobuf
        case "application/json": return .json
        default:
            throw HTTPProblem(
                .unsupportedMediaType,
                "Unsupported media type",
                detail: "OTLP/HTTP takes application/x-protobuf or application/json, got \"\(type)\""
            )
        }
    }

    /// Authorizes, reads and decodes an OTLP request; a body that does not decode is a 400.
    /// `digest` is the SHA-256 of the body (after gzip), from which the events' ids are derived.
    func otlpRequest<M: SwiftProtobuf.Message>(
        _ type: M.Type,
        _ request: Request,
        _ context: AttestRequestContext
    ) async throws -> (tenant: String, encoding: OTLPEncoding, message: M, digest: Hash256) {
        let who = try context.require(.writeEvents)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        let encoding = try otlpEncoding(request)
        let body = try await readBody(request)
        do {
            switch encoding {
            case .protobuf:
                return (tenant, encoding, try M(serializedBytes: body), Hash256.sha256(body))
            case .json:
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = true
                return (tenant, encoding, try M(jsonUTF8Bytes: OTLPJSON.normalizeIDs(json: body), options: options), Hash256.sha256(body))
            }
        } catch {
            let name = String(describing: M.self).split(separator: "_").last.map(String.init) ?? "request"
            // A permanent failure: 400, rendered as a google.rpc.Status by OTLPStatusMiddleware.
            throw HTTPProblem(.badRequest, "Invalid OTLP request", detail: "the body is not an OTLP \(name): \(error)")
        }
    }

    func otlpReply<M: SwiftProtobuf.Message>(_ message: M, _ encoding: OTLPEncoding) throws -> Response {
        switch encoding {
        case .protobuf:
            let bytes: [UInt8] = try message.serializedBytes()
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        case .json:
            let bytes: [UInt8] = try message.jsonUTF8Bytes()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// Appends prepared records (``OTLPIngest``); returns the rejected ones' messages. Each event's id
    /// is derived from the request's body and the record's place in it
    /// (``OTLPIngest/eventID(body:pointer:)``), so an exporter's retry of the same request (after a
    /// timeout or a 503) adds nothing twice.
    func otlpAppend(_ prepared: OTLPPrepared, tenant: String, receivedAt: Timestamp) async throws -> [String] {
        var duplicates: Set<String> = []
        if !prepared.events.isEmpty {
            do {
                let receipt = try await sequencer.submit(tenant: tenant, events: prepared.events, receivedAt: receivedAt)
                duplicates = Set(receipt.receipts.filter(\.duplicate).map(\.id))
            } catch let e as IngestError {
                // Retryable: OTLP exporters retry 429, 502, 503 and 504 only.
                if e.code == .overloaded {
                    throw HTTPProblem(.tooManyRequests, "Too many requests", detail: e.reason, headers: [.retryAfter: "1"])
                }
                throw HTTPProblem.unavailable(e.reason, retryAfter: 5)
            }
        }
        // Analytics are not ledger data: once the events are durable, the points are written just
        // behind them, many requests at a time (UsageRecorder); a failure there is logged.
        // Only records appended now count: a retried request's duplicates were counted the first time.
        usageRecorder.record(tenant: tenant, points: prepared.usage.filter { !duplicates.contains($0.id) }.flatMap(\.points))
        return prepared.rejected
    }

    static func rejectionMessage(_ rejected: [String], _ what: String) -> String {
        "\(rejected.count) \(what) rejected: " + rejected.prefix(5).joined(separator: " | ") + (rejected.count > 5 ? " | …" : "")
    }

    // MARK: POST /v1/logs

    func otlpLogs(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let r = try await otlpRequest(OTLPLogsRequest.self, request, context)
        let receivedAt = Timestamp.now()
        let mapped = OTLPLogMapper.map(r.message, risk: risk)
        let prepared = OTLPIngest.prepare(mapped, body: r.digest, normalizer: normalizer, tenant: r.tenant, receivedAt: receivedAt)
        let rejected = try await otlpAppend(prepared, tenant: r.tenant, receivedAt: receivedAt)
        var response = OTLPLogsResponse()
        if !rejected.isEmpty {
            response.partialSuccess.rejectedLogRecords = Int64(rejected.count)
            response.partialSuccess.errorMessage = Self.rejectionMessage(rejected, "log record(s)")
        }
        return try otlpReply(response, r.encoding)
    }

    // MARK: POST /v1/traces

    func otlpTraces(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let r = try await otlpRequest(OTLPTracesRequest.self, request, context)
        let receivedAt = Timestamp.now()
        let mapped = OTLPSpanMapper.map(r.message, risk: risk)
        let prepared = OTLPIngest.prepare(mapped, body: r.digest, normalizer: normalizer, tenant: r.tenant, receivedAt: receivedAt)
        let rejected = try await otlpAppend(prepared, tenant: r.tenant, receivedAt: receivedAt)
        var response = OTLPTracesResponse()
        if !rejected.isEmpty {
            response.partialSuccess.rejectedSpans = Int64(rejected.count)
            response.partialSuccess.errorMessage = Self.rejectionMessage(rejected, "span(s)")
        }
        return try otlpReply(response, r.encoding)
    }

    // MARK: POST /v1/metrics

    func otlpMetrics(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let r = try await otlpRequest(OTLPMetricsRequest.self, request, context)
        let decoded = r.message
        let mapped = OTLPMetricMapper.map(decoded)
        do {
            try await store.recordUsage(tenant: r.tenant, points: mapped.points)
        } catch {
            // Retryable, like a log or span batch the database could not take.
            context.logger.warning("usage analytics not recorded", metadata: ["tenant": "\(r.tenant)", "error": "\(error)"])
            throw HTTPProblem.unavailable("the database is unavailable", retryAfter: 5)
        }
        var response = OTLPMetricsResponse()
        if mapped.rejected > 0 {
            response.partialSuccess.rejectedDataPoints = Int64(mapped.rejected)
            response.partialSuccess.errorMessage = Self.rejectionMessage(mapped.rejectedReasons, "data point(s)")
        }
        return try otlpReply(response, r.encoding)
    }

    // MARK: GET /v1/analytics/usage

    func usage(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.readAnalytics)
        try checkParameters(request, allowed: ["from", "to", "group_by"])
        let tenant = try await tenant(request, who)
        let params = request.uri.queryParameters
        var problems: [Problem] = []
        func time(_ name: String) -> Timestamp? {
            guard let v = params[Substring(name)] else { return nil }
            guard let t = Timestamp(rfc3339: String(v)) else {
                problems.append(Problem(pointer: "/query/\(name)", message: "must be an RFC 3339 date-time such as 2026-11-23T08:00:00Z"))
                return nil
            }
            return t
        }
        let from = time("from")
        let to = time("to")
        var group = UsageGroup.user
        if let g = params["group_by"] {
            if let parsed = UsageGroup(rawValue: String(g)) {
                group = parsed
            } else {
                problems.append(Problem(pointer: "/query/group_by", message: "must be one of user, agent, model, day"))
            }
        }
        if let from, let to, to.microseconds <= from.microseconds {
            problems.append(Problem(pointer: "/query/to", message: "must be after from"))
        }
        guard problems.isEmpty else { throw HTTPProblem.badRequest("Invalid query", problems) }
        // Points of answered OTLP records may still wait in the usage recorder: write them first.
        try await mapStore { try await self.usageRecorder.flush(tenant) }
        let rows = try await mapStore { try await store.usage(tenant: tenant, from: from, to: to, groupBy: group) }
        var items: [JSONValue] = []
        for row in rows {
            var o: [String: JSONValue] = ["key": .string(row.key)]
            for measure in UsageMeasure.allCases {
                let v = row.totals[measure] ?? 0
                o[measure.rawValue] = measure == .costUSD ? .double(v) : .int(Int64(v.rounded()))
            }
            let added = row.totals[.linesAdded] ?? 0
            let removed = row.totals[.linesRemoved] ?? 0
            let modified = row.totals[.linesModified] ?? 0
            o["lines_changed"] = .int(Int64((added + removed + modified).rounded()))
            let tokens = [UsageMeasure.inputTokens, .outputTokens, .cacheReadTokens, .cacheCreationTokens].map { row.totals[$0] ?? 0 }.reduce(0, +)
            o["tokens"] = .int(Int64(tokens.rounded()))
            items.append(.object(o))
        }
        var body: [String: JSONValue] = ["group_by": .string(group.rawValue), "items": .array(items)]
        if let from { body["from"] = .string(from.rfc3339) }
        if let to { body["to"] = .string(to.rfc3339) }
        return json(.object(body))
    }
}
