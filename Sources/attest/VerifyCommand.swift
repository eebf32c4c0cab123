import ArgumentParser
import AttestCore
import AttestStore
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an export bundle, every log in a data directory, or a running log.",
        discussion: """
            attest verify BUNDLE [--key VKEY]     checks a bundle (use - for standard input)
            attest verify --data-dir DIR          recomputes every hash, the chain, the tree and every
                                                  checkpoint signature of every log in DIR
            attest verify --server URL --key VKEY --state FILE [--tenant T] [--token TOKEN] [--full]
                                                  checks a running log from outside: its checkpoint is
                                                  signed by the pinned key and consistent (RFC 9162 proof)
                                                  with the one saved in FILE; catches rollback, forks,
                                                  rewritten history, another key, origin or tenant.
                                                  --full also downloads and recomputes every entry.
                                                  FILE is replaced atomically only when all checks pass.
            Key rotations (attest keys rotate) are followed: each ledger.key_rotation entry is checked
            (signed by the old and the new key), and the pinned key may be any key of the history.
            VKEY may be Ed25519 (type 0x01) or ECDSA P-256 (type 0x02).
            Exit status 0 when everything verified, 1 when verification failed (the first bad entry
            is named), 2 on bad usage.
            """
    )

    @Argument(help: "An export bundle (NDJSON) or - for standard input.")
    var bundle: String?

    @Option(name: .long, help: "The data directory to verify (every log unless --tenant is given).")
    var dataDir: String?

    @Option(name: .long, help: "Verify only this tenant's log (with --data-dir or --server).")
    var tenant: String?

    @Option(name: .long, help: "A running attest serve to verify (e.g. https://audit.example.com).")
    var server: String?

    @Option(name: .long, help: "Bearer token for --server (a token with proofs:read; export too for --full). Env: ATTEST_TOKEN.")
    var token: String?

    @Option(name: .long, help: "With --server: the file holding the last checkpoint accepted (created on first use).")
    var state: String?

    @Flag(name: .long, help: "With --server and no --key: take the server's key on first use and pin it in --state.")
    var trustFirstUse = false

    @Flag(name: .long, help: "With --server: also download every entry and verify it (a full bundle check).")
    var full = false

    @Option(name: .long, help: "With --server: a witness's cosignature verifier key (type 0x04). Repeatable.")
    var witness: [String] = []

    @Option(name: .long, help: "With --server: accept only a checkpoint cosigned by at least this many of the --witness keys.")
    var minWitnesses = 0

    @Option(name: .long, help: "Pinned verifier key (name+hex8+base64). Repeat for several logs.")
    var key: [String] = []

    @Flag(name: .long, help: "Fail unless every entry in the bundle carries a per-entry signature.")
    var requireEntrySignatures = false

    func validate() throws {
        if [bundle != nil, dataDir != nil, server != nil].filter({ $0 }).count != 1 {
            throw ValidationError("give one of a BUNDLE, --data-dir DIR or --server URL")
        }
        if tenant != nil && dataDir == nil && server == nil { throw ValidationError("--tenant goes with --data-dir or --server") }
        if server == nil && (state != nil || trustFirstUse || full || token != nil || !witness.isEmpty || minWitnesses > 0) {
            throw ValidationError("--state, --token, --trust-first-use, --full, --witness and --min-witnesses go with --server")
        }
        if minWitnesses > witness.count { throw ValidationError("--min-witnesses \(minWitnesses) needs at least that many --witness keys") }
        if minWitnesses < 0 { throw ValidationError("--min-witnesses must not be negative") }
        if server != nil && state == nil { throw ValidationError("--server needs --state FILE (where the last accepted checkpoint is kept)") }
        if server != nil && key.count > 1 { throw ValidationError("--server checks one log: give at most one --key") }
    }

    func run() async throws {
        var pinned: [any NoteVerifier] = []
        for k in key {
            do { pinned.append(try NoteVerifiers.parse(k)) } catch {
                throw CLIError.usage("--key \(k): \(error.reason)")
            }
        }
        if server != nil {
            try await verifyServer(pinned.first)
            return
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

    func verifyBundle(_ pinned: [any NoteVerifier]) throws -> VerificationReport {
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
        var lines: UInt64 = 0
        // The next chunk of lines is read and split on another thread while this one is verified.
        let chunks = LineChunks(fd: handle.fileDescriptor)
        defer { chunks.stop() }
        while let chunk = try chunks.next() {
            verifier.feed(lines: chunk.lines)
            if let last = chunk.unterminated { verifier.feed(last, terminated: false) }
            lines += UInt64(chunk.lines.count)
            progress.update(lines, of: lines)
            if verifier.failed { break }
        }
        progress.finish()
        return verifier.finish()
    }

    func verifyStore(_ pinned: [any NoteVerifier]) async throws -> [VerificationReport] {
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
            let key: any NoteVerifier = try pinned.first(where: { $0.name == log.origin }) ?? installationKey.renamed(log.origin).verifier
            var progress = Progress("verifying \(log.tenant)")
            let report = await StoreVerifier.verify(store: store, tenant: log.tenant, key: key) { done, total in
                progress.update(done, of: total)
            }
            progress.finish()
            reports.append(report)
        }
        return reports
    }

    /// `--server`: the log's checkpoint against the pinned key and the saved state.
    func verifyServer(_ pinned: (any NoteVerifier)?) async throws {
        guard let url = URL(string: server!), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CLIError.usage("--server \(server!): give an http:// or https:// URL")
        }
        let live = LiveVerify(base: url, token: token ?? ProcessInfo.processInfo.environment["ATTEST_TOKEN"], tenant: tenant)
        let statePath = state!
        let saved = try LiveVerify.readState(statePath)
        let key: any NoteVerifier
        if let pinned {
            key = pinned
        } else if let saved {
            key = try NoteVerifiers.parse(saved.verifierKey)
        } else if trustFirstUse {
            let text = String(decoding: try await live.get("v1/pubkey"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            do { key = try NoteVerifiers.parse(text) } catch {
                throw CLIError.usage("the server's key \(text) is not a verifier key: \(error.reason)")
            }
            printError("trusting the server's key on first use: \(key.verifierKey)")
        } else {
            throw CLIError.usage("no key to check against: give --key VKEY (from a trusted place), or --trust-first-use")
        }
        var witnessKeys: [Ed25519CosignatureVerifier] = []
        for w in witness {
            do { witnessKeys.append(try Ed25519CosignatureVerifier(verifierKey: w)) } catch {
                throw CLIError.usage("--witness \(w): \(error.reason)")
            }
        }
        let note: String
        if minWitnesses > 0 {
            // The newest checkpoint the server holds enough cosignatures for.
            do {
                note = String(decoding: try await live.get("v1/checkpoint", ["witnessed": String(minWitnesses)]), as: UTF8.self)
            } catch let e as CLIError where e.message.contains("HTTP 404") {
                print("FAIL \(key.name): not_witnessed: the server has no checkpoint cosigned by \(minWitnesses) witness(es)")
                throw ExitCode(1)
            }
            let good = Set(((try? SignedNote(parsing: note).verify(with: witnessKeys)) ?? []).map(\.name))
            guard good.count >= minWitnesses else {
                print("FAIL \(key.name): not_witnessed: \(good.count) valid cosignature(s) by the given witnesses, \(minWitnesses) required")
                throw ExitCode(1)
            }
        } else {
            note = String(decoding: try await live.get("v1/checkpoint"), as: UTF8.self)
        }
        let outcome: LogMonitor.Outcome
        do {
            outcome = try await LogMonitor.check(
                note: note,
                pinned: key,
                state: saved,
                now: .now(),
                consistencyProof: { old, new in try await live.consistencyProof(old, new) },
                keyHistory: { try await live.keyHistory() },
                rotationBundle: { seq in Array(try await live.get("v1/export", ["start": String(seq), "end": String(seq + 1)])) }
            )
        } catch let e as LogMonitorError {
            print("FAIL \(key.name): \(e.code): \(e.reason)")
            printError("\(statePath) was not changed")
            throw ExitCode(1)
        }
        let size = outcome.accepted.size
        if full {
            var progress = Progress("verifying \(key.name)")
            progress.update(0, of: size)
            let report = try await live.full(size: size, root: outcome.accepted.root, key: key)
            progress.finish()
            guard report.ok else {
                print("FAIL \(key.name): \(report.description)")
                printError("\(statePath) was not changed")
                throw ExitCode(1)
            }
        }
        try LiveVerify.writeState(outcome.accepted, to: statePath)
        let history: String
        switch (outcome.previousSize, outcome.provedConsistent) {
        case (nil, _): history = "first checkpoint seen, pinned in \(statePath)"
        case (let old?, true): history = "consistent with the \(old) entries seen before"
        case (let old?, false): history = old == size ? "unchanged since last run" : "the log was empty before"
        }
        let witnessed = minWitnesses > 0 ? "; cosigned by \(minWitnesses)+ witness(es)" : ""
        let rotated =
            outcome.rotationsFollowed.isEmpty
            ? ""
            : "; followed key rotation at seq \(outcome.rotationsFollowed.map(String.init).joined(separator: ", ")), key now \(outcome.accepted.verifierKey)"
        print(
            "OK \(key.name): \(size) entries, root \(outcome.accepted.root.hex); \(history)\(full ? "; every entry verified" : "")\(witnessed)\(rotated)"
        )
    }
}
