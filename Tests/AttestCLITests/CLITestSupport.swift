import AttestCore
import AttestTesting
import Foundation

/// Runs the built `attest` binary.
@discardableResult
func attest(_ args: String..., stdin: Data? = nil, in dir: URL? = nil) async throws -> ProcessResult {
    try await runProcess(TestEnvironment.attestBinary, args, stdin: stdin, currentDirectory: dir)
}

/// Runs the built `attest` binary with an argument list.
@discardableResult
func attest(_ args: [String], stdin: Data? = nil, in dir: URL? = nil) async throws -> ProcessResult {
    try await runProcess(TestEnvironment.attestBinary, args, stdin: stdin, currentDirectory: dir)
}

/// Writes `count` fixture events as NDJSON (valid, varied, with the JSON corner cases).
func writeEvents(_ count: Int, to url: URL, from: Int = 0) throws {
    var rng = Fixtures.Rng(seed: 42)
    var out: [UInt8] = []
    for i in from..<(from + count) {
        out += Fixtures.event(i, id: "evt-\(i)", rng: &rng).canonicalBytes
        out.append(0x0A)
    }
    try Data(out).write(to: url)
}
