import Testing

@testable import AttestCore

@Suite("JSONValue")
struct JSONValueTests {
    @Test("Accessors")
    func accessors() {
        let value: JSONValue = ["s": "text", "i": 42, "d": 2.5, "b": true, "n": nil, "a": [1, 2], "o": ["k": "v"]]
        #expect(value["s"]?.stringValue == "text")
        #expect(value["i"]?.intValue == 42)
        #expect(value["i"]?.doubleValue == 42)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.intValue == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["n"]?.isNull == true)
        #expect(value["s"]?.isNull == false)
        #expect(value["a"]?.arrayValue == [1, 2])
        #expect(value["a"]?[1] == 2)
        #expect(value["a"]?[2] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["o"]?.objectValue == ["k": "v"])
        #expect(value["missing"] == nil)
        #expect(value[0] == nil)
        #expect(JSONValue.string("x")["k"] == nil)
        #expect(JSONValue.int(1).stringValue == nil)
        #expect(JSONValue.string("1").intValue == nil)
        #expect(JSONValue.null.boolValue == nil && JSONValue.null.arrayValue == nil && JSONValue.null.objectValue == nil)
    }

    @Test(
        "typeName",
        arguments: [
            (JSONValue.null, "null"), (.bool(true), "boolean"), (.int(1), "integer"), (.double(1), "number"),
            (.string(""), "string"), (.array([]), "array"), (.object([:]), "object"),
        ]
    )
    func typeName(_ value: JSONValue, _ name: String) {
        #expect(value.typeName == name)
    }

    @Test("Literals")
    func literals() {
        let null: JSONValue = nil
        let bool: JSONValue = false
        let int: JSONValue = 7
        let double: JSONValue = 1.0
        let string: JSONValue = "s"
        let array: JSONValue = [1, "a"]
        let object: JSONValue = ["k": 1]
        #expect(null == .null)
        #expect(bool == .bool(false))
        #expect(int == .int(7))
        #expect(double == .double(1))
        #expect(string == .string("s"))
        #expect(array == .array([.int(1), .string("a")]))
        #expect(object == .object(["k": .int(1)]))
    }

    @Test("Equality and hashing are exact")
    func equality() {
        #expect(JSONValue.int(1) != JSONValue.double(1))
        #expect(JSONValue.double(0) == JSONValue.double(-0.0))
        #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
        #expect(JSONValue.object(["\u{E9}": 1]) != JSONValue.object(["e\u{301}": 1]))
        #expect(JSONValue.object(["a": 1, "b": [2]]) == JSONValue.object(["b": [2], "a": 1]))
        #expect(JSONValue.object(["a": 1]) != JSONValue.object(["a": 1, "b": 2]))
        #expect(JSONValue.array([1, 2]) != JSONValue.array([2, 1]))
        let set: Set<JSONValue> = [
            "\u{E9}", "e\u{301}", 1, 1.0, ["a": 1], ["a": 1], ["\u{E9}": 1], ["e\u{301}": 1], [1, 2], [1, 2], nil, false,
        ]
        #expect(set.count == 10)
        var one = Hasher()
        one.combine(JSONValue.object(["x": 1, "y": 2, "z": 3]))
        var two = Hasher()
        two.combine(JSONValue.object(["z": 3, "y": 2, "x": 1]))
        #expect(one.finalize() == two.finalize())
    }
}

extension JSONValueTests {
    @Test("Missing keys give Optional.none, never .null")
    func missingIsNotNull() {
        let value: JSONValue = ["\u{E9}": nil]
        #expect(value["\u{E9}"] == .some(.null))
        #expect(value["e\u{301}"] == Optional<JSONValue>.none)
        #expect(value["x"] == Optional<JSONValue>.none)
        #expect(JSONValue.array([nil])[0] == .some(.null))
        #expect(JSONValue.array([nil])[1] == Optional<JSONValue>.none)
    }
}
