import ArgumentParser
import Foundation

/// The `attest` command: one binary for the ledger's tools (and, later, the service).
@main
struct Attest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "A tamper-evident, verifiable audit trail for AI agents.",
        discussion: """
            Exit status: 0 = success, 1 = verification failed, 2 = bad usage or bad input.
            The data directory (default ./attest-data) holds the SQLite ledger and the signing key;
            it is created on first use.
            """,
        version: AttestVersion.current,
        subcommands: [
            KeygenCommand.self, AppendCommand.self, VerifyCommand.self, ExportCommand.self,
            CheckpointCommand.self, PubkeyCommand.self, ServeCommand.self, DbCommand.self, WitnessCommand.self, KeysCommand.self,
        ]
    )

    /// Runs the command line with Attest's exit statuses: 2 for every usage error
    /// (ArgumentParser would use 64), 1 only for a failed verification.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("attest: \(error.message)\n".utf8))
            Foundation.exit(error.exitCode)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("attest: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}

/// The version printed by `attest --version`.
enum AttestVersion {
    static let current = "0.1.0"
}

/// An error that ends the command with a message on stderr and a given exit status.
struct CLIError: Error {
    let message: String
    let exitCode: Int32

    /// Bad usage or bad input (exit status 2).
    static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: 2) }
}
