import AttestCore

/// Turns a request body into events: one JSON object, a JSON array of objects, or NDJSON.
///
/// Problems are located by JSON pointer into the batch: `/2/actor/id` is the third event's
/// `actor.id`; a single object's problems have no index (`/actor/id`).
public enum EventBatchParser {
    /// How the body is framed.
    public enum Framing: Sendable {
        /// One object or an array of objects.
        case json
        /// One object per line; blank lines are skipped.
        case ndjson
    }

    /// At most this many events in one request.
    public static let maxEvents = 10_000

    /// The events of the body, each with the pointer prefix its problems get, and the problems of
    /// the parts that are not JSON. In NDJSON the good lines are still returned, so that every
    /// problem of the batch can be reported at once.
    public static func parse(_ body: [UInt8], framing: Framing) -> (events: [(prefix: String, value: JSONValue)], problems: [Problem]) {
        switch framing {
        case .json:
            let value: JSONValue
            do {
                value = try JSONParser.parse(body)
            } catch {
                return ([], [Problem(pointer: "", message: "invalid JSON: \(error)")])
            }
            guard case .array(let items) = value else { return ([("", value)], []) }
            guard !items.isEmpty else { return ([], [Problem(pointer: "", message: "the batch is empty")]) }
            guard items.count <= maxEvents else { return ([], [Problem(pointer: "", message: "at most \(maxEvents) events per request")]) }
            return (items.enumerated().map { ("/\($0.offset)", $0.element) }, [])
        case .ndjson:
            var events: [(String, JSONValue)] = []
            var problems: [Problem] = []
            var index = 0
            var start = 0
            var line = 0
            func take(_ end: Int) {
                line += 1
                var e = end
                if e > start && body[e - 1] == 0x0D { e -= 1 }
                let slice = body[start..<e]
                guard slice.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
                do {
                    events.append(("/\(index)", try JSONParser.parse(slice)))
                } catch {
                    problems.append(Problem(pointer: "/\(index)", message: "invalid JSON on line \(line): \(error)"))
                }
                index += 1
            }
            for i in body.indices where body[i] == 0x0A {
                take(i)
                start = i + 1
            }
            if start < body.count { take(body.count) }
            if index == 0 { return ([], [Problem(pointer: "", message: "the batch is empty")]) }
            if index > maxEvents { return ([], [Problem(pointer: "", message: "at most \(maxEvents) events per request")]) }
            return (events, problems)
        }
    }
}
