import Testing

@testable import AttestCore

@Suite("RFC 8785 canonical serialization")
struct CanonicalTests {
    @Test("Literals, containers, no whitespace")
    func basics() {
        #expect(JSONValue.null.canonicalString == "null")
        #expect(JSONValue.bool(true).canonicalString == "true")
        #expect(JSONValue.bool(false).canonicalString == "false")
        #expect(JSONValue.array([]).canonicalString == "[]")
        #expect(JSONValue.object([:]).canonicalString == "{}")
        let value: JSONValue = ["b": [1, 2.5, nil, "x"], "a": ["y": false]]
        #expect(value.canonicalString == #"{"a":{"y":false},"b":[1,2.5,null,"x"]}"#)
        var buffer: [UInt8] = Array("prefix:".utf8)
        value.writeCanonical(into: &buffer)
        #expect(buffer == Array("prefix:".utf8) + value.canonicalBytes)
    }

    @Test("String escaping matches JSON.stringify")
    func stringEscaping() {
        // Expected text produced by node: JSON.stringify("\u0000\u0001\u0007\b\t\n\u000b\f\r\u000e\u001f \"\\/\u007f...")
        let input = "\u{0}\u{1}\u{7}\u{8}\t\n\u{B}\u{C}\r\u{E}\u{1F} \"\\/\u{7F}\u{80}\u{2028}\u{2029}😀"
        let expected = #""\u0000\u0001\u0007\b\t\n\u000b\f\r\u000e\u001f \"\\/"# + "\u{7F}\u{80}\u{2028}\u{2029}😀\""
        #expect(JSONValue.string(input).canonicalString == expected)

        for scalar in 0..<0x20 {
            let text = JSONValue.string(String(Unicode.Scalar(UInt8(scalar)))).canonicalString
            let named: [Int: String] = [0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"]
            let hex = String(scalar, radix: 16)
            let escape = named[scalar] ?? "\\u00" + (hex.count == 1 ? "0" + hex : hex)
            #expect(text == "\"" + escape + "\"")
        }
        #expect(JSONValue.string("plain ascii and ünïcödé").canonicalString == "\"plain ascii and ünïcödé\"")
        #expect(JSONValue.string("").canonicalString == "\"\"")
        // Keys are escaped the same way.
        #expect(JSONValue.object(["a\"b\n": 1]).canonicalString == #"{"a\"b\n":1}"#)
    }

    @Test("Keys sort by UTF-16 code units, not by Swift String < or UTF-8")
    func keyOrder() {
        // U+10000 is D800 DC00 in UTF-16, which sorts before U+E000; in UTF-8 and code points it sorts after.
        let value: JSONValue = ["\u{E000}": 1, "\u{10000}": 2, "a": 3, "\u{FFFF}": 4, "\u{1F600}": 5, "\u{D7FF}": 6]
        #expect(value.canonicalString == "{\"a\":3,\"\u{D7FF}\":6,\"\u{10000}\":2,\"\u{1F600}\":5,\"\u{E000}\":1,\"\u{FFFF}\":4}")
        #expect("\u{E000}" < "\u{10000}")  // Swift's order differs, which is why it is not used
        // Case, length and digits: plain code unit order, no locale.
        let mixed: JSONValue = ["b": 1, "B": 2, "aa": 3, "a": 4, "10": 5, "9": 6, "": 7, "é": 8, "e\u{301}z": 9]
        #expect(mixed.canonicalString == "{\"\":7,\"10\":5,\"9\":6,\"B\":2,\"a\":4,\"aa\":3,\"b\":1,\"e\u{301}z\":9,\"é\":8}")
    }

    @Test("UTF-16 comparator agrees with a direct UTF-16 comparison on random strings")
    func comparatorProperty() {
        let pool: [Unicode.Scalar] = [
            "\u{0}", "a", "b", "\u{7F}", "\u{80}", "\u{FF}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{EFFF}",
            "\u{F000}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{1F600}", "\u{10FFFF}", "\u{301}", "\u{E9}",
        ]
        var rng = SplitMix64(seed: 42)
        func randomString() -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next(upperBound: 5 as UInt64)) {
                scalars.append(pool[Int(rng.next(upperBound: UInt64(pool.count)))])
            }
            return String(scalars)
        }
        for _ in 0..<20_000 {
            let a = randomString()
            let b = randomString()
            let reference = Array(a.utf16).lexicographicallyPrecedes(Array(b.utf16))
            #expect(JCS.precedesInUTF16Order(a, b) == reference, "\(Array(a.unicodeScalars)) vs \(Array(b.unicodeScalars))")
        }
    }

    @Test("String escaping finds every byte that needs it, wherever it falls in the 8-byte words the writer scans")
    func escapingAtEveryPosition() {
        func reference(_ s: String) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += Array(#"\""#.utf8)
                case "\\": out += Array(#"\\"#.utf8)
                case "\u{8}": out += Array(#"\b"#.utf8)
                case "\u{C}": out += Array(#"\f"#.utf8)
                case "\n": out += Array(#"\n"#.utf8)
                case "\r": out += Array(#"\r"#.utf8)
                case "\t": out += Array(#"\t"#.utf8)
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += Array(("\\u00" + (hex.count == 1 ? "0" : "") + hex).utf8)
                default: out += Array(String(scalar).utf8)
                }
            }
            return out + [0x22]
        }
        // Bytes that must be escaped, bytes next to them in value (0x1F/0x20, 0x21/0x23, 0x5B/0x5D),
        // DEL, and multi-byte characters whose bytes are 0x80 and above.
        let specials: [String] = ["\"", "\\", "\u{0}", "\u{1F}", "\n", "\t", "\u{8}"]
        let plain: [String] = [" ", "!", "#", "[", "]", "\u{7F}", "é", "\u{20AC}", "\u{1F600}", "a"]
        for length in 0..<20 {
            for position in 0..<max(length, 1) {
                for special in specials + plain {
                    var scalars = Array(repeating: "x", count: length)
                    if length > 0 { scalars[position] = special }
                    let s = scalars.joined()
                    #expect(JSONValue.string(s).canonicalBytes == reference(s), "\(Array(s.unicodeScalars))")
                }
            }
        }
        var rng = SplitMix64(seed: 7)
        let pool = specials + plain + ["b", "c", "0"]
        for _ in 0..<5_000 {
            let s = (0..<Int(rng.next(upperBound: 40 as UInt64))).map { _ in pool[Int(rng.next(upperBound: UInt64(pool.count)))] }.joined()
            #expect(JSONValue.string(s).canonicalBytes == reference(s), "\(Array(s.unicodeScalars))")
        }
    }

    @Test("Unicode is never normalized")
    func noNormalization() {
        let decomposed = JSONValue.string("A\u{30A}")
        #expect(decomposed.canonicalBytes == [0x22, 0x41, 0xCC, 0x8A, 0x22])
        let composed = JSONValue.string("\u{C5}")
        #expect(composed.canonicalBytes == [0x22, 0xC3, 0x85, 0x22])
        #expect(decomposed != composed)
        // Distinct keys that differ only by normalization keep their own bytes.
        let objects: JSONValue = [["\u{E9}": 1], ["e\u{301}": 2]]
        #expect(objects.canonicalBytes == Array("[{\"\u{E9}\":1},{\"e\u{301}\":2}]".utf8))
    }

    @Test("Nested structures sort at every level")
    func nestedSorting() throws {
        let value = try JSONParser.parse(#"{"b":{"d":1,"c":[{"z":0,"y":1}]},"a":[]}"#)
        #expect(value.canonicalString == #"{"a":[],"b":{"c":[{"y":1,"z":0}],"d":1}}"#)
    }
}
