import Logging
import Synchronization
import Testing

@testable import AttestServer

/// A stream that keeps what is written, for reading the lines back.
private final class Captured: TextOutputStream, @unchecked Sendable {
    private let text = Mutex("")
    func write(_ string: String) { text.withLock { $0 += string } }
    var lines: [String] { text.withLock { $0.split(separator: "\n").map(String.init) } }
}

struct LogHandlerTests {
    private func logger(_ out: Captured, level: Logger.Level = .info) -> Logger {
        var h = DeferredMetadataLogHandler(StreamLogHandler(label: "t", stream: out, metadataProvider: nil))
        h.logLevel = level
        return Logger(label: "t") { _ in h }
    }

    @Test("metadata set on the logger is written with each line, a line's own key wins")
    func metadataWritten() {
        let out = Captured()
        var log = logger(out)
        log[metadataKey: "hb.request.id"] = "r1"
        log[metadataKey: "attest.token"] = "acme/ci"
        log.info("first")
        log.info("second", metadata: ["attest.token": "line", "extra": "x"])
        let lines = out.lines
        #expect(lines.count == 2)
        #expect(lines[0].contains("hb.request.id=r1"))
        #expect(lines[0].contains("attest.token=acme/ci"))
        #expect(lines[0].hasSuffix("first"))
        #expect(lines[1].contains("attest.token=line"))
        #expect(!lines[1].contains("acme/ci"))
        #expect(lines[1].contains("extra=x"))
        #expect(lines[1].contains("hb.request.id=r1"))
    }

    @Test("level, key removal and a copy's own metadata behave as swift-log requires")
    func valueSemantics() {
        let out = Captured()
        var log = logger(out, level: .warning)
        log[metadataKey: "k"] = "v"
        var copy = log
        copy[metadataKey: "k"] = nil
        copy[metadataKey: "c"] = "1"
        log.info("dropped: below the level")
        log.warning("original")
        copy.warning("copy")
        #expect(log[metadataKey: "k"] == "v")
        #expect(copy[metadataKey: "k"] == nil)
        #expect(log.logLevel == .warning)
        let lines = out.lines
        #expect(lines.count == 2)
        #expect(lines[0].contains("k=v") && !lines[0].contains("c=1"))
        #expect(lines[1].contains("c=1") && !lines[1].contains("k=v"))
    }
}
