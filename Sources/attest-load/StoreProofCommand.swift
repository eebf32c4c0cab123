import ArgumentParser
import AttestCore
import AttestStore
import AttestWorkload
import Foundation
import Histogram

extension LoadCommand {
    /// Proofs straight from a data directory's SQLite store, without HTTP: the figure the issue's
    /// "inclusion proofs from the store" target is about. The store may be in use by a running
    /// `attest serve` (SQLite WAL readers do not block it).
    struct StoreProof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store-proof",
            abstract: "Inclusion or consistency proofs of random entries from a data directory's store (no HTTP).",
            discussion: """
                Prints one line on stdout:
                  BENCH load=store-proof kind=inclusion log_size=… connections=… proofs=… seconds=… \
                proofs_per_s=… p50_ms=… p90_ms=… p99_ms=… p999_ms=… errors=…
                Only the proof is timed. One proof in 64 is also checked (untimed) against the signed
                checkpoint's root; one that does not verify counts as an error, and any error makes the
                exit status 1.
                """
        )
        @Option(help: "The data directory (as for attest serve --data-dir).") var dataDir: String
        @Option(help: "The tenant whose log is proven.") var tenant = "default"
        @Option(help: "inclusion or consistency.") var kind = "inclusion"
        @Option(help: "Concurrent callers (tasks).") var connections = 2
        @Option(help: "Seconds measured.") var duration = 5.0
        @Option(help: "Seconds run before measuring (not counted).") var warmup = 1.0
        @Option(help: "Label for this series in the BENCH line.") var series: String?

        func validate() throws {
            var problems: [String] = []
            if !["inclusion", "consistency"].contains(kind) { problems.append("--kind \(kind) is not inclusion or consistency") }
            if connections < 1 { problems.append("--connections must be at least 1") }
            if duration <= 0 { problems.append("--duration must be positive") }
            if warmup < 0 { problems.append("--warmup must not be negative") }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "; ")) }
        }

        func run() async throws {
            let (store, _) = try DataDirectory(path: dataDir).open(create: false)
            guard let checkpoint = try await store.latestCheckpoint(tenant: tenant), checkpoint.size > 1 else {
                throw ValidationError("the log of tenant \(tenant) in \(dataDir) has fewer than 2 entries: fill it first")
            }
            let size = checkpoint.size
            let root = checkpoint.root
            let inclusion = kind == "inclusion"
            let clock = ContinuousClock()
            let start = clock.now
            let measureFrom = start + .milliseconds(Int64(warmup * 1000))
            let end = measureFrom + .milliseconds(Int64(duration * 1000))
            let tenant = tenant
            let result = try await withThrowingTaskGroup(of: LoadResult.self) { group in
                for worker in 0..<connections {
                    group.addTask {
                        var part = LoadResult()
                        var rng = SplitMix64(state: UInt64(worker + 1) &* 0x9E37_79B9)
                        while true {
                            let began = clock.now
                            if began >= end { break }
                            let pick = UInt64.random(in: 0..<size, using: &rng)
                            let done: ContinuousClock.Instant
                            var ok = true
                            // One proof in 64 is checked (untimed) against the signed root, as a client would.
                            let check = part.requests % 64 == 0
                            if inclusion {
                                let proof = try await store.inclusionProof(tenant: tenant, seq: pick, size: size)
                                done = clock.now
                                if check {
                                    let leaf = try await store.entries(tenant: tenant, from: pick, limit: 1).first?.hash
                                    ok =
                                        leaf.map {
                                            (try? Merkle.verifyInclusion(leafHash: $0, index: pick, size: size, proof: proof, root: root).get())
                                                != nil
                                        } ?? false
                                }
                            } else {
                                let from = max(pick, 1)
                                let proof = try await store.consistencyProof(tenant: tenant, from: from, to: size)
                                done = clock.now
                                if check {
                                    let oldRoot = try await store.compactRange(tenant: tenant, size: from).root
                                    ok =
                                        (try? Merkle.verifyConsistency(oldSize: from, newSize: size, oldRoot: oldRoot, newRoot: root, proof: proof)
                                            .get()) != nil
                                }
                            }
                            guard began >= measureFrom else { continue }
                            part.requests += 1
                            part.items += 1
                            if !ok {
                                part.errors += 1
                                part.firstError = part.firstError ?? "the proof of \(pick) does not verify against the root of size \(size)"
                            }
                            let micros = (done - began).components
                            part.histogram.record(UInt64(micros.seconds) * 1_000_000 + UInt64(micros.attoseconds / 1_000_000_000_000))
                        }
                        return part
                    }
                }
                var all = LoadResult()
                for try await part in group { all.merge(part) }
                return all
            }
            let seconds = duration
            let perSecond = Double(result.items) / seconds
            var line = "BENCH load=store-proof"
            if let series { line += " series=\(series)" }
            line += " kind=\(kind) log_size=\(size) connections=\(connections) proofs=\(result.items)"
            line += String(format: " seconds=%.2f", seconds) + " proofs_per_s=\(Int(perSecond.rounded()))"
            line += " p50_ms=\(result.ms(50)) p90_ms=\(result.ms(90)) p99_ms=\(result.ms(99)) p999_ms=\(result.ms(99.9)) errors=\(result.errors)"
            print(line)
            FileHandle.standardError.write(
                Data(
                    "store-proof: \(result.items) \(kind) proofs at size \(size) in \(seconds) s = \(Int(perSecond.rounded()))/s over \(connections) callers; p50 \(result.ms(50)) ms, p99 \(result.ms(99)) ms; \(result.errors) errors\n"
                        .utf8
                )
            )
            if let firstError = result.firstError {
                FileHandle.standardError.write(Data("attest-load: \(result.errors) proof(s) failed; first: \(firstError)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
