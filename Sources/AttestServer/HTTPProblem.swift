import AttestCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An RFC 9457 problem: the only kind of error a client sees. Anything else thrown by a handler is
/// logged and answered with a generic 500 that reveals nothing.
public struct HTTPProblem: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let title: String
    public let detail: String?
    /// Every problem with the input, by JSON pointer.
    public let problems: [Problem]
    public let extraHeaders: HTTPFields

    public init(_ status: HTTPResponse.Status, _ title: String, detail: String? = nil, problems: [Problem] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.title = title
        self.detail = detail
        self.problems = problems
        self.extraHeaders = headers
    }

    public var headers: HTTPFields { extraHeaders }

    /// The `type` URI names the kind of problem; documented in docs/API.md.
    var type: String {
        switch status {
        case .badRequest, .unprocessableContent: return "https://attest.dev/problems/invalid-input"
        case .unauthorized: return "https://attest.dev/problems/unauthorized"
        case .forbidden: return "https://attest.dev/problems/forbidden"
        case .notFound: return "https://attest.dev/problems/not-found"
        case .conflict: return "https://attest.dev/problems/conflict"
        case .contentTooLarge: return "https://attest.dev/problems/too-large"
        case .serviceUnavailable: return "https://attest.dev/problems/unavailable"
        case .unsupportedMediaType: return "https://attest.dev/problems/unsupported-media-type"
        default: return "about:blank"
        }
    }

    var body: JSONValue {
        var m: [String: JSONValue] = ["type": .string(type), "title": .string(title), "status": .int(Int64(status.code))]
        if let detail { m["detail"] = .string(detail) }
        if !problems.isEmpty {
            m["problems"] = .array(problems.map { .object(["pointer": .string($0.pointer), "message": .string($0.message)]) })
        }
        return .object(m)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = extraHeaders
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.canonicalBytes)))
    }

    static func badRequest(_ title: String, _ problems: [Problem]) -> HTTPProblem {
        HTTPProblem(.badRequest, title, detail: problems.count == 1 ? problems[0].description : "\(problems.count) problems", problems: problems)
    }

    static func badParameter(_ name: String, _ message: String) -> HTTPProblem {
        let p = Problem(pointer: "/query/\(name)", message: message)
        return HTTPProblem(.badRequest, "Invalid query parameter", detail: p.description, problems: [p])
    }

    static let unauthorized = HTTPProblem(
        .unauthorized,
        "Authentication required",
        detail: "send Authorization: Bearer <token>",
        headers: [.wwwAuthenticate: "Bearer"]
    )

    static func forbidden(_ detail: String) -> HTTPProblem { HTTPProblem(.forbidden, "Forbidden", detail: detail) }

    static func notFound(_ detail: String) -> HTTPProblem { HTTPProblem(.notFound, "Not found", detail: detail) }

    static func unavailable(_ detail: String, retryAfter: Int = 1) -> HTTPProblem {
        HTTPProblem(.serviceUnavailable, "Service unavailable", detail: detail, headers: [.retryAfter: "\(retryAfter)"])
    }
}
