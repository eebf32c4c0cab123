import Foundation
import Testing

@testable import AttestCore

/// RFC 8785 test vectors from cyberphone/json-canonicalization (testdata/, commit 19d51d7).
///
/// Every input parses with the default strict limits: none of them contains an integer literal beyond ±(2^53−1)
/// (`values.json` writes its large numbers as `1E30` and `333333333.33333329`, which are `.double`s anyway), so no
/// vector needs `bigIntegersAsDoubles`.
@Suite("RFC 8785 vectors")
struct JCSVectorTests {
    static let vectorNames = ["arrays", "french", "structures", "unicode", "values", "weird"]
    static let jcsURL = fixturesURL.appendingPathComponent("jcs")

    @Test("The fixture directory holds exactly the vectors tested here (none skipped)")
    func fixtureListIsComplete() throws {
        let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.jcsURL.appendingPathComponent("input").path)
        let outputs = try FileManager.default.contentsOfDirectory(atPath: Self.jcsURL.appendingPathComponent("output").path)
        let hexes = try FileManager.default.contentsOfDirectory(atPath: Self.jcsURL.appendingPathComponent("outhex").path)
        #expect(Set(inputs) == Set(Self.vectorNames.map { $0 + ".json" }))
        #expect(Set(outputs) == Set(Self.vectorNames.map { $0 + ".json" }))
        #expect(Set(hexes) == Set(Self.vectorNames.map { $0 + ".txt" }))
    }

    @Test("Canonical output matches output/ and outhex/", arguments: vectorNames)
    func vector(name: String) throws {
        let input = try Data(contentsOf: Self.jcsURL.appendingPathComponent("input/\(name).json"))
        let output = try Data(contentsOf: Self.jcsURL.appendingPathComponent("output/\(name).json"))
        let hex = try String(contentsOf: Self.jcsURL.appendingPathComponent("outhex/\(name).txt"), encoding: .utf8)

        let value = try JSONParser.parse(input)
        let canonical = value.canonicalBytes
        #expect(canonical == Array(output))
        #expect(canonical == bytes(fromHex: hex))

        // Canonical form is a fixed point and re-parses to the same canonical bytes.
        let reparsed = try JSONParser.parse(canonical)
        #expect(reparsed.canonicalBytes == canonical)
        // The expected output is itself valid JSON that is already canonical.
        #expect(try JSONParser.parse(output).canonicalBytes == Array(output))
    }
}
