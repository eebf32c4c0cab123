import AttestCore
import AttestOTLP
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// On the OTLP routes, every 4xx and 5xx body is a `google.rpc.Status` (the OTLP/HTTP
/// specification requires it), in protobuf or JSON after the request's content type, with the
/// status and `Retry-After` of the problem it replaces. Placed before authentication, so a 401 is
/// a Status too.
struct OTLPStatusMiddleware: RouterMiddleware {
    typealias Context = AttestRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as HTTPProblem {
            return Self.status(problem, request: request)
        } catch {
            // Anything else is an internal error: logged, and answered without detail.
            context.logger.error("OTLP request failed", metadata: ["error": "\(error)"])
            return Self.status(HTTPProblem(.internalServerError, "Internal error"), request: request)
        }
    }

    /// The gRPC code of a status, as OTLP/HTTP clients read it.
    static func code(_ status: HTTPResponse.Status) -> Int32 {
        switch status.code {
        case 400, 413, 415: return 3  // INVALID_ARGUMENT
        case 401: return 16  // UNAUTHENTICATED
        case 403: return 7  // PERMISSION_DENIED
        case 404: return 5  // NOT_FOUND
        case 429: return 8  // RESOURCE_EXHAUSTED
        case 503: return 14  // UNAVAILABLE
        default: return 13  // INTERNAL
        }
    }

    static func status(_ problem: HTTPProblem, request: Request) -> Response {
        var message = problem.title
        if let detail = problem.detail { message += ": " + detail }
        if !problem.problems.isEmpty { message += " (" + problem.problems.map { "\($0.pointer): \($0.message)" }.joined(separator: "; ") + ")" }
        var headers = problem.extraHeaders
        let type = (request.headers[.contentType] ?? "").lowercased()
        let bytes: [UInt8]
        if type.hasPrefix("application/json") {
            headers[.contentType] = "application/json"
            bytes = Array(#"{"code":\#(code(problem.status)),"message":"#.utf8) + jsonString(message) + Array("}".utf8)
        } else {
            headers[.contentType] = "application/x-protobuf"
            bytes = OTLPJSON.statusProtobuf(code: code(problem.status), message: message)
        }
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func jsonString(_ s: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += Array(#"\""#.utf8)
            case "\\": out += Array(#"\\"#.utf8)
            case "\n": out += Array(#"\n"#.utf8)
            default:
                if scalar.value < 0x20 {
                    out += Array(String(format: "\\u%04x", scalar.value).utf8)
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
        return out + [0x22]
    }
}
