/// Why and where ``JSONParser`` rejected a document.
///
/// `offset` is the 0-based byte offset of the offending byte (for `unexpectedEnd` it is the input length).
/// `line` and `column` are 1-based: a line ends at LF, CR LF or a lone CR; `column` counts Unicode scalars
/// (more precisely: bytes that are not UTF-8 continuation bytes) since the start of the line, so a tab or a
/// multi-byte character counts as one column. Two errors are equal when all their fields are equal.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error category. Compare against the static members, e.g. `.duplicateKey`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short identifier such as `"duplicateKey"`; stable across releases.
        public let rawValue: String

        /// Creates a code from its identifier; prefer the predefined static members.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The identifier, e.g. `duplicateKey`.
        public var description: String { rawValue }

        /// The input ended where more JSON text was required (unterminated string, missing `]`, empty input, ...).
        public static let unexpectedEnd = Code(rawValue: "unexpectedEnd")
        /// A byte that cannot start or continue the expected token (comments, single quotes, `NaN`, `+1`, `.5`, a
        /// trailing comma, a BOM, a missing `:` ...).
        public static let unexpectedCharacter = Code(rawValue: "unexpectedCharacter")
        /// A string contains bytes that are not well-formed UTF-8 (overlong forms, encoded surrogates,
        /// code points above U+10FFFF, stray or missing continuation bytes).
        public static let invalidUTF8 = Code(rawValue: "invalidUTF8")
        /// A `\u` escape denotes a surrogate that is not part of a high-low `\uD8xx\uDCxx` pair.
        public static let loneSurrogate = Code(rawValue: "loneSurrogate")
        /// An unknown escape such as `\x` or `\'`, or a `\u` not followed by four hex digits.
        public static let invalidEscape = Code(rawValue: "invalidEscape")
        /// A raw (unescaped) control character U+0000–U+001F inside a string.
        public static let controlCharacterInString = Code(rawValue: "controlCharacterInString")
        /// An object has two members whose keys have exactly the same Unicode scalars after unescaping.
        public static let duplicateKey = Code(rawValue: "duplicateKey")
        /// An object has two keys with different Unicode scalars that Swift's `String` considers equal (canonically
        /// equivalent, e.g. `"\u00e9"` and `"e\u0301"`). They are distinct in JSON, but ``JSONValue/object(_:)``
        /// (a Swift `Dictionary`) cannot hold both, so the document is rejected rather than silently altered.
        public static let unrepresentableKey = Code(rawValue: "unrepresentableKey")
        /// An integer literal outside ±(2^53−1), which I-JSON (RFC 7493) forbids.
        public static let integerOutOfRange = Code(rawValue: "integerOutOfRange")
        /// A number whose magnitude is too large for a finite IEEE 754 double (e.g. `1e400`).
        public static let numberOutOfRange = Code(rawValue: "numberOutOfRange")
        /// A malformed number: leading zeros, `-` without digits, `1.`, `1e`, ...
        public static let invalidNumber = Code(rawValue: "invalidNumber")
        /// Arrays and objects are nested deeper than ``JSONParser/Limits/maxDepth``.
        public static let tooDeep = Code(rawValue: "tooDeep")
        /// The input is longer than ``JSONParser/Limits/maxBytes``.
        public static let tooLarge = Code(rawValue: "tooLarge")
        /// A string (or key) decodes to more UTF-8 bytes than ``JSONParser/Limits/maxStringBytes``.
        public static let stringTooLong = Code(rawValue: "stringTooLong")
        /// Non-whitespace text follows the single top-level value.
        public static let trailingData = Code(rawValue: "trailingData")
    }

    /// The category of the error.
    public let code: Code
    /// A human-readable explanation, e.g. `duplicate key "a"`.
    public let message: String
    /// The 0-based byte offset where the problem was detected.
    public let offset: Int
    /// The 1-based line of `offset`.
    public let line: Int
    /// The 1-based column of `offset` within its line (counted in Unicode scalars).
    public let column: Int

    /// Creates an error; normally only ``JSONParser`` does this.
    public init(code: Code, message: String, offset: Int, line: Int, column: Int) {
        self.code = code
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// `line L, column C (byte O): message`, e.g. `line 1, column 7 (byte 6): duplicate key "a"`.
    public var description: String {
        "line \(line), column \(column) (byte \(offset)): \(message)"
    }
}
