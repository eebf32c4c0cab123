import AttestCore
import AttestIngest
import AttestOTLP
import AttestOTLPProto
import AttestStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwiftProtobuf

/// OTLP/HTTP logs (`POST /v1/logs`), binary protobuf or OTLP/JSON, gzip allowed, answered in the
/// request's content type. Records are mapped by ``OTLPLogMapper``; a record that does not make a
/// valid event is counted in `partial_success` and the others are appended.
extension AttestAPI {
    enum OTLPEncoding {
        case protobuf, json
    }

    func otlpEncoding(_ request: Request) throws -> OTLPEncoding {
        let type =
            (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
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

    /// A permanent failure: 400 with a google.rpc.Status body in the request's encoding.
    func otlpBadRequest(_ message: String, _ encoding: OTLPEncoding) -> Response {
        switch encoding {
        case .protobuf:
            return Response(
                status: .badRequest,
                headers: [.contentType: "application/x-protobuf"],
                body: .init(byteBuffer: ByteBuffer(bytes: OTLPJSON.statusProtobuf(code: 3, message: message)))
            )
        case .json:
            return json(.object(["code": .int(3), "message": .string(message)]), status: .badRequest)
        }
    }

    func otlpLogs(_ request: Request, _ context: AttestRequestContext) async throws -> Response {
        let who = try context.require(.writeEvents)
        try checkParameters(request, allowed: [])
        let tenant = try await tenant(request, who)
        let encoding = try otlpEncoding(request)
        let body = try await readBody(request)
        var decoded: OTLPLogsRequest
        do {
            switch encoding {
            case .protobuf:
                decoded = try OTLPLogsRequest(serializedBytes: body)
            case .json:
                let value = try JSONParser.parse(body)
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = true
                decoded = try OTLPLogsRequest(jsonUTF8Bytes: OTLPJSON.normalizeIDs(value).canonicalBytes, options: options)
            }
        } catch {
            return otlpBadRequest("the body is not an OTLP ExportLogsServiceRequest: \(error)", encoding)
        }
        let receivedAt = Timestamp.now()
        var events: [AuditEvent] = []
        var rejected: [String] = []
        for mapped in OTLPLogMapper.map(decoded) {
            switch normalizer.normalize([(prefix: mapped.pointer, value: mapped.event)], tenant: tenant, receivedAt: receivedAt) {
            case .success(let e): events += e
            case .failure(let p): rejected.append(p.problems.map { "\($0.pointer): \($0.message)" }.joined(separator: "; "))
            }
        }
        if !events.isEmpty {
            do {
                _ = try await sequencer.submit(tenant: tenant, events: events, receivedAt: receivedAt)
            } catch let e as IngestError {
                // Retryable: OTLP exporters retry 429, 502, 503 and 504 only.
                throw HTTPProblem.unavailable(e.reason, retryAfter: e.code == .overloaded ? 1 : 5)
            }
        }
        var response = OTLPLogsResponse()
        if !rejected.isEmpty {
            response.partialSuccess.rejectedLogRecords = Int64(rejected.count)
            response.partialSuccess.errorMessage = "\(rejected.count) log record(s) rejected: " + rejected.prefix(5).joined(separator: " | ")
        }
        switch encoding {
        case .protobuf:
            let bytes: [UInt8] = try response.serializedBytes()
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        case .json:
            let bytes: [UInt8] = try response.jsonUTF8Bytes()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
