import ArgumentParser
import AttestCore
import AttestStore
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an export bundle of a tenant's log (entries [start, end) and a signed checkpoint).",
        discussion: """
            The bundle verifies on its own: attest verify BUNDLE --key "$(attest pubkey)". A bundle that
            starts after 0 carries the compact range of the entries before it, so its root still checks.
            """
    )

    @OptionGroup var store: DataDirOptions

    @Option(name: .long, help: "The first seq to include.")
    var start: UInt64 = 0

    @Option(name: .long, help: "One past the last seq to include (default: the latest checkpoint's size).")
    var end: UInt64?

    @Option(name: .long, help: "Write to this file instead of standard output.")
    var out: String?

    func run() async throws {
        let (ledger, _) = try await store.open(create: false)
        guard let latest = try await ledger.latestCheckpoint(tenant: store.tenant),
            let log = try await ledger.log(tenant: store.tenant, create: false)
        else {
            throw CLIError.usage("no log for tenant \"\(store.tenant)\"")
        }
        let end = self.end ?? latest.size
        guard end <= latest.size else { throw CLIError.usage("--end \(end) is beyond the log size \(latest.size)") }
        guard start <= end else { throw CLIError.usage("--start \(start) is after --end \(end)") }

        let output: FileHandle
        let tmpPath = out.map { $0 + ".partial" }
        if let tmpPath {
            guard FileManager.default.createFile(atPath: tmpPath, contents: nil), let h = FileHandle(forWritingAtPath: tmpPath) else {
                throw CLIError.usage("cannot write \(tmpPath)")
            }
            output = h
        } else {
            output = .standardOutput
        }
        let prefix = try await ledger.compactRange(tenant: store.tenant, size: start)
        let header = BundleHeader(
            origin: log.origin,
            verifierKey: try await ledger.verifierKey(tenant: store.tenant, atSize: start),
            start: start,
            prefix: prefix.nodes
        )
        output.write(Data(BundleWriter.headerLine(header)))
        var progress = Progress("exporting")
        var next = start
        while next < end {
            let rows = try await ledger.entries(tenant: store.tenant, from: next, limit: Int(min(4096, end - next)))
            guard !rows.isEmpty else { throw CLIError(message: "entries stop at \(next), before \(end)", exitCode: 1) }
            var buffer: [UInt8] = []
            for row in rows {
                buffer.append(contentsOf: BundleWriter.entryLine(canonicalEntry: row.bytes, hash: row.hash, signature: row.signature))
            }
            output.write(Data(buffer))
            next += UInt64(rows.count)
            progress.update(next - start, of: end - start)
        }
        let checkpoint = try await ledger.checkpoint(tenant: store.tenant, size: end)
        output.write(Data(BundleWriter.checkpointLine(checkpoint.note)))
        progress.finish()
        if let out, let tmpPath {
            try output.synchronize()
            try output.close()
            // Move into place only when complete, so a bundle file is never half-written.
            _ = try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.moveItem(atPath: tmpPath, toPath: out)
            printError("wrote entries \(start)..<\(end) of \(log.origin) to \(out)")
        }
    }
}
