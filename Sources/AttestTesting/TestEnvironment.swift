import Foundation
import Subprocess
import SystemPackage

/// Facts about the test run: where things are and whether real peers are required.
public enum TestEnvironment {
    /// True under `scripts/test` (`ATTEST_INTEGRATION=1`): a test whose real peer (node, python,
    /// a server) is missing must fail, not skip.
    public static var integrationRequired: Bool { ProcessInfo.processInfo.environment["ATTEST_INTEGRATION"] == "1" }

    /// The repository root (found from this source file's path).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The full path of an executable found on `PATH`, or nil.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a peer program is usable, or must be used anyway (so that its absence fails).
    public static func peerAvailableOrRequired(_ name: String) -> Bool {
        which(name) != nil || integrationRequired
    }

    /// The built `attest` executable next to the test bundle (`.build/<triple>/debug/attest`).
    public static var attestBinary: URL {
        if let explicit = ProcessInfo.processInfo.environment["ATTEST_BIN"] { return URL(fileURLWithPath: explicit) }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("attest")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return repositoryRoot.appendingPathComponent(".build/debug/attest")
    }

    /// A new empty temporary directory.
    public static func temporaryDirectory(_ label: String = "attest-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The result of running a program.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs `executable` with `arguments`, feeding `stdin` (or nothing: the child reads end of file),
/// and waits for it.
///
/// Spawns through swift-subprocess, not Foundation's `Process`: on Swift 6.3.1 `Process.run()`
/// can crash the test runner with SIGSEGV in `memcpy` (swift-corelibs-foundation's over-read in
/// `findMaximumOpenFromProcSelfFD`, fixed by swiftlang/swift-corelibs-foundation#5472).
/// A child killed by a signal has `status` 128 + the signal number, as a shell reports it.
public func runProcess(
    _ executable: URL,
    _ arguments: [String],
    stdin: Data? = nil,
    environment: [String: String]? = nil,
    currentDirectory: URL? = nil
) async throws -> ProcessResult {
    var env = Environment.inherit
    if let environment {
        var keys: [Environment.Key: String] = [:]
        for (name, value) in environment {
            guard let key = Environment.Key(rawValue: name) else { throw ProcessEnvironmentError(name: name) }
            keys[key] = value
        }
        env = .custom(keys)
    }
    let workingDirectory = currentDirectory.map { FilePath($0.path) }
    let limit = 1 << 30
    let result =
        if let stdin {
            try await Subprocess.run(
                .path(FilePath(executable.path)),
                arguments: Arguments(arguments),
                environment: env,
                workingDirectory: workingDirectory,
                input: .data(stdin),
                output: .bytes(limit: limit),
                error: .bytes(limit: limit)
            )
        } else {
            try await Subprocess.run(
                .path(FilePath(executable.path)),
                arguments: Arguments(arguments),
                environment: env,
                workingDirectory: workingDirectory,
                input: .none,
                output: .bytes(limit: limit),
                error: .bytes(limit: limit)
            )
        }
    let status: Int32 =
        switch result.terminationStatus {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    return ProcessResult(
        status: status,
        stdout: String(decoding: result.standardOutput, as: UTF8.self),
        stderr: String(decoding: result.standardError, as: UTF8.self)
    )
}

/// An environment variable name that cannot be passed to a child.
public struct ProcessEnvironmentError: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "not an environment variable name: \(name)" }
}
