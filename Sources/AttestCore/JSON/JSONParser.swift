/// A strict RFC 8259 / I-JSON (RFC 7493) parser producing ``JSONValue``.
///
/// The parser accepts exactly one JSON value surrounded only by JSON whitespace (space, tab, LF, CR) and rejects
/// everything else: comments, trailing commas, single quotes, `NaN`/`Infinity`, leading zeros, `+1`, `.5`, `5.`,
/// a byte order mark, invalid UTF-8, raw control characters in strings, unpaired surrogate escapes, duplicate keys,
/// integer literals outside ±(2^53−1) and numbers that overflow a double. See ``JSONParseError/Code``.
///
/// Numbers: a literal without fraction and exponent becomes `.int` (`-0` becomes `.int(0)`); any other literal
/// becomes a correctly rounded `.double` (`-0.0` stays `-0.0`; underflow rounds to zero or a subnormal).
public enum JSONParser {
    /// Resource limits and options for one parse. All limits are inclusive maxima.
    public struct Limits: Sendable, Hashable {
        /// Maximum nesting of arrays and objects; `[]` has depth 1, a scalar at top level depth 0. Default 64.
        public var maxDepth: Int
        /// Maximum size of the whole input in bytes. Default 20 MiB.
        public var maxBytes: Int
        /// Maximum size of one string or key in bytes of UTF-8 after unescaping. Default 1 MiB.
        public var maxStringBytes: Int
        /// When `true`, an integer literal outside ±(2^53−1) becomes the nearest `.double` instead of failing with
        /// ``JSONParseError/Code/integerOutOfRange``. This is *not* I-JSON; it exists for data that treats every
        /// number as an IEEE 754 double (as RFC 8785 does). Default `false`.
        public var bigIntegersAsDoubles: Bool

        /// Creates limits; every parameter defaults to the value of ``default``.
        public init(
            maxDepth: Int = 64,
            maxBytes: Int = 20 * 1024 * 1024,
            maxStringBytes: Int = 1024 * 1024,
            bigIntegersAsDoubles: Bool = false
        ) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
            self.maxStringBytes = maxStringBytes
            self.bigIntegersAsDoubles = bigIntegersAsDoubles
        }

        /// Depth 64, 20 MiB input, 1 MiB strings, strict I-JSON integers.
        public static let `default` = Limits()

        /// For reading ledger data back (stored entries, bundle lines): an entry wraps an event one
        /// level deeper and a bundle line two, and RFC 8785 writes large integral doubles such as
        /// `1e20` as `100000000000000000000`, which must read back as the same double.
        public static let ledger = Limits(maxDepth: 72, maxBytes: 64 * 1024 * 1024, bigIntegersAsDoubles: true)
    }

    /// Parses `bytes` (UTF-8 JSON text) into a ``JSONValue``, or throws the first problem found.
    ///
    /// Contiguous collections (`[UInt8]`, `ArraySlice`, `Data`, `String.UTF8View` of native strings) are parsed in
    /// place; other collections are copied once (at most `limits.maxBytes + 1` bytes).
    public static func parse(_ bytes: some Collection<UInt8>, limits: Limits = .default) throws(JSONParseError) -> JSONValue {
        let direct = bytes.withContiguousStorageIfAvailable { buffer in
            parseBuffer(buffer, limits: limits)
        }
        let result: Result<JSONValue, JSONParseError>
        if let direct {
            result = direct
        } else {
            let copy = Array(bytes.prefix(max(limits.maxBytes, 0) &+ 1))
            result = copy.withUnsafeBufferPointer { parseBuffer($0, limits: limits) }
        }
        return try result.get()
    }

    /// Parses the UTF-8 encoding of `string`; same rules and errors as the byte-collection overload.
    public static func parse(_ string: String, limits: Limits = .default) throws(JSONParseError) -> JSONValue {
        var copy = string
        let result = copy.withUTF8 { parseBuffer($0, limits: limits) }
        return try result.get()
    }

    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>, limits: Limits) -> Result<JSONValue, JSONParseError> {
        var parser = ByteParser(buffer: buffer, limits: limits)
        do throws(JSONParseError) {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }
}

// MARK: - Implementation

private enum ASCII {
    static let quote: UInt8 = 0x22  // "
    static let backslash: UInt8 = 0x5C  // \
    static let slash: UInt8 = 0x2F  // /
    static let comma: UInt8 = 0x2C  // ,
    static let colon: UInt8 = 0x3A  // :
    static let openBracket: UInt8 = 0x5B  // [
    static let closeBracket: UInt8 = 0x5D  // ]
    static let openBrace: UInt8 = 0x7B  // {
    static let closeBrace: UInt8 = 0x7D  // }
    static let minus: UInt8 = 0x2D  // -
    static let plus: UInt8 = 0x2B  // +
    static let dot: UInt8 = 0x2E  // .
    static let zero: UInt8 = 0x30  // 0
    static let nine: UInt8 = 0x39  // 9
    static let lowerE: UInt8 = 0x65  // e
    static let upperE: UInt8 = 0x45  // E
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
}

/// Exact powers of ten representable in a double (10^0 ... 10^22), for the fast decimal-to-double path.
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

private struct ByteParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let end: Int
    let limits: Limits
    var position = 0
    var depth = 0
    /// Reused output buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    typealias Limits = JSONParser.Limits

    init(buffer: UnsafeBufferPointer<UInt8>, limits: Limits) {
        self.buffer = buffer
        self.end = buffer.count
        self.limits = limits
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if end > limits.maxBytes {
            throw error(.tooLarge, "input is larger than the limit of \(limits.maxBytes) bytes", at: max(limits.maxBytes, 0))
        }
        let value = try parseValue()
        skipWhitespace()
        if position < end {
            throw error(.trailingData, "unexpected \(describeByte(at: position)) after the top-level value", at: position)
        }
        return value
    }

    // MARK: Errors

    func error(_ code: JSONParseError.Code, _ message: String, at offset: Int) -> JSONParseError {
        var line = 1
        var column = 1
        var index = 0
        let limit = min(offset, end)
        while index < limit {
            let byte = buffer[index]
            if byte == ASCII.lineFeed {
                line += 1
                column = 1
            } else if byte == ASCII.carriageReturn {
                if index + 1 < end && buffer[index + 1] == ASCII.lineFeed {
                    // CR LF: the LF ends the line.
                } else {
                    line += 1
                    column = 1
                }
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return JSONParseError(code: code, message: message, offset: offset, line: line, column: column)
    }

    func describeByte(at offset: Int) -> String {
        guard offset < end else { return "end of input" }
        let byte = buffer[offset]
        if byte >= 0x21 && byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
    }

    func unexpected(at offset: Int, expected: String) -> JSONParseError {
        if offset >= end {
            return error(.unexpectedEnd, "unexpected end of input, expected \(expected)", at: end)
        }
        return error(.unexpectedCharacter, "unexpected \(describeByte(at: offset)), expected \(expected)", at: offset)
    }

    // MARK: Structure

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            let byte = buffer[position]
            guard byte == ASCII.space || byte == ASCII.lineFeed || byte == ASCII.carriageReturn || byte == ASCII.tab else {
                return
            }
            position += 1
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < end else { throw unexpected(at: position, expected: "a value") }
        switch buffer[position] {
        case ASCII.openBrace:
            return try parseObject()
        case ASCII.openBracket:
            return try parseArray()
        case ASCII.quote:
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        case ASCII.minus, ASCII.zero...ASCII.nine:
            return try parseNumber()
        default:
            throw unexpected(at: position, expected: "a value")
        }
    }

    mutating func parseLiteral(_ literal: StaticString) throws(JSONParseError) {
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expectedByte in bytes {
            guard position < end, buffer[position] == expectedByte else {
                throw unexpected(at: position, expected: "'\(literal)'")
            }
            position += 1
        }
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > limits.maxDepth {
            throw error(.tooDeep, "nesting is deeper than the limit of \(limits.maxDepth)", at: position)
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // [
        skipWhitespace()
        if position < end && buffer[position] == ASCII.closeBracket {
            position += 1
            depth -= 1
            return .array([])
        }
        var elements: [JSONValue] = []
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard position < end else { throw unexpected(at: position, expected: "',' or ']'") }
            let byte = buffer[position]
            position += 1
            if byte == ASCII.comma { continue }
            if byte == ASCII.closeBracket { break }
            throw unexpected(at: position - 1, expected: "',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // {
        skipWhitespace()
        if position < end && buffer[position] == ASCII.closeBrace {
            position += 1
            depth -= 1
            return .object([:])
        }
        var members = [String: JSONValue](minimumCapacity: 8)
        while true {
            skipWhitespace()
            guard position < end, buffer[position] == ASCII.quote else {
                throw unexpected(at: position, expected: "a string key")
            }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard position < end, buffer[position] == ASCII.colon else { throw unexpected(at: position, expected: "':'") }
            position += 1
            let value = try parseValue()
            // One hash on the good path; the earlier key is looked up only to explain a clash.
            if members.updateValue(value, forKey: key) != nil, let existing = members.index(forKey: key) {
                // Swift's Dictionary matches canonically equivalent keys; JSON keys are compared by scalars.
                if JSONValue.exactlyEqual(members[existing].key, key) {
                    throw error(.duplicateKey, "duplicate key \(quoted(key))", at: keyOffset)
                }
                throw error(
                    .unrepresentableKey,
                    "key \(quoted(key)) is canonically equivalent to the earlier key \(quoted(members[existing].key)); "
                        + "JSONValue cannot hold both",
                    at: keyOffset
                )
            }
            skipWhitespace()
            guard position < end else { throw unexpected(at: position, expected: "',' or '}'") }
            let byte = buffer[position]
            position += 1
            if byte == ASCII.comma { continue }
            if byte == ASCII.closeBrace { break }
            throw unexpected(at: position - 1, expected: "',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    func quoted(_ key: String) -> String {
        var shown = ""
        for (count, scalar) in key.unicodeScalars.enumerated() {
            if count == 40 {
                shown += "…"
                break
            }
            shown += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return "\"" + shown + "\""
    }

    // MARK: Strings

    mutating func parseString() throws(JSONParseError) -> String {
        let quoteOffset = position
        let start = position + 1
        var index = start
        // Fast path: no escapes, so the source bytes are the string's UTF-8.
        while index < end {
            let byte = buffer[index]
            if byte == ASCII.quote {
                try checkStringLength(index - start, quoteOffset: quoteOffset)
                position = index + 1
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
            }
            if byte == ASCII.backslash { break }
            if byte < 0x20 { throw controlCharacter(at: index) }
            index = byte < 0x80 ? index + 1 : try validateUTF8Sequence(at: index)
        }
        guard index < end else { throw error(.unexpectedEnd, "unterminated string", at: end) }

        // Slow path: unescape into the scratch buffer.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<index]))
        while index < end {
            let byte = buffer[index]
            if byte == ASCII.quote {
                try checkStringLength(scratch.count, quoteOffset: quoteOffset)
                position = index + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == ASCII.backslash {
                index = try parseEscape(at: index)
            } else if byte < 0x20 {
                throw controlCharacter(at: index)
            } else if byte < 0x80 {
                scratch.append(byte)
                index += 1
            } else {
                let next = try validateUTF8Sequence(at: index)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<next]))
                index = next
            }
        }
        throw error(.unexpectedEnd, "unterminated string", at: end)
    }

    func checkStringLength(_ length: Int, quoteOffset: Int) throws(JSONParseError) {
        if length > limits.maxStringBytes {
            throw error(.stringTooLong, "string is longer than the limit of \(limits.maxStringBytes) bytes", at: quoteOffset)
        }
    }

    func controlCharacter(at offset: Int) -> JSONParseError {
        let hex = String(buffer[offset], radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: 4 - hex.count) + hex
        return error(.controlCharacterInString, "raw control character U+\(padded) in string; it must be escaped", at: offset)
    }

    /// Decodes the escape at `offset` (a backslash) into `scratch`; returns the offset after it.
    mutating func parseEscape(at offset: Int) throws(JSONParseError) -> Int {
        guard offset + 1 < end else { throw error(.unexpectedEnd, "unterminated string", at: end) }
        let replacement: UInt8
        switch buffer[offset + 1] {
        case ASCII.quote: replacement = ASCII.quote
        case ASCII.backslash: replacement = ASCII.backslash
        case ASCII.slash: replacement = ASCII.slash
        case UInt8(ascii: "b"): replacement = 0x08
        case UInt8(ascii: "f"): replacement = 0x0C
        case UInt8(ascii: "n"): replacement = ASCII.lineFeed
        case UInt8(ascii: "r"): replacement = ASCII.carriageReturn
        case UInt8(ascii: "t"): replacement = ASCII.tab
        case UInt8(ascii: "u"):
            return try parseUnicodeEscape(at: offset)
        default:
            throw error(.invalidEscape, "invalid escape sequence '\\\(describeEscapeByte(at: offset + 1))'", at: offset)
        }
        scratch.append(replacement)
        return offset + 2
    }

    func describeEscapeByte(at offset: Int) -> String {
        let byte = buffer[offset]
        return byte >= 0x20 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "<0x\(String(byte, radix: 16))>"
    }

    /// Reads the four hex digits of a `\uXXXX` escape starting at `offset` (the backslash).
    func readHex4(escapeAt offset: Int) throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for index in (offset + 2)..<(offset + 6) {
            guard index < end else { throw error(.unexpectedEnd, "unterminated \\u escape", at: end) }
            let byte = buffer[index]
            let digit: UInt8
            switch byte {
            case ASCII.zero...ASCII.nine: digit = byte - ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error(.invalidEscape, "\\u must be followed by four hex digits", at: offset)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    mutating func parseUnicodeEscape(at offset: Int) throws(JSONParseError) -> Int {
        let unit = try readHex4(escapeAt: offset)
        let scalar: UInt32
        var next = offset + 6
        switch unit {
        case 0xD800...0xDBFF:
            guard next + 1 < end, buffer[next] == ASCII.backslash, buffer[next + 1] == UInt8(ascii: "u") else {
                throw loneSurrogate(unit, at: offset)
            }
            let low = try readHex4(escapeAt: next)
            guard (0xDC00...0xDFFF).contains(low) else { throw loneSurrogate(unit, at: offset) }
            scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            next += 6
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: offset)
        default:
            scalar = UInt32(unit)
        }
        appendUTF8(scalar)
        return next
    }

    func loneSurrogate(_ unit: UInt16, at offset: Int) -> JSONParseError {
        error(.loneSurrogate, "unpaired surrogate \\u\(String(unit, radix: 16, uppercase: true)) in string", at: offset)
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Validates the multi-byte UTF-8 sequence starting at `offset` (lead byte ≥ 0x80) per Unicode Table 3-7 and
    /// returns the offset after it.
    func validateUTF8Sequence(at offset: Int) throws(JSONParseError) -> Int {
        let lead = buffer[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default:
            throw error(.invalidUTF8, "invalid UTF-8 lead byte 0x\(String(lead, radix: 16, uppercase: true))", at: offset)
        }
        guard offset + 1 < end, secondRange.contains(buffer[offset + 1]) else {
            throw error(.invalidUTF8, "invalid or truncated UTF-8 sequence", at: offset)
        }
        var index = offset + 2
        while index < offset + length {
            guard index < end, buffer[index] & 0xC0 == 0x80 else {
                throw error(.invalidUTF8, "invalid or truncated UTF-8 sequence", at: offset)
            }
            index += 1
        }
        return index
    }

    // MARK: Numbers

    @inline(__always)
    func isDigit(at offset: Int) -> Bool {
        offset < end && buffer[offset] >= ASCII.zero && buffer[offset] <= ASCII.nine
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var index = position
        let negative = buffer[index] == ASCII.minus
        if negative { index += 1 }
        let integerStart = index
        guard isDigit(at: index) else {
            throw error(.invalidNumber, "expected a digit after '-', found \(describeByte(at: index))", at: index)
        }
        if buffer[index] == ASCII.zero {
            index += 1
            if isDigit(at: index) { throw error(.invalidNumber, "leading zeros are not allowed", at: start) }
        } else {
            while isDigit(at: index) { index += 1 }
        }
        let integerEnd = index
        var isInteger = true
        if index < end && buffer[index] == ASCII.dot {
            isInteger = false
            index += 1
            guard isDigit(at: index) else {
                throw error(.invalidNumber, "expected a digit after '.', found \(describeByte(at: index))", at: index)
            }
            while isDigit(at: index) { index += 1 }
        }
        if index < end && (buffer[index] == ASCII.lowerE || buffer[index] == ASCII.upperE) {
            isInteger = false
            index += 1
            if index < end && (buffer[index] == ASCII.plus || buffer[index] == ASCII.minus) { index += 1 }
            guard isDigit(at: index) else {
                throw error(.invalidNumber, "expected a digit in the exponent, found \(describeByte(at: index))", at: index)
            }
            while isDigit(at: index) { index += 1 }
        }
        position = index

        if isInteger {
            // 2^53−1 has 16 digits; anything longer is out of range.
            if integerEnd - integerStart <= 16 {
                var magnitude: Int64 = 0
                for offset in integerStart..<integerEnd {
                    magnitude = magnitude * 10 + Int64(buffer[offset] - ASCII.zero)
                }
                if magnitude <= JSONValue.maxSafeInteger {
                    return .int(negative ? -magnitude : magnitude)
                }
            }
            guard limits.bigIntegersAsDoubles else {
                throw error(
                    .integerOutOfRange,
                    "integer \(literalText(start, index)) is outside the I-JSON range ±(2^53−1)",
                    at: start
                )
            }
        }
        let value = parseDouble(from: start, to: index)
        guard value.isFinite else {
            throw error(.numberOutOfRange, "number \(literalText(start, index)) is too large for a double", at: start)
        }
        return .double(value)
    }

    func literalText(_ start: Int, _ end: Int) -> String {
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    /// Converts an already validated number literal to the nearest double (ties to even).
    func parseDouble(from start: Int, to stop: Int) -> Double {
        // Fast path (Clinger): at most 19 significant digits forming a mantissa < 2^53 and a decimal exponent within
        // ±22 give an exact mantissa and an exact power of ten, so one IEEE multiplication/division rounds correctly.
        var index = start
        let negative = buffer[index] == ASCII.minus
        if negative { index += 1 }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var inFraction = false
        var exact = true
        while index < stop {
            let byte = buffer[index]
            if byte == ASCII.dot {
                inFraction = true
            } else if byte == ASCII.lowerE || byte == ASCII.upperE {
                break
            } else {
                let digit = UInt64(byte - ASCII.zero)
                if mantissa == 0 && digit == 0 {
                    if inFraction { exponent -= 1 }
                } else if significantDigits < 19 {
                    mantissa = mantissa * 10 + digit
                    significantDigits += 1
                    if inFraction { exponent -= 1 }
                } else {
                    exact = false
                    break
                }
            }
            index += 1
        }
        if exact && index < stop {
            index += 1  // e/E
            var exponentNegative = false
            if buffer[index] == ASCII.plus || buffer[index] == ASCII.minus {
                exponentNegative = buffer[index] == ASCII.minus
                index += 1
            }
            var explicit = 0
            while index < stop {
                if explicit < 100_000 { explicit = explicit * 10 + Int(buffer[index] - ASCII.zero) }
                index += 1
            }
            exponent += exponentNegative ? -explicit : explicit
        }
        if exact && mantissa == 0 {
            return negative ? -0.0 : 0.0
        }
        if exact && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            let base = Double(mantissa)
            let magnitude = exponent >= 0 ? base * exactPowersOfTen[exponent] : base / exactPowersOfTen[-exponent]
            return negative ? -magnitude : magnitude
        }
        // Slow path: the standard library's correctly rounded conversion on the validated literal.
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<stop]), as: UTF8.self)
        return Double(text) ?? .nan
    }
}
