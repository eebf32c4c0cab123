import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Says which parts of the server are still running while it shuts down.
///
/// Each background service runs inside a ``WatchedService``. When the graceful shutdown begins
/// (SIGTERM or SIGINT), every part that finishes is logged at `info` with the time it took, and
/// while some are still running after ``firstReport`` (then every ``laterReports``), a warning
/// names them. A shutdown that does not end thus says where it is stuck, even at
/// `--log-level warning` (OPERATIONS.md, "Stopping").
public final class ShutdownWatch: Sendable {
    private struct State {
        var running: [String] = []
        var began: ContinuousClock.Instant?
        var reporter: Task<Void, Never>?
    }
    private let state = Mutex(State())
    let logger: Logger
    let firstReport: Duration
    let laterReports: Duration

    public init(logger: Logger, firstReport: Duration = .seconds(5), laterReports: Duration = .seconds(10)) {
        self.logger = logger
        self.firstReport = firstReport
        self.laterReports = laterReports
    }

    /// The parts still running, in the order they started (services start concurrently).
    public var running: [String] { state.withLock { $0.running } }

    func started(_ name: String) { state.withLock { $0.running.append(name) } }

    func finished(_ name: String, error: (any Error)?) {
        let (began, left) = state.withLock { s -> (ContinuousClock.Instant?, Int) in
            if let i = s.running.firstIndex(of: name) { s.running.remove(at: i) }
            if s.running.isEmpty {
                s.reporter?.cancel()
                s.reporter = nil
            }
            return (s.began, s.running.count)
        }
        guard let began else { return }  // finished before any shutdown: ServiceLifecycle reports that itself
        let took = ContinuousClock.now - began
        let ms = Int(took / .milliseconds(1))
        if let error {
            logger.warning("shutdown: \(name) stopped with an error after \(ms) ms: \(error); \(left) part(s) still running")
        } else {
            logger.info("shutdown: \(name) stopped after \(ms) ms; \(left) part(s) still running")
        }
    }

    /// The graceful shutdown began: report, until every part has stopped, which are still running.
    func shutdownBegan() {
        let parts = state.withLock { s -> [String]? in
            guard s.began == nil else { return nil }
            let began = ContinuousClock.now
            s.began = began
            guard !s.running.isEmpty else { return nil }
            s.reporter = Task { [self] in
                var wait = firstReport
                while true {
                    do { try await Task.sleep(for: wait) } catch { return }
                    let left = running
                    if left.isEmpty { return }
                    let seconds = Int((ContinuousClock.now - began) / .seconds(1))
                    logger.warning("shutdown: after \(seconds) s still waiting for \(left.joined(separator: ", "))")
                    wait = laterReports
                }
            }
            return s.running
        }
        if let parts { logger.info("shutdown: stopping \(parts.count) part(s): \(parts.sorted().joined(separator: ", "))") }
    }
}

/// A service that tells a ``ShutdownWatch`` when it starts and stops, and when the graceful
/// shutdown begins.
public struct WatchedService: Service {
    public let name: String
    let base: any Service
    let watch: ShutdownWatch

    public init(_ name: String, _ base: any Service, watch: ShutdownWatch) {
        self.name = name
        self.base = base
        self.watch = watch
    }

    public func run() async throws {
        watch.started(name)
        do {
            try await withGracefulShutdownHandler {
                try await base.run()
            } onGracefulShutdown: { [watch] in
                watch.shutdownBegan()
            }
        } catch {
            watch.finished(name, error: error)
            throw error
        }
        watch.finished(name, error: nil)
    }
}
