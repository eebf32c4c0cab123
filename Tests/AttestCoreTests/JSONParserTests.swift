import Testing

@testable import AttestCore

/// An input the parser must reject, with the expected code and 1-based position.
struct RejectCase: Sendable, CustomTestStringConvertible {
    let input: [UInt8]
    let code: JSONParseError.Code
    let offset: Int
    let line: Int
    let column: Int
    let limits: JSONParser.Limits

    init(_ input: String, _ code: JSONParseError.Code, offset: Int, line: Int = 1, column: Int, limits: JSONParser.Limits = .default) {
        self.init(bytes: Array(input.utf8), code, offset: offset, line: line, column: column, limits: limits)
    }

    init(
        bytes: [UInt8],
        _ code: JSONParseError.Code,
        offset: Int,
        line: Int = 1,
        column: Int,
        limits: JSONParser.Limits = .default
    ) {
        self.input = bytes
        self.code = code
        self.offset = offset
        self.line = line
        self.column = column
        self.limits = limits
    }

    var testDescription: String {
        let text = String(decoding: input.prefix(40), as: UTF8.self).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0xFFFD ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "\(code): \(text)"
    }
}

@Suite("JSON parser")
struct JSONParserTests {

    static let rejectCases: [RejectCase] = [
        // unexpectedEnd
        RejectCase("", .unexpectedEnd, offset: 0, column: 1),
        RejectCase("   ", .unexpectedEnd, offset: 3, column: 4),
        RejectCase("[1,", .unexpectedEnd, offset: 3, column: 4),
        RejectCase("[1", .unexpectedEnd, offset: 2, column: 3),
        RejectCase("{\"a\":", .unexpectedEnd, offset: 5, column: 6),
        RejectCase("{\"a\"", .unexpectedEnd, offset: 4, column: 5),
        RejectCase("{", .unexpectedEnd, offset: 1, column: 2),
        RejectCase("\"abc", .unexpectedEnd, offset: 4, column: 5),
        RejectCase("\"ab\\", .unexpectedEnd, offset: 4, column: 5),
        RejectCase("\"\\u12", .unexpectedEnd, offset: 5, column: 6),
        RejectCase("tru", .unexpectedEnd, offset: 3, column: 4),
        RejectCase("[\n1,\n", .unexpectedEnd, offset: 5, line: 3, column: 1),
        // unexpectedCharacter
        RejectCase("[1,]", .unexpectedCharacter, offset: 3, column: 4),
        RejectCase("{\"a\":1,}", .unexpectedCharacter, offset: 7, column: 8),
        RejectCase("{'a':1}", .unexpectedCharacter, offset: 1, column: 2),
        RejectCase("'a'", .unexpectedCharacter, offset: 0, column: 1),
        RejectCase("// comment\n1", .unexpectedCharacter, offset: 0, column: 1),
        RejectCase("[1 /* c */]", .unexpectedCharacter, offset: 3, column: 4),
        RejectCase("NaN", .unexpectedCharacter, offset: 0, column: 1),
        RejectCase("Infinity", .unexpectedCharacter, offset: 0, column: 1),
        RejectCase("+1", .unexpectedCharacter, offset: 0, column: 1),
        RejectCase(".5", .unexpectedCharacter, offset: 0, column: 1),
        RejectCase("[1 2]", .unexpectedCharacter, offset: 3, column: 4),
        RejectCase("{\"a\" 1}", .unexpectedCharacter, offset: 5, column: 6),
        RejectCase("{\"a\":1 \"b\":2}", .unexpectedCharacter, offset: 7, column: 8),
        RejectCase("{1:2}", .unexpectedCharacter, offset: 1, column: 2),
        RejectCase("trux", .unexpectedCharacter, offset: 3, column: 4),
        RejectCase("True", .unexpectedCharacter, offset: 0, column: 1),
        RejectCase("\n\n  x", .unexpectedCharacter, offset: 4, line: 3, column: 3),
        RejectCase("[\"é\", x]", .unexpectedCharacter, offset: 7, column: 7),
        RejectCase("\r\n[\r\n\u{0C}]", .unexpectedCharacter, offset: 5, line: 3, column: 1),  // form feed is not whitespace
        RejectCase(bytes: [0xEF, 0xBB, 0xBF, 0x31], .unexpectedCharacter, offset: 0, column: 1),  // BOM
        RejectCase(bytes: [0xC3, 0xA9], .unexpectedCharacter, offset: 0, column: 1),  // UTF-8 outside a string
        RejectCase(bytes: [0x5B, 0x00, 0x5D], .unexpectedCharacter, offset: 1, column: 2),
        // invalidUTF8
        RejectCase(bytes: [0x22, 0xC0, 0xAF, 0x22], .invalidUTF8, offset: 1, column: 2),  // overlong '/'
        RejectCase(bytes: [0x22, 0xC1, 0xBF, 0x22], .invalidUTF8, offset: 1, column: 2),  // overlong
        RejectCase(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], .invalidUTF8, offset: 1, column: 2),  // overlong 3-byte
        RejectCase(bytes: [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], .invalidUTF8, offset: 1, column: 2),  // overlong 4-byte
        RejectCase(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, offset: 1, column: 2),  // encoded surrogate D800
        RejectCase(bytes: [0x22, 0xED, 0xBF, 0xBF, 0x22], .invalidUTF8, offset: 1, column: 2),  // encoded surrogate DFFF
        RejectCase(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8, offset: 1, column: 2),  // U+110000
        RejectCase(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, offset: 1, column: 2),
        RejectCase(bytes: [0x22, 0xFF, 0x22], .invalidUTF8, offset: 1, column: 2),
        RejectCase(bytes: [0x22, 0x61, 0x80, 0x22], .invalidUTF8, offset: 2, column: 3),  // stray continuation
        RejectCase(bytes: [0x22, 0xE2, 0x82, 0x22], .invalidUTF8, offset: 1, column: 2),  // truncated €
        RejectCase(bytes: [0x22, 0xE2, 0x82], .invalidUTF8, offset: 1, column: 2),  // truncated at end of input
        RejectCase(bytes: [0x22, 0xF0, 0x9F, 0x98, 0x22], .invalidUTF8, offset: 1, column: 2),  // truncated 😀
        RejectCase(bytes: [0x22, 0xC3, 0x41, 0x22], .invalidUTF8, offset: 1, column: 2),
        RejectCase(bytes: [0x22, 0x5C, 0x6E, 0xC3, 0x22], .invalidUTF8, offset: 3, column: 4),  // after an escape
        // loneSurrogate
        RejectCase("\"\\uD800\"", .loneSurrogate, offset: 1, column: 2),
        RejectCase("\"\\uDC00\"", .loneSurrogate, offset: 1, column: 2),
        RejectCase("\"\\uDE00\\uD83D\"", .loneSurrogate, offset: 1, column: 2),
        RejectCase("\"ab\\uD83Dx\"", .loneSurrogate, offset: 3, column: 4),
        RejectCase("\"\\uD83D\\u0041\"", .loneSurrogate, offset: 1, column: 2),
        RejectCase("\"\\uD83D\\uD83D\"", .loneSurrogate, offset: 1, column: 2),
        RejectCase("\"\\uD83D\\n\"", .loneSurrogate, offset: 1, column: 2),
        RejectCase("\"\\uD83D", .loneSurrogate, offset: 1, column: 2),
        // invalidEscape
        RejectCase("\"\\x\"", .invalidEscape, offset: 1, column: 2),
        RejectCase("\"\\'\"", .invalidEscape, offset: 1, column: 2),
        RejectCase("\"\\U0041\"", .invalidEscape, offset: 1, column: 2),
        RejectCase("\"\\u12G4\"", .invalidEscape, offset: 1, column: 2),
        RejectCase("\"\\u 123\"", .invalidEscape, offset: 1, column: 2),
        RejectCase("\"\\uD83D\\uDE0Z\"", .invalidEscape, offset: 7, column: 8),
        RejectCase("\"a\\\u{01}\"", .invalidEscape, offset: 2, column: 3),
        // controlCharacterInString
        RejectCase("\"a\tb\"", .controlCharacterInString, offset: 2, column: 3),
        RejectCase("\"a\nb\"", .controlCharacterInString, offset: 2, column: 3),
        RejectCase("\"\\n\u{1F}\"", .controlCharacterInString, offset: 3, column: 4),
        RejectCase(bytes: [0x22, 0x00, 0x22], .controlCharacterInString, offset: 1, column: 2),
        // duplicateKey
        RejectCase("{\"a\":1,\"a\":2}", .duplicateKey, offset: 7, column: 8),
        RejectCase("{\"a\":1,\"\\u0061\":2}", .duplicateKey, offset: 7, column: 8),
        RejectCase("{\"\":1,\"\":2}", .duplicateKey, offset: 6, column: 7),
        RejectCase("{\n  \"x\": {},\n  \"y\": 1,\n  \"x\": []\n}", .duplicateKey, offset: 25, line: 4, column: 3),
        RejectCase("{\"\\uD83D\\uDE00\":1,\"😀\":2}", .duplicateKey, offset: 18, column: 19),
        // unrepresentableKey: distinct JSON keys that Swift's Dictionary cannot tell apart.
        RejectCase("{\"\\u00e9\":1,\"e\\u0301\":2}", .unrepresentableKey, offset: 12, column: 13),
        RejectCase("{\"\u{212B}\":1,\"\u{C5}\":2}", .unrepresentableKey, offset: 9, column: 8),  // ANGSTROM SIGN vs Å
        // integerOutOfRange
        RejectCase("9007199254740992", .integerOutOfRange, offset: 0, column: 1),
        RejectCase("-9007199254740992", .integerOutOfRange, offset: 0, column: 1),
        RejectCase("[1, 100000000000000000000000000000]", .integerOutOfRange, offset: 4, column: 5),
        RejectCase("18446744073709551616", .integerOutOfRange, offset: 0, column: 1),
        // numberOutOfRange
        RejectCase("1e400", .numberOutOfRange, offset: 0, column: 1),
        RejectCase("[-1.5e309]", .numberOutOfRange, offset: 1, column: 2),
        RejectCase("1.7976931348623159e308", .numberOutOfRange, offset: 0, column: 1),
        RejectCase("1e99999999999999999999", .numberOutOfRange, offset: 0, column: 1),
        // invalidNumber
        RejectCase("01", .invalidNumber, offset: 0, column: 1),
        RejectCase("-01", .invalidNumber, offset: 0, column: 1),
        RejectCase("00", .invalidNumber, offset: 0, column: 1),
        RejectCase("-", .invalidNumber, offset: 1, column: 2),
        RejectCase("-a", .invalidNumber, offset: 1, column: 2),
        RejectCase("[-Infinity]", .invalidNumber, offset: 2, column: 3),
        RejectCase("1.", .invalidNumber, offset: 2, column: 3),
        RejectCase("5.]", .invalidNumber, offset: 2, column: 3),
        RejectCase("1.e5", .invalidNumber, offset: 2, column: 3),
        RejectCase("1e", .invalidNumber, offset: 2, column: 3),
        RejectCase("1e+", .invalidNumber, offset: 3, column: 4),
        RejectCase("1E-x", .invalidNumber, offset: 3, column: 4),
        // tooDeep
        RejectCase(String(repeating: "[", count: 65), .tooDeep, offset: 64, column: 65),
        RejectCase("{\"a\":{\"b\":[1]}}", .tooDeep, offset: 10, column: 11, limits: .init(maxDepth: 2)),
        RejectCase("[]", .tooDeep, offset: 0, column: 1, limits: .init(maxDepth: 0)),
        // tooLarge
        RejectCase("[1,2,3,4,5]", .tooLarge, offset: 10, column: 11, limits: .init(maxBytes: 10)),
        // stringTooLong
        RejectCase("\"abcd\"", .stringTooLong, offset: 0, column: 1, limits: .init(maxStringBytes: 3)),
        RejectCase("[\"ab\", \"\\u00e9\\u00e9\"]", .stringTooLong, offset: 7, column: 8, limits: .init(maxStringBytes: 3)),
        RejectCase("{\"long\":1}", .stringTooLong, offset: 1, column: 2, limits: .init(maxStringBytes: 3)),
        // trailingData
        RejectCase("1 2", .trailingData, offset: 2, column: 3),
        RejectCase("{} x", .trailingData, offset: 3, column: 4),
        RejectCase("[]]", .trailingData, offset: 2, column: 3),
        RejectCase("true false", .trailingData, offset: 5, column: 6),
        RejectCase("1\r\n2", .trailingData, offset: 3, line: 2, column: 1),
        RejectCase("1\r2", .trailingData, offset: 2, line: 2, column: 1),
        RejectCase("\"a\"\"b\"", .trailingData, offset: 3, column: 4),
        RejectCase(bytes: [0x31, 0x20, 0x00], .trailingData, offset: 2, column: 3),
    ]

    @Test("Rejects malformed input with the right code and position", arguments: rejectCases)
    func rejects(_ reject: RejectCase) {
        do {
            let value = try JSONParser.parse(reject.input, limits: reject.limits)
            Issue.record("unexpectedly parsed as \(value)")
        } catch {
            #expect(error.code == reject.code, "\(error)")
            #expect(error.offset == reject.offset, "\(error)")
            #expect(error.line == reject.line, "\(error)")
            #expect(error.column == reject.column, "\(error)")
        }
    }

    @Test("Every error code is covered by the rejection table")
    func everyCodeCovered() {
        let all: Set<JSONParseError.Code> = [
            .unexpectedEnd, .unexpectedCharacter, .invalidUTF8, .loneSurrogate, .invalidEscape, .controlCharacterInString,
            .duplicateKey, .unrepresentableKey, .integerOutOfRange, .numberOutOfRange, .invalidNumber, .tooDeep, .tooLarge,
            .stringTooLong, .trailingData,
        ]
        #expect(Set(Self.rejectCases.map(\.code)) == all)
    }

    @Test("Error description format")
    func errorDescription() throws {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"a\":1,\"a\":2}") }
        #expect(error?.description == "line 1, column 8 (byte 7): duplicate key \"a\"")
        let other = #expect(throws: JSONParseError.self) { try JSONParser.parse("[1,]") }
        #expect(other?.description == "line 1, column 4 (byte 3): unexpected character ']', expected a value")
        #expect(JSONParseError.Code.duplicateKey.description == "duplicateKey")
    }

    // MARK: Acceptance

    @Test("Scalars, whitespace, and containers")
    func basics() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse("true") == .bool(true))
        #expect(try JSONParser.parse(" \t\n\r false \t\n\r ") == .bool(false))
        #expect(try JSONParser.parse("[]") == .array([]))
        #expect(try JSONParser.parse("{}") == .object([:]))
        #expect(try JSONParser.parse("[ 1 , [ ] , { } ]") == [1, [], [:]])
        let value = try JSONParser.parse("{\"a\": [1, 2.5, \"x\", null, true], \"b\": {\"c\": {}}}")
        #expect(value == ["a": [1, 2.5, "x", nil, true], "b": ["c": [:]]])
    }

    @Test("Numbers")
    func numbers() throws {
        #expect(try JSONParser.parse("0") == .int(0))
        #expect(try JSONParser.parse("-0") == .int(0))
        let negativeZero = try #require(try JSONParser.parse("-0.0").doubleValue)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(try JSONParser.parse("-0.0") == .double(-0.0))
        #expect(try JSONParser.parse("-0e5").doubleValue?.sign == .minus)
        #expect(try JSONParser.parse("0e0") == .double(0))
        #expect(try JSONParser.parse("1E2") == .double(100))
        #expect(try JSONParser.parse("1e-2") == .double(0.01))
        #expect(try JSONParser.parse("1.5e+3") == .double(1500))
        #expect(try JSONParser.parse("-1.25") == .double(-1.25))
        #expect(try JSONParser.parse("10") == .int(10))
        #expect(try JSONParser.parse("1.0") == .double(1))
        #expect(try JSONParser.parse("9007199254740991") == .int(9_007_199_254_740_991))
        #expect(try JSONParser.parse("-9007199254740991") == .int(-9_007_199_254_740_991))
        #expect(try JSONParser.parse("1e-400") == .double(0))
        #expect(try JSONParser.parse("4.9e-324") == .double(Double(bitPattern: 1)))
        #expect(try JSONParser.parse("2.4703282292062327e-324") == .double(0))
        #expect(try JSONParser.parse("2.4703282292062328e-324") == .double(Double(bitPattern: 1)))
        #expect(try JSONParser.parse("1.7976931348623158e308") == .double(.greatestFiniteMagnitude))
        #expect(try JSONParser.parse("1e22") == .double(1e22))
        #expect(try JSONParser.parse("1e23") == .double(1e23))
    }

    static let hardCases: [(String, UInt64)] = [
        ("2.2250738585072011e-308", 0x000F_FFFF_FFFF_FFFF),
        ("9007199254740993.0", 0x4340_0000_0000_0000),
        ("1.00000000000000011102230246251565404236316680908203125", 0x3FF0_0000_0000_0000),  // tie → even
        ("1.00000000000000011102230246251565404236316680908203126", 0x3FF0_0000_0000_0001),
        ("7.2057594037927933e16", 0x4370_0000_0000_0000),
        ("123456789012345678901234567890e-10", 0x43E5_6A95_319D_63E1),
        ("0." + String(repeating: "0", count: 300) + "1e300", 0x3FB9_9999_9999_999A),  // 0.1
        ("0.1e1", 0x3FF0_0000_0000_0000),
    ]

    @Test("Correct rounding of hard decimal inputs", arguments: hardCases)
    func hardRounding(_ literal: String, _ bits: UInt64) throws {
        let value = try JSONParser.parse(literal)
        #expect(value.doubleValue?.bitPattern == bits, "\(literal)")
    }

    @Test("Big integers as doubles (opt-in, not I-JSON)")
    func bigIntegersAsDoubles() throws {
        let limits = JSONParser.Limits(bigIntegersAsDoubles: true)
        #expect(try JSONParser.parse("9007199254740993", limits: limits) == .double(9_007_199_254_740_992))
        #expect(try JSONParser.parse("-18446744073709551616", limits: limits) == .double(-18_446_744_073_709_551_616))
        #expect(try JSONParser.parse("9007199254740991", limits: limits) == .int(9_007_199_254_740_991))
        #expect(throws: JSONParseError.self) { try JSONParser.parse("1" + String(repeating: "0", count: 400), limits: limits) }
    }

    @Test("All escapes")
    func escapes() throws {
        let value = try JSONParser.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u00E9\u20AC\uD83D\uDE00\uDBFF\uDFFF\u0000""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\tAéé€😀\u{10FFFF}\u{0}"))
        #expect(value.stringValue?.unicodeScalars.count == 15)
        #expect(try JSONParser.parse(#""\uD83D\uDE00""#) == "😀")
        #expect(try JSONParser.parse(#""x\ud83d\ude00y""#) == "x😀y")
        #expect(try JSONParser.parse(#""\uFFFF\uE000\uD7FF""#) == .string("\u{FFFF}\u{E000}\u{D7FF}"))
    }

    @Test("Raw UTF-8 at the edges of each range")
    func rawUTF8() throws {
        let samples: [[UInt8]] = [
            [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xE2, 0x80, 0xA8],
        ]
        for sample in samples {
            let value = try JSONParser.parse([0x22] + sample + [0x22])
            #expect(value.stringValue.map { Array($0.utf8) } == sample)
            let escapedToo = try JSONParser.parse([0x22, 0x5C, 0x74] + sample + [0x22])  // slow path
            #expect(escapedToo.stringValue.map { Array($0.utf8) } == [0x09] + sample)
        }
    }

    @Test("Nesting up to maxDepth is accepted")
    func deepNesting() throws {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        var value = try JSONParser.parse(deep)
        var depth = 0
        while case .array(let elements) = value, let first = elements.first {
            value = first
            depth += 1
        }
        #expect(depth == 63)
        let objects = String(repeating: "{\"a\":", count: 64) + "1" + String(repeating: "}", count: 64)
        #expect(try JSONParser.parse(objects).canonicalString == objects)
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[" + deep + "]") }
        #expect(try JSONParser.parse("[[1]]", limits: .init(maxDepth: 2)) == [[1]])
        #expect(try JSONParser.parse("1", limits: .init(maxDepth: 0)) == 1)
    }

    @Test("Strings up to maxStringBytes are accepted")
    func bigStrings() throws {
        let limit = JSONParser.Limits.default.maxStringBytes
        let body = String(repeating: "ab€", count: limit / 5) + String(repeating: "x", count: limit % 5)
        #expect(body.utf8.count == limit)
        let parsed = try JSONParser.parse("\"" + body + "\"")
        #expect(parsed.stringValue?.utf8.count == limit)
        let escaped = try JSONParser.parse("\"\\n" + body.dropFirst() + "\"")
        #expect(escaped.stringValue?.utf8.count == limit)
        let tooLong = #expect(throws: JSONParseError.self) { try JSONParser.parse("\"" + body + "x\"") }
        #expect(tooLong?.code == .stringTooLong)
    }

    @Test("maxBytes boundary")
    func maxBytes() throws {
        let limits = JSONParser.Limits(maxBytes: 5)
        #expect(try JSONParser.parse("[1,2]", limits: limits) == [1, 2])
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[1,22]", limits: limits) }
        // A non-contiguous collection is copied (at most maxBytes + 1 bytes) and gives the same results.
        let lazyBytes = (0..<6).lazy.map { Array("[1,22]".utf8)[$0] }
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(lazyBytes, limits: limits) }
        #expect(error?.code == .tooLarge)
        #expect(error?.offset == 5)
    }

    @Test("Input collections: Array, ArraySlice, String, non-contiguous")
    func inputKinds() throws {
        let text = "{\"k\": [1, \"é\"]}"
        let expected: JSONValue = ["k": [1, "é"]]
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(Array(text.utf8)) == expected)
        #expect(try JSONParser.parse(Array(("xx" + text + "yy").utf8).dropFirst(2).dropLast(2)) == expected)
        #expect(try JSONParser.parse(text.utf8) == expected)
        let bytes = Array(text.utf8)
        #expect(try JSONParser.parse(bytes.indices.lazy.map { bytes[$0] }) == expected)
        #expect(try JSONParser.parse(Substring(text).utf8) == expected)
    }

    @Test("Keys differing only by normalization are distinct JSON keys")
    func normalizationDistinctKeys() throws {
        // Each key keeps its exact scalars through parsing and canonicalization.
        let composed = try JSONParser.parse("{\"\\u00e9\":1}")
        let decomposed = try JSONParser.parse("{\"e\\u0301\":2}")
        #expect(composed.canonicalBytes == Array("{\"\u{E9}\":1}".utf8))
        #expect(decomposed.canonicalBytes == Array("{\"e\u{301}\":2}".utf8))
        #expect(composed != ["e\u{301}": 1])
        #expect(composed["\u{E9}"] == 1)
        #expect(composed["e\u{301}"] == nil)
        // Both survive in one document when they are in different objects.
        let both = try JSONParser.parse("[{\"\\u00e9\":1},{\"e\\u0301\":2},\"\\u00e9\",\"e\\u0301\"]")
        #expect(both.canonicalBytes == Array("[{\"\u{E9}\":1},{\"e\u{301}\":2},\"\u{E9}\",\"e\u{301}\"]".utf8))
        #expect(both[2] != both[3])
        // In one object JSONValue (a Swift Dictionary) cannot hold both: the parser refuses instead of merging.
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"\\u00e9\":1,\"e\\u0301\":2}") }
        #expect(error?.code == .unrepresentableKey)
    }

    @Test("parse → canonical → parse round trip")
    func roundTrip() throws {
        let text = """
            {"z": [1, -2, 3.25, -0.5, 1e-7, 1.5e300, "s\\u0000\\u001f\\"\\\\/\\u2028", true, false, null],
             "\\uD800\\uDC00": {"\\uE000": [], "a": {}}, "": "", "nested": [[[{"k": "v"}]]]}
            """
        let value = try JSONParser.parse(text)
        let canonical = value.canonicalBytes
        let reparsed = try JSONParser.parse(canonical)
        #expect(reparsed == value)
        #expect(reparsed.canonicalBytes == canonical)
        // Integral doubles print without ".0" and come back as .int; canonical bytes stay the same.
        let integral: JSONValue = [1.0, -0.0, 1e15]
        let back = try JSONParser.parse(integral.canonicalBytes)
        #expect(back == [1, 0, 1_000_000_000_000_000])
        #expect(back.canonicalBytes == integral.canonicalBytes)
        // An integral double ≥ 2^53 below 1e21 prints as a long integer, which strict I-JSON parsing rejects.
        let big: JSONValue = [1e20]
        #expect(big.canonicalString == "[100000000000000000000]")
        let strictError = #expect(throws: JSONParseError.self) { try JSONParser.parse(big.canonicalBytes) }
        #expect(strictError?.code == .integerOutOfRange)
        let lenient = try JSONParser.parse(big.canonicalBytes, limits: .init(bigIntegersAsDoubles: true))
        #expect(lenient == big)
    }
}
