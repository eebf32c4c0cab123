import AttestTesting
import Foundation
import Testing

@testable import AttestCore

/// One expected ECMAScript `Number.prototype.toString` result (computed with node 20, hard-coded here).
struct NumberCase: Sendable, CustomTestStringConvertible {
    let value: Double
    let expected: String

    init(_ value: Double, _ expected: String) {
        self.value = value
        self.expected = expected
    }

    var testDescription: String { "\(value.bitPattern.hexString) → \(expected)" }
}

extension UInt64 {
    var hexString: String {
        let digits = String(self, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

@Suite("ECMAScript number formatting")
struct ECMAScriptNumberTests {
    static let cases: [NumberCase] = [
        NumberCase(0, "0"),
        NumberCase(-0.0, "0"),
        NumberCase(1, "1"),
        NumberCase(-1, "-1"),
        NumberCase(4.5, "4.5"),
        NumberCase(-1.5, "-1.5"),
        NumberCase(0.5, "0.5"),
        NumberCase(0.002, "0.002"),
        NumberCase(1e21, "1e+21"),
        NumberCase(-1e21, "-1e+21"),
        NumberCase(1e20, "100000000000000000000"),
        NumberCase(1.2345678901234568e20, "123456789012345680000"),
        NumberCase(9.999999999999999e20, "999999999999999900000"),
        NumberCase(1.0000000000000001e21, "1.0000000000000001e+21"),
        NumberCase(2.9514790517935283e20, "295147905179352830000"),
        NumberCase(1e-7, "1e-7"),
        NumberCase(1e-6, "0.000001"),
        NumberCase(-0.000001, "-0.000001"),
        NumberCase(0.00000123, "0.00000123"),
        NumberCase(1e-5, "0.00001"),
        NumberCase(1.5e-7, "1.5e-7"),
        NumberCase(2.5e-7, "2.5e-7"),
        NumberCase(-2.5e-7, "-2.5e-7"),
        NumberCase(5e-7, "5e-7"),
        NumberCase(Double(bitPattern: 1), "5e-324"),  // smallest subnormal
        NumberCase(Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), "2.225073858507201e-308"),  // largest subnormal
        NumberCase(2.2250738585072014e-308, "2.2250738585072014e-308"),  // smallest normal
        NumberCase(1.7976931348623157e+308, "1.7976931348623157e+308"),
        NumberCase(-1e-300, "-1e-300"),
        NumberCase(1e+300, "1e+300"),
        NumberCase(1e308, "1e+308"),
        NumberCase(0.1, "0.1"),
        NumberCase(0.2 + 0.3, "0.5"),
        NumberCase(0.1 + 0.2, "0.30000000000000004"),
        NumberCase(1.0 / 3.0, "0.3333333333333333"),
        NumberCase(100, "100"),
        NumberCase(65536, "65536"),
        NumberCase(4294967296, "4294967296"),
        NumberCase(9007199254740991, "9007199254740991"),
        NumberCase(9007199254740992, "9007199254740992"),
        NumberCase(9007199254740994, "9007199254740994"),
        NumberCase(-9007199254740992, "-9007199254740992"),
        NumberCase(18446744073709551616, "18446744073709552000"),  // 2^64
        NumberCase(1e16, "10000000000000000"),
        NumberCase(1.2345678901234567e16, "12345678901234568"),
        NumberCase(333333333.33333329, "333333333.3333333"),
        NumberCase(123456789.123456789, "123456789.12345679"),
        NumberCase(1e23, "1e+23"),
        NumberCase(1e30, "1e+30"),
        NumberCase(1e-27, "1e-27"),
        NumberCase(0.000001, "0.000001"),
        NumberCase(123e-20, "1.23e-18"),
        NumberCase(1234.5678e10, "12345678000000"),
        NumberCase(3.141592653589793, "3.141592653589793"),
        NumberCase(2.718281828459045, "2.718281828459045"),
        NumberCase(6.02214076e23, "6.02214076e+23"),
        NumberCase(1.602176634e-19, "1.602176634e-19"),
        NumberCase(0.30000000000000004, "0.30000000000000004"),
    ]

    @Test("Number::toString table", arguments: cases)
    func table(_ numberCase: NumberCase) {
        #expect(JSONValue.double(numberCase.value).canonicalString == numberCase.expected)
    }

    @Test("Integers: plain decimal within ±2^53, nearest double beyond")
    func integers() {
        #expect(JSONValue.int(0).canonicalString == "0")
        #expect(JSONValue.int(-7).canonicalString == "-7")
        #expect(JSONValue.int(9_007_199_254_740_991).canonicalString == "9007199254740991")
        #expect(JSONValue.int(-9_007_199_254_740_991).canonicalString == "-9007199254740991")
        #expect(JSONValue.int(9_007_199_254_740_992).canonicalString == "9007199254740992")
        #expect(JSONValue.int(9_007_199_254_740_993).canonicalString == "9007199254740992")
        #expect(JSONValue.int(Int64.max).canonicalString == "9223372036854776000")
        #expect(JSONValue.int(Int64.min).canonicalString == "-9223372036854776000")
        for value: Int64 in [1, 9, 10, 99, 100, 101, 999_999, 1_000_000, 1_234_567_890_123] {
            #expect(JSONValue.int(value).canonicalString == String(value))
            #expect(JSONValue.double(Double(value)).canonicalString == String(value))
        }
    }

    @Test("A non-finite double cannot be canonicalized")
    func nonFiniteTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = JSONValue.double(.infinity).canonicalBytes
        }
        await #expect(processExitsWith: .failure) {
            _ = JSONValue.array([.double(.nan)]).canonicalBytes
        }
    }

    /// Random finite doubles: raw bit patterns across all exponents, plus "nice" short decimals and integers.
    static func randomDoubles(count: Int) -> [Double] {
        var rng = SplitMix64(seed: 0xA77E_57)
        var values: [Double] = []
        values.reserveCapacity(count + 64)
        // Boundaries of the plain/exponent notation switch and of the integer fast path.
        for base in [1e21, 1e-7, 9_007_199_254_740_992.0, 1e-6, 1e20] {
            var up = base
            var down = base
            for _ in 0..<6 {
                values += [up, down, -up]
                up = up.nextUp
                down = down.nextDown
            }
        }
        while values.count < count {
            switch values.count % 4 {
            case 0, 1:
                let value = Double(bitPattern: rng.next())
                if value.isFinite { values.append(value) }
            case 2:
                // A short decimal mantissa scaled by a power of ten, like values humans write.
                let mantissa = Double(rng.next(upperBound: 1_000_000 as UInt64))
                let exponent = Int(rng.next(upperBound: 60 as UInt64)) - 30
                let value = mantissa * pow(10, Double(exponent))
                values.append(rng.next() & 1 == 0 ? value : -value)
            default:
                let value = Double(Int64(bitPattern: rng.next()) >> Int(rng.next(upperBound: 64 as UInt64)))
                values.append(value)
            }
        }
        return values
    }

    /// Compares against a real ECMAScript engine. Without node the test is skipped, unless ATTEST_INTEGRATION=1, in
    /// which case it runs and fails (so CI cannot silently lose this check).
    @Test(
        "Matches node's JSON.stringify for 30,000 random doubles",
        .enabled(if: nodePath != nil || ProcessInfo.processInfo.environment["ATTEST_INTEGRATION"] == "1")
    )
    func matchesNode() async throws {
        let node = try #require(nodePath, "node is required when ATTEST_INTEGRATION=1")
        let values = Self.randomDoubles(count: 30_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attest-jcs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let hexFile = directory.appendingPathComponent("doubles.hex")
        try values.map { $0.bitPattern.hexString }.joined(separator: "\n").write(to: hexFile, atomically: true, encoding: .utf8)
        let script = directory.appendingPathComponent("stringify.js")
        try """
        const fs = require("fs");
        const lines = fs.readFileSync(process.argv[2], "utf8").split("\\n").filter((l) => l.length > 0);
        const view = new DataView(new ArrayBuffer(8));
        const out = [];
        for (const line of lines) {
            view.setBigUint64(0, BigInt("0x" + line));
            out.push(JSON.stringify(view.getFloat64(0)));
        }
        process.stdout.write(out.join("\\n") + "\\n");
        """.write(to: script, atomically: true, encoding: .utf8)

        let run = try await runProcess(URL(fileURLWithPath: node), [script.path, hexFile.path])
        #expect(run.status == 0, "node: \(run.stderr)")

        let expected = run.stdout.split(separator: "\n").map(String.init)
        try #require(expected.count == values.count)
        var mismatches = 0
        let lenient = JSONParser.Limits(bigIntegersAsDoubles: true)
        for (value, nodeText) in zip(values, expected) {
            let ours = JSONValue.double(value).canonicalString
            if ours != nodeText {
                mismatches += 1
                if mismatches <= 10 { Issue.record("\(value.bitPattern.hexString): ours \(ours), node \(nodeText)") }
            }
            // Our parser reads the shortest form back to exactly the same double (except -0, printed as 0).
            if value != 0 {
                let parsed = try JSONParser.parse(nodeText, limits: lenient).doubleValue
                #expect(parsed?.bitPattern == value.bitPattern, "\(nodeText)")
            }
        }
        #expect(mismatches == 0)
    }
}
