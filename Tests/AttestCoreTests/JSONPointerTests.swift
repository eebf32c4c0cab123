import Testing

@testable import AttestCore

@Suite("JSON Pointer (RFC 6901)")
struct JSONPointerTests {
    /// The example document of RFC 6901 §5.
    static let document: JSONValue = [
        "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8,
    ]

    static let rfcCases: [(String, JSONValue)] = [
        ("", document), ("/foo", ["bar", "baz"]), ("/foo/0", "bar"), ("/", 0), ("/a~1b", 1), ("/c%d", 2), ("/e^f", 3),
        ("/g|h", 4), ("/i\\j", 5), ("/k\"l", 6), ("/ ", 7), ("/m~0n", 8),
    ]

    @Test("RFC 6901 §5 examples", arguments: rfcCases)
    func rfcExamples(_ text: String, _ expected: JSONValue) throws {
        let pointer = try #require(JSONPointer(text))
        #expect(Self.document.value(at: pointer) == expected)
        #expect(pointer.description == text)
    }

    @Test("Missing targets give nil")
    func missing() throws {
        for text in ["/foo/-", "/foo/2", "/foo/01", "/foo/+1", "/foo/-1", "/foo/0/x", "/nope", "/ /x", "/foo/99999999999999999999999"] {
            let pointer = try #require(JSONPointer(text))
            #expect(Self.document.value(at: pointer) == nil, "\(text)")
        }
        let value: JSONValue = ["\u{E9}": 1]
        #expect(value.value(at: JSONPointer.root.appending("e\u{301}")) == nil)
        #expect(value.value(at: JSONPointer.root.appending("\u{E9}")) == 1)
    }

    @Test("Building and escaping")
    func building() {
        let pointer = JSONPointer.root.appending("a/b").appending(3).appending("~x").appending("")
        #expect(pointer.tokens == ["a/b", "3", "~x", ""])
        #expect(pointer.description == "/a~1b/3/~0x/")
        #expect(JSONPointer(pointer.description) == pointer)
        #expect(JSONPointer.root.description == "")
        #expect(JSONPointer(tokens: ["~1"]).description == "/~01")
        #expect(JSONPointer("/~01")?.tokens == ["~1"])
    }

    @Test("Invalid strings are rejected", arguments: ["a", "a/b", "/~", "/~2", "/a~", "#/a"])
    func invalid(_ text: String) {
        #expect(JSONPointer(text) == nil)
    }

    @Test("Equality is exact and ordering is token-wise")
    func equalityAndOrder() {
        let composed = JSONPointer(tokens: ["\u{E9}"])
        let decomposed = JSONPointer(tokens: ["e\u{301}"])
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed, composed]).count == 2)
        let unsorted = [
            JSONPointer(tokens: ["b"]), JSONPointer(tokens: ["a", "b"]), .root, JSONPointer(tokens: ["a"]),
            JSONPointer(tokens: ["\u{E000}"]), JSONPointer(tokens: ["\u{10000}"]), JSONPointer(tokens: ["a", "a"]),
        ]
        #expect(unsorted.sorted().map(\.description) == ["", "/a", "/a/a", "/a/b", "/b", "/\u{10000}", "/\u{E000}"])
    }
}
