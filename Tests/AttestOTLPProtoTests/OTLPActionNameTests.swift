import Testing

@testable import AttestOTLP

/// The byte-wise action name of ASCII names against the scalar-wise one every name can take.
@Suite("OTLP action names")
struct OTLPActionNameTests {
    @Test("ASCII names give the same action on bytes as scalar by scalar; other names take the scalar path")
    func asciiAgrees() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("aZz09_-. !/:AbQ.\t~.") + ["\u{7F}", "\u{1}"]
        for _ in 0..<5_000 {
            let name = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let fast = OTLPLogMapper.asciiActionName(name)
            #expect(fast == OTLPLogMapper.scalarActionName(name), "\(name.debugDescription)")
        }
        #expect(OTLPLogMapper.asciiActionName("Ünïcode.Event") == nil)
        #expect(OTLPLogMapper.actionName("Ünïcode.Event") == "_n_code.event")
        #expect(OTLPLogMapper.actionName("claude_code.TOOL-result") == "claude_code.tool-result")
    }
}
