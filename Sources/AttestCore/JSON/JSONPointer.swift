/// An RFC 6901 JSON Pointer: a sequence of reference tokens, each naming an object member or an array index.
///
/// Tokens are stored unescaped. Equality, hashing and ordering use the tokens' exact Unicode scalars (not Swift's
/// canonical-equivalence `String ==`), matching how ``JSONValue`` treats keys. Pointers are ordered token by token,
/// each token by UTF-16 code units (the RFC 8785 key order), and a pointer sorts before every pointer it prefixes.
public struct JSONPointer: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The unescaped reference tokens, from the root outwards. Empty for the root pointer.
    public let tokens: [String]

    /// The pointer to the whole document (`""`).
    public static let root = JSONPointer(tokens: [])

    /// Creates a pointer from unescaped tokens.
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses the RFC 6901 string form (`""`, `"/a/0"`, `"/a~1b/m~0n"`). Returns `nil` when the string is non-empty
    /// and does not start with `/`, or contains a `~` not followed by `0` or `1`.
    public init?(_ string: String) {
        if string.isEmpty {
            self.init(tokens: [])
            return
        }
        guard string.utf8.first == UInt8(ascii: "/") else { return nil }
        var tokens: [String] = []
        for rawToken in string.unicodeScalars.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = String.UnicodeScalarView()
            var iterator = rawToken.makeIterator()
            while let scalar = iterator.next() {
                if scalar == "~" {
                    switch iterator.next() {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: return nil
                    }
                } else {
                    token.append(scalar)
                }
            }
            tokens.append(String(token))
        }
        self.init(tokens: tokens)
    }

    /// The pointer with `key` appended as a further token.
    public func appending(_ key: String) -> JSONPointer {
        JSONPointer(tokens: tokens + [key])
    }

    /// The pointer with the decimal form of `index` appended as a further token. Precondition: `index >= 0`.
    public func appending(_ index: Int) -> JSONPointer {
        precondition(index >= 0, "JSONPointer: array index must not be negative, got \(index)")
        return JSONPointer(tokens: tokens + [String(index)])
    }

    /// The RFC 6901 string form: each token prefixed with `/`, with `~` written as `~0` and `/` as `~1`.
    /// The root pointer is the empty string.
    public var description: String {
        var result = ""
        for token in tokens {
            result.append("/")
            for scalar in token.unicodeScalars {
                switch scalar {
                case "~": result.append("~0")
                case "/": result.append("~1")
                default: result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// `true` when both pointers have the same number of tokens with exactly the same Unicode scalars.
    public static func == (lhs: JSONPointer, rhs: JSONPointer) -> Bool {
        lhs.tokens.count == rhs.tokens.count && zip(lhs.tokens, rhs.tokens).allSatisfy { JSONValue.exactlyEqual($0, $1) }
    }

    /// Feeds the tokens' exact UTF-8 bytes into `hasher`, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(tokens.count)
        for token in tokens {
            hasher.combine(token.utf8.count)
            for byte in token.utf8 { hasher.combine(byte) }
        }
    }

    /// Token-wise order: the first differing token decides (compared by UTF-16 code units); a proper prefix sorts
    /// first.
    public static func < (lhs: JSONPointer, rhs: JSONPointer) -> Bool {
        for (left, right) in zip(lhs.tokens, rhs.tokens) where !JSONValue.exactlyEqual(left, right) {
            return JCS.precedesInUTF16Order(left, right)
        }
        return lhs.tokens.count < rhs.tokens.count
    }
}

extension JSONValue {
    /// The value `pointer` refers to, or `nil` when it refers to nothing.
    ///
    /// Object tokens match keys with exactly the same Unicode scalars. Array tokens must be `0` or a decimal
    /// number without leading zeros within bounds; `-` (the position after the last element) refers to nothing.
    /// A token applied to a scalar yields `nil`.
    public func value(at pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object:
                guard let next = current[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = JSONPointer.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}

extension JSONPointer {
    /// Parses an RFC 6901 array index (`0` or `[1-9][0-9]*`); `nil` for anything else or on overflow.
    static func arrayIndex(_ token: String) -> Int? {
        let bytes = token.utf8
        guard let first = bytes.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        if first == UInt8(ascii: "0") && bytes.count > 1 { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}
