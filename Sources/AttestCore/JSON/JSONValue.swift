/// A JSON value that keeps integers and doubles apart.
///
/// Values produced by ``JSONParser`` always satisfy the I-JSON profile (RFC 7493): `.int` payloads lie within
/// ±(2^53−1), `.double` payloads are finite, strings are valid Unicode, and object keys are unique.
///
/// ## Equality and hashing
/// `==` and `hash(into:)` are *exact*, unlike the synthesized conformance would be: strings and object keys are
/// compared by their Unicode scalar sequences, not by Swift's canonical-equivalence `String ==`. So
/// `.string("\u{E9}") != .string("e\u{301}")`, in line with JSON and RFC 8785, where those are different texts
/// with different canonical bytes. `.int(1)` and `.double(1)` are different values (even though both
/// canonicalize to `1`); `.double(0.0) == .double(-0.0)` (both canonicalize to `0`).
///
/// ## Object keys and Unicode normalization
/// `.object` stores a Swift `Dictionary`, whose keys are unique up to canonical equivalence. Two keys that are
/// distinct in JSON but canonically equivalent in Swift (`"\u00e9"` and `"e\u0301"`) therefore cannot both live in
/// one `.object`. The parser does not merge or drop such members silently: it rejects the document with
/// ``JSONParseError/Code/unrepresentableKey``. A key's scalars are always preserved exactly as parsed.
public enum JSONValue: Sendable, Hashable {
    /// The JSON literal `null`.
    case null
    /// The JSON literals `true` and `false`.
    case bool(Bool)
    /// An integer literal (no fraction, no exponent); the parser only produces values within ±(2^53−1).
    case int(Int64)  // integer literals within ±(2^53−1) (I-JSON, RFC 7493)
    /// A number literal with a fraction or an exponent, correctly rounded; the parser only produces finite values.
    case double(Double)  // any literal with a fraction or exponent; always finite
    /// A string, holding exactly the Unicode scalars of the JSON text after unescaping.
    case string(String)
    /// An array, in document order.
    case array([JSONValue])
    /// An object; member order is not significant (canonical output sorts members).
    case object([String: JSONValue])
}

// MARK: - Constants

extension JSONValue {
    /// The largest integer magnitude I-JSON allows for `.int`: 2^53 − 1 = 9007199254740991.
    public static let maxSafeInteger: Int64 = 9_007_199_254_740_991
}

// MARK: - Accessors

extension JSONValue {
    /// The member named `key` when `self` is an object containing a key with exactly the same Unicode scalars;
    /// `nil` otherwise (including when `self` is not an object).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self, let index = members.index(forKey: key) else { return nil }
        let entry = members[index]
        // Careful: a bare `nil` in a ternary with a JSONValue branch would become `.null` (ExpressibleByNilLiteral).
        guard JSONValue.exactlyEqual(entry.key, key) else { return nil }
        return entry.value
    }

    /// The element at `index` when `self` is an array and `index` is in bounds; `nil` otherwise. Never traps.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The payload of a `.string`, otherwise `nil`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The payload of an `.int`, otherwise `nil` (a `.double`, even an integral one, yields `nil`).
    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The numeric value of an `.int` (converted to `Double`) or a `.double`, otherwise `nil`.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The payload of a `.bool`, otherwise `nil`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements of an `.array`, otherwise `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members of an `.object`, otherwise `nil`.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// `true` exactly when `self` is `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short, stable name of the value's kind for error messages:
    /// `"null"`, `"boolean"`, `"integer"`, `"number"`, `"string"`, `"array"` or `"object"`.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// MARK: - Exact equality and hashing

extension JSONValue {
    /// `true` when `lhs` and `rhs` have the same kind and exactly the same content; strings and keys are compared
    /// by Unicode scalars (not canonical equivalence), numbers with `==` (so `0.0 == -0.0`), `.int` never equals
    /// `.double`.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(a), .bool(b)):
            return a == b
        case let (.int(a), .int(b)):
            return a == b
        case let (.double(a), .double(b)):
            return a == b
        case let (.string(a), .string(b)):
            return exactlyEqual(a, b)
        case let (.array(a), .array(b)):
            return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                // Keys in one dictionary are never canonically equivalent, so this lookup finds the only candidate.
                guard let index = b.index(forKey: key) else { return false }
                let other = b[index]
                guard exactlyEqual(key, other.key), value == other.value else { return false }
            }
            return true
        default:
            return false
        }
    }

    /// Feeds the exact content of `self` into `hasher`, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(4 as UInt8)
            JSONValue.hashExactly(value, into: &hasher)
        case .array(let elements):
            hasher.combine(5 as UInt8)
            hasher.combine(elements.count)
            for element in elements { hasher.combine(element) }
        case .object(let members):
            hasher.combine(6 as UInt8)
            hasher.combine(members.count)
            // Order-independent combination of per-member hashes (dictionary iteration order is unspecified).
            var combined = 0
            for (key, value) in members {
                var memberHasher = Hasher()
                JSONValue.hashExactly(key, into: &memberHasher)
                memberHasher.combine(value)
                combined ^= memberHasher.finalize()
            }
            hasher.combine(combined)
        }
    }

    /// Compares two strings by their exact Unicode scalar sequence (equivalently, their UTF-8 bytes).
    static func exactlyEqual(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    private static func hashExactly(_ string: String, into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(string.utf8.count)
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral {
    /// Creates `.null`.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// Creates `.bool(value)`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// Creates `.int(value)`. Integers outside ±(2^53−1) are representable but not I-JSON; see ``canonicalBytes``.
    public init(integerLiteral value: Int64) {
        self = .int(value)
    }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// Creates `.double(value)`; even `1.0` stays a `.double`.
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// Creates `.string(value)`, keeping the literal's Unicode scalars as written.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// Creates `.array(elements)`.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates `.object` from the pairs. Duplicate keys (including canonically equivalent ones) are a programmer
    /// error and trap, like `Dictionary(uniqueKeysWithValues:)`.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(uniqueKeysWithValues: elements))
    }
}
