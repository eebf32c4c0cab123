import AttestServer
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Shutdown watch: a slow shutdown names the parts still running")
struct ShutdownWatchTests {
    /// Keeps every message logged through it.
    final class Captured: Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
        var all: [(Logger.Level, String)] { lines.withLock { $0 } }
    }
    struct CapturingHandler: LogHandler {
        let captured: Captured
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            captured.lines.withLock { $0.append((event.level, "\(event.message)")) }
        }
    }

    /// Runs until the graceful shutdown, then, if `lingers`, until a warning was logged (at most 30 s).
    struct Part: Service {
        let lingers: Captured?
        func run() async throws {
            try? await gracefulShutdown()
            guard let captured = lingers else { return }
            for _ in 0..<3_000 where !captured.all.contains(where: { $0.0 == .warning }) {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    @Test("parts that stop are logged with their time, a part that lingers is named in warnings until it stops")
    func namesTheLingeringPart() async throws {
        let captured = Captured()
        let logger = Logger(label: "test") { _ in CapturingHandler(captured: captured) }
        let watch = ShutdownWatch(logger: logger, firstReport: .milliseconds(200), laterReports: .milliseconds(200))
        let services: [any Service] = [
            WatchedService("slow part", Part(lingers: captured), watch: watch),
            WatchedService("quick part", Part(lingers: nil), watch: watch),
        ]
        let group = ServiceGroup(services: services, logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Both parts have started before the shutdown.
            while watch.running.count < 2 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(Set(watch.running) == ["slow part", "quick part"])
            // Nothing is reported before a shutdown.
            try await Task.sleep(for: .milliseconds(300))
            #expect(captured.all.isEmpty)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let lines = captured.all
        let warnings = lines.filter { $0.0 == .warning }.map(\.1)
        #expect(warnings.count >= 1, "\(lines)")
        #expect(warnings.allSatisfy { $0.contains("still waiting for slow part") && !$0.contains("quick part") }, "\(warnings)")
        let infos = lines.filter { $0.0 == .info }.map(\.1)
        #expect(infos.count == 3, "\(lines)")
        #expect(infos.first == "shutdown: stopping 2 part(s): quick part, slow part", "\(infos)")
        #expect(infos.dropFirst().first?.hasPrefix("shutdown: quick part stopped after") == true, "\(infos)")
        #expect(infos.last?.hasPrefix("shutdown: slow part stopped after") == true, "\(infos)")
        #expect(infos.last?.hasSuffix("0 part(s) still running") == true, "\(infos)")
        #expect(watch.running.isEmpty)
    }
}
