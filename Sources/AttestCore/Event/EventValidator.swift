import Foundation

/// Checks a JSON value against a ``FieldType`` and reports every problem, never just the first.
public struct EventValidator: Sendable {
    public init() {}

    /// All problems of `value` against `type`, with JSON pointers relative to `pointer`.
    public func problems(_ value: JSONValue, against type: FieldType, at pointer: String = "") -> [Problem] {
        var walk = Walk(prefix: pointer)
        check(value, type, &walk)
        return walk.problems
    }

    /// The walk's position (a stack of escaped tokens, joined only when a problem is reported) and
    /// what it found. Validation runs on every ingested event: no string building on the good path.
    struct Walk {
        let prefix: String
        var tokens: [String] = []
        var problems: [Problem] = []

        var pointer: String {
            var p = prefix
            for t in tokens {
                p += "/"
                p += t
            }
            return p
        }

        mutating func report(_ message: String) { problems.append(Problem(pointer: pointer, message: message)) }
    }

    /// Escapes one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
    public static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private func check(_ value: JSONValue, _ type: FieldType, _ walk: inout Walk) {
        switch type {
        case .any:
            return
        case .anyObject:
            if case .object = value { return }
            walk.report("must be an object, got \(value.typeName)")
        case .string(let maxLength, let syntax):
            guard case .string(let s) = value else {
                walk.report("must be a string, got \(value.typeName)")
                return
            }
            checkString(s, maxLength, syntax, &walk)
        case .oneOf(let allowed):
            guard case .string(let s) = value else {
                walk.report("must be one of \(allowed.joined(separator: ", ")); got \(value.typeName)")
                return
            }
            if !allowed.contains(s) {
                walk.report("must be one of \(allowed.joined(separator: ", ")); got \"\(Self.clip(s))\"")
            }
        case .integer(let min):
            guard case .int(let i) = value else {
                walk.report("must be an integer, got \(value.typeName)")
                return
            }
            if i < min { walk.report("must be at least \(min), got \(i)") }
        case .number(let min):
            let d: Double
            switch value {
            case .int(let i): d = Double(i)
            case .double(let x): d = x
            default:
                walk.report("must be a number, got \(value.typeName)")
                return
            }
            if d < min { walk.report("must be at least \(min)") }
        case .stringOrInteger(let maxLength):
            switch value {
            case .int: return
            case .string(let s): checkString(s, maxLength, .any, &walk)
            default: walk.report("must be a string or an integer, got \(value.typeName)")
            }
        case .array(let element, let maxItems):
            guard case .array(let items) = value else {
                walk.report("must be an array, got \(value.typeName)")
                return
            }
            if items.count > maxItems {
                walk.report("must have at most \(maxItems) items, got \(items.count)")
            }
            for (i, item) in items.enumerated() {
                walk.tokens.append(String(i))
                check(item, element, &walk)
                walk.tokens.removeLast()
            }
        case .object(let fields, let required):
            guard case .object(let members) = value else {
                walk.report("must be an object, got \(value.typeName)")
                return
            }
            for name in required.sorted() where members[name] == nil {
                walk.tokens.append(Self.escape(name))
                walk.report("is required")
                walk.tokens.removeLast()
            }
            let atRoot = walk.tokens.isEmpty
            let before = walk.problems.count
            for (name, member) in members {
                walk.tokens.append(Self.escape(name))
                if let ft = fields[name] {
                    check(member, ft, &walk)
                } else {
                    walk.report("is not a known field\(atRoot ? "; put extra data under /attributes" : "")")
                }
                walk.tokens.removeLast()
            }
            // Members come in hash order; report them in a stable order.
            if walk.problems.count - before > 1 { walk.problems[before...].sort() }
        }
    }

    private func checkString(_ s: String, _ maxLength: Int, _ syntax: StringSyntax, _ walk: inout Walk) {
        // Counting characters is slow (grapheme breaking): only when the UTF-8 size allows too many.
        let size = s.utf8.count
        if size > maxLength && (size > maxLength * 4 || s.count > maxLength) {
            walk.report("must be at most \(maxLength) characters")
            return
        }
        switch syntax {
        case .any:
            break
        case .identifier:
            if s.isEmpty {
                walk.report("must not be empty")
            } else if s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                walk.report("must not contain control characters")
            }
        case .dotted:
            if !Self.isDotted(s) {
                walk.report("must be a dotted name such as tool.execute (letters, digits, _ and -, joined by dots)")
            }
        case .rfc3339:
            if Timestamp(rfc3339: s) == nil {
                walk.report("must be an RFC 3339 date-time such as 2026-11-23T08:15:30Z, got \"\(Self.clip(s))\"")
            }
        }
    }

    static func isDotted(_ s: String) -> Bool { isDotted(utf8: s.utf8) }

    /// `true` when the bytes are a dotted name (segments of `A-Z a-z 0-9 _ -` joined by dots);
    /// also used by the ingest byte path on raw bytes.
    public static func isDotted(utf8: some Sequence<UInt8>) -> Bool {
        var segmentLength = 0
        for b in utf8 {
            switch b {
            case UInt8(ascii: "."):
                if segmentLength == 0 { return false }
                segmentLength = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "-"):
                segmentLength += 1
            default:
                return false
            }
        }
        return segmentLength > 0
    }

    static func clip(_ s: String) -> String { s.count <= 60 ? s : String(s.prefix(57)) + "..." }
}
