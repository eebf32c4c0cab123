import ArgumentParser
import AttestCore
import AttestStore
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an export bundle, or every log in a data directory.",
        discussion: """
            attest verify BUNDLE [--key VKEY]     checks a bundle (use - for standard input)
            attest verify --data-dir DIR          recomputes every hash, the chain, the tree and every
                                                  checkpoint signature of every log in DIR
            Exit status 0 when everything verified, 1 when verification failed (the first bad entry
            is named), 2 on bad usage.
            """
    )

    @Argument(help: "An export bundle (NDJSON) or - for standard input.")
    var bundle: String?

    @Option(name: .long, help: "The data directory to verify (every log unless --tenant is given).")
    var dataDir: String?

    @Option(name: .long, help: "Verify only this tenant's log (with --data-dir).")
    var tenant: String?

    @Option(name: .long, help: "Pinned verifier key (name+hex8+base64). Repeat for several logs.")
    var key: [String] = []

    @Flag(name: .long, help: "Fail unless every entry in the bundle carries a per-entry signature.")
    var requireEntrySignatures = false

    func validate() throws {
        if (bundle == nil) == (dataDir == nil) {
            throw ValidationError("give either a BUNDLE or --data-dir DIR")
        }
        if tenant != nil && dataDir == nil { throw ValidationError("--tenant goes with --data-dir") }
    }

    func run() async throws {
        var pinned: [Ed25519NoteVerifier] = []
        for k in key {
            do { pinned.append(try Ed25519NoteVerifier(verifierKey: k)) } catch {
                throw CLIError.usage("--key \(k): \(error.reason)")
            }
        }
        let reports = try await (dataDir != nil ? verifyStore(pinned) : [verifyBundle(pinned)])
        var failed = false
        for r in reports {
            print(r.description)
            for w in r.warnings { printError("warning: \(w)") }
            if !r.ok { failed = true }
        }
        if failed { throw ExitCode(1) }
    }

    func verifyBundle(_ pinned: [Ed25519NoteVerifier]) throws -> VerificationReport {
        guard pinned.count <= 1 else { throw CLIError.usage("a bundle holds one log: give at most one --key") }
        var verifier = BundleVerifier(pinnedKey: pinned.first, requireEntrySignatures: requireEntrySignatures)
        let handle: FileHandle
        if bundle == "-" {
            handle = .standardInput
        } else {
            guard let h = FileHandle(forReadingAtPath: bundle!) else { throw CLIError.usage("cannot read \(bundle!)") }
            handle = h
        }
        var progress = Progress("verifying")
        var pending: [UInt8] = []
        var lines: UInt64 = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            for i in pending.indices where pending[i] == 0x0A {
                verifier.feed(pending[start..<i])
                lines += 1
                start = i + 1
            }
            pending.removeFirst(start)
            progress.update(lines, of: lines)
            if verifier.failed { break }
        }
        if !pending.isEmpty { verifier.feed(pending, terminated: false) }
        progress.finish()
        return verifier.finish()
    }

    func verifyStore(_ pinned: [Ed25519NoteVerifier]) async throws -> [VerificationReport] {
        let dir = DataDirectory(path: dataDir!)
        let (store, installationKey) = try await DataDirOptions.open(dir, create: false)
        var logs = try await store.logs()
        if let tenant {
            logs = logs.filter { $0.tenant == tenant }
            if logs.isEmpty { throw CLIError.usage("no log for tenant \"\(tenant)\" in \(dir.path)") }
        }
        if logs.isEmpty { throw CLIError.usage("\(dir.path) holds no logs yet") }
        var reports: [VerificationReport] = []
        for log in logs {
            // A pinned key for this origin wins; otherwise the data directory's own key.
            let key = try pinned.first(where: { $0.name == log.origin }) ?? installationKey.renamed(log.origin).verifier
            var progress = Progress("verifying \(log.tenant)")
            let report = await StoreVerifier.verify(store: store, tenant: log.tenant, key: key) { done, total in
                progress.update(done, of: total)
            }
            progress.finish()
            reports.append(report)
        }
        return reports
    }
}
