import AttestCore
import AttestTesting
import Foundation
import Testing

/// The examples FORMAT.md points at must stay valid, and break when edited.
@Suite("docs/examples bundles")
struct FormatExampleTests {
    static let examples = TestEnvironment.repositoryRoot.appendingPathComponent("docs/examples")

    func key() throws -> Ed25519NoteVerifier {
        try Ed25519NoteVerifier(verifierKey: String(contentsOf: Self.examples.appendingPathComponent("verifier-key.txt"), encoding: .utf8))
    }

    @Test("bundle.ndjson and bundle-from-3.ndjson verify with the published key", arguments: ["bundle.ndjson", "bundle-from-3.ndjson"])
    func verifies(_ name: String) throws {
        let data = try Data(contentsOf: Self.examples.appendingPathComponent(name))
        let report = BundleVerifier.verify(data, pinnedKey: try key())
        #expect(report.ok, "\(report)")
        #expect(report.range?.upperBound == 7)
        #expect(report.signaturesChecked == (name == "bundle.ndjson" ? 7 : 4))
    }

    @Test("the example exercises the JSON corner cases FORMAT.md names")
    func cornerCases() throws {
        let text = try String(contentsOf: Self.examples.appendingPathComponent("bundle.ndjson"), encoding: .utf8)
        for needle in ["1e+21", "2.5e-7", "\"negzero\":0", "100000000000000000000", "[1,[2,[3,[]]]]", "\u{1F600}", "\u{E000}", "\\u0001"] {
            #expect(text.contains(needle), "\(needle)")
        }
        // Emoji (UTF-16 D83D…) sorts before U+E000 in RFC 8785 order.
        let emoji = try #require(text.range(of: "\u{1F600}"))
        let pua = try #require(text.range(of: "\u{E000}"))
        #expect(emoji.lowerBound < pua.lowerBound)
    }
}
