import Foundation

/// The directory holding the test fixtures, located relative to this source file (no Bundle resources).
let fixturesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Decodes whitespace-separated (or contiguous) hex digits into bytes.
func bytes(fromHex text: String) -> [UInt8] {
    let digits = text.unicodeScalars.compactMap { UInt8(String($0), radix: 16) }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// A small deterministic PRNG (SplitMix64) so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The path of a `node` executable, if one is installed (checked at /usr/bin/node, /usr/local/bin/node and $PATH).
let nodePath: String? = {
    var candidates = ["/usr/bin/node", "/usr/local/bin/node"]
    if let path = ProcessInfo.processInfo.environment["PATH"] {
        candidates += path.split(separator: ":").map { "\($0)/node" }
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// `true` when integration tests must run (and fail instead of being skipped if a tool is missing).
let integrationRequired = ProcessInfo.processInfo.environment["ATTEST_INTEGRATION"] == "1"
