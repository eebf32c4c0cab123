import Foundation

/// Checks a JSON value against a ``FieldType`` and reports every problem, never just the first.
public struct EventValidator: Sendable {
    public init() {}

    /// All problems of `value` against `type`, with JSON pointers relative to `pointer`.
    public func problems(_ value: JSONValue, against type: FieldType, at pointer: String = "") -> [Problem] {
        var out: [Problem] = []
        check(value, type, pointer, &out)
        return out
    }

    /// Escapes one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
    public static func escape(_ token: String) -> String {
        guard token.contains(where: { $0 == "~" || $0 == "/" }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private func check(_ value: JSONValue, _ type: FieldType, _ ptr: String, _ out: inout [Problem]) {
        switch type {
        case .any:
            return
        case .anyObject:
            if case .object = value { return }
            out.append(Problem(pointer: ptr, message: "must be an object, got \(value.typeName)"))
        case .string(let maxLength, let syntax):
            guard case .string(let s) = value else {
                out.append(Problem(pointer: ptr, message: "must be a string, got \(value.typeName)"))
                return
            }
            checkString(s, maxLength, syntax, ptr, &out)
        case .oneOf(let allowed):
            guard case .string(let s) = value else {
                out.append(Problem(pointer: ptr, message: "must be one of \(allowed.joined(separator: ", ")); got \(value.typeName)"))
                return
            }
            if !allowed.contains(s) {
                out.append(Problem(pointer: ptr, message: "must be one of \(allowed.joined(separator: ", ")); got \"\(Self.clip(s))\""))
            }
        case .integer(let min):
            guard case .int(let i) = value else {
                out.append(Problem(pointer: ptr, message: "must be an integer, got \(value.typeName)"))
                return
            }
            if i < min { out.append(Problem(pointer: ptr, message: "must be at least \(min), got \(i)")) }
        case .number(let min):
            let d: Double
            switch value {
            case .int(let i): d = Double(i)
            case .double(let x): d = x
            default:
                out.append(Problem(pointer: ptr, message: "must be a number, got \(value.typeName)"))
                return
            }
            if d < min { out.append(Problem(pointer: ptr, message: "must be at least \(min)")) }
        case .stringOrInteger(let maxLength):
            switch value {
            case .int: return
            case .string(let s): checkString(s, maxLength, .any, ptr, &out)
            default: out.append(Problem(pointer: ptr, message: "must be a string or an integer, got \(value.typeName)"))
            }
        case .array(let element, let maxItems):
            guard case .array(let items) = value else {
                out.append(Problem(pointer: ptr, message: "must be an array, got \(value.typeName)"))
                return
            }
            if items.count > maxItems {
                out.append(Problem(pointer: ptr, message: "must have at most \(maxItems) items, got \(items.count)"))
            }
            for (i, item) in items.enumerated() { check(item, element, ptr + "/\(i)", &out) }
        case .object(let fields, let required):
            guard case .object(let members) = value else {
                out.append(Problem(pointer: ptr, message: "must be an object, got \(value.typeName)"))
                return
            }
            for name in required.sorted() where members[name] == nil {
                out.append(Problem(pointer: ptr + "/" + Self.escape(name), message: "is required"))
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let p = ptr + "/" + Self.escape(name)
                guard let ft = fields[name] else {
                    let hint = ptr.isEmpty ? "; put extra data under /attributes" : ""
                    out.append(Problem(pointer: p, message: "is not a known field\(hint)"))
                    continue
                }
                check(member, ft, p, &out)
            }
        }
    }

    private func checkString(_ s: String, _ maxLength: Int, _ syntax: StringSyntax, _ ptr: String, _ out: inout [Problem]) {
        if s.utf8.count > maxLength * 4 || s.count > maxLength {
            out.append(Problem(pointer: ptr, message: "must be at most \(maxLength) characters"))
            return
        }
        switch syntax {
        case .any:
            break
        case .identifier:
            if s.isEmpty {
                out.append(Problem(pointer: ptr, message: "must not be empty"))
            } else if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                out.append(Problem(pointer: ptr, message: "must not contain control characters"))
            }
        case .dotted:
            if !Self.isDotted(s) {
                out.append(Problem(pointer: ptr, message: "must be a dotted name such as tool.execute (letters, digits, _ and -, joined by dots)"))
            }
        case .rfc3339:
            if Timestamp(rfc3339: s) == nil {
                out.append(Problem(pointer: ptr, message: "must be an RFC 3339 date-time such as 2026-11-23T08:15:30Z, got \"\(Self.clip(s))\""))
            }
        }
    }

    static func isDotted(_ s: String) -> Bool {
        var segmentLength = 0
        for b in s.utf8 {
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
