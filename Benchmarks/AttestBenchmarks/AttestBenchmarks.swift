import AttestCore
import AttestIngest
import AttestOTLP
import AttestOTLPProto
import AttestStore
import AttestWorkload
import Benchmark
import Foundation
import SwiftProtobuf
import Synchronization

/// Micro benchmarks of the ledger's hot paths (ordo-one/benchmark, with its malloc interposer
/// counting allocations). Run with `swift package --allow-writing-to-package-directory benchmark`
/// (`scripts/bench` does, and copies the table into docs/BENCHMARKS.md). Each benchmark measures
/// one operation over the realistic events `attest-load` sends (300-1500 bytes of JSON).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    let origin = "bench.example.com/acme"
    let texts = EventFactory.events(count: 1024, seed: 7)
    let raw: [[UInt8]] = texts.map { Array($0.utf8) }
    let values: [JSONValue] = raw.map { try! JSONParser.parse($0) }
    let received = Timestamp(microseconds: 1_790_000_000_000_000)
    let events: [AuditEvent] = values.map { try! AuditEvent.validate($0, receivedAt: received).get() }
    var hashes: [Hash256] = []
    var entriesBytes: [[UInt8]] = []
    for (i, event) in events.enumerated() {
        let entry = LedgerEntry(origin: origin, seq: UInt64(i), prev: hashes.last ?? .zero, receivedAt: received, event: event.value)
        entriesBytes.append(entry.canonicalBytes)
        hashes.append(LedgerEntry.hash(canonicalBytes: entriesBytes[i]))
    }
    let averageBytes = raw.reduce(0) { $0 + $1.count } / raw.count

    Benchmark("JSON parse (event, \(averageBytes) B avg)") { benchmark in
        for i in benchmark.scaledIterations { blackHole(try JSONParser.parse(raw[i % raw.count])) }
    }
    Benchmark("Event validation (schema)") { benchmark in
        for i in benchmark.scaledIterations { blackHole(AuditEvent.validate(values[i % values.count], receivedAt: received)) }
    }
    Benchmark("JCS serialization (event)") { benchmark in
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        for i in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            values[i % values.count].writeCanonical(into: &buffer)
            blackHole(buffer.count)
        }
    }
    // What `POST /v1/events` does with a body before the ledger: parse, schema, redaction,
    // canonical bytes and index columns, for a batch of 100 events (a third with escaped quotes).
    let normalizer = IngestNormalizer(keys: TenantKeys(secret: Array(repeating: 7, count: 32)))
    let batches: [[UInt8]] = stride(from: 0, to: texts.count, by: 100).filter { $0 + 100 <= texts.count }.map {
        Array(("[" + texts[$0..<($0 + 100)].joined(separator: ",") + "]").utf8)
    }
    Benchmark("Ingest of a batch of 100 events (byte path)") { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(normalizer.normalize(body: batches[i % batches.count], framing: .json, tenant: "t", receivedAt: received))
        }
    }
    Benchmark("Ingest of a batch of 100 events (tree path)") { benchmark in
        for i in benchmark.scaledIterations {
            let (parsed, problems) = EventBatchParser.parse(batches[i % batches.count], framing: .json)
            blackHole(normalizer.normalize(parsed, problems: problems, tenant: "t", receivedAt: received))
        }
    }
    // What `POST /v1/logs` does with a decoded request of 100 Claude Code tool results (the load
    // driver's OTLP body) before the ledger: map, id, validate, redact, canonical bytes.
    let otlpRequest = try! OTLPLogsRequest(serializedBytes: OTLPFactory.body(records: 100, seed: 7))
    let otlpNormalizer = IngestNormalizer(keys: TenantKeys(secret: Array(repeating: 7, count: 32)), ingestKind: "otlp")
    let otlpDigest = Hash256.sha256(Array("body".utf8))
    Benchmark("OTLP logs, a request of 100 records (map, validate, redact, canonical bytes)") { benchmark in
        for _ in benchmark.scaledIterations {
            let mapped = OTLPLogMapper.map(otlpRequest)
            blackHole(OTLPIngest.prepare(mapped, body: otlpDigest, normalizer: otlpNormalizer, tenant: "t", receivedAt: received))
        }
    }
    Benchmark("Entry hashing (canonical entry + SHA-256 leaf hash)") { benchmark in
        for i in benchmark.scaledIterations {
            let entry = LedgerEntry(
                origin: origin,
                seq: UInt64(i),
                prev: hashes[i % hashes.count],
                receivedAt: received,
                event: events[i % events.count].value
            )
            blackHole(LedgerEntry.hash(canonicalBytes: entry.canonicalBytes))
        }
    }
    Benchmark("SHA-256 leaf hash of a canonical entry") { benchmark in
        for i in benchmark.scaledIterations { blackHole(Merkle.leafHash(entriesBytes[i % entriesBytes.count])) }
    }
    Benchmark("Merkle append (compact range)") { benchmark in
        var range = CompactRange()
        for i in benchmark.scaledIterations { range.append(hashes[i % hashes.count]) }
        blackHole(range.root)
    }

    // Proofs over a tree of 2^20 leaves whose perfect-subtree hashes are held in memory, as the
    // store holds them in its node table (generation = plan + lookups + hashing of partial subtrees).
    let treeSize: UInt64 = 1 << 20
    nonisolated(unsafe) var nodes: [Merkle.NodeID: Hash256] = [:]
    var root = Hash256.zero
    do {
        var range = CompactRange()
        for i in 0..<treeSize {
            range.append(hashes[Int(i % UInt64(hashes.count))]) { id, hash in nodes[id] = hash }
            nodes[Merkle.NodeID(level: 0, index: i)] = hashes[Int(i % UInt64(hashes.count))]
        }
        root = range.root
    }
    let frozen = nodes
    let probes: [UInt64] = (0..<4096).map { UInt64($0) &* 2_654_435_761 % treeSize }
    let inclusionProofs: [[Hash256]] = probes.map { try! Merkle.inclusionProofPlan(index: $0, size: treeSize).resolve(frozen) }
    let oldSizes: [UInt64] = probes.map { max(1, $0) }
    let oldRoots: [Hash256] = oldSizes.map { size in
        try! Merkle.hash(ofRange: 0..<size, nodes: frozen)
    }
    let consistencyProofs: [[Hash256]] = oldSizes.map { try! Merkle.consistencyProofPlan(from: $0, to: treeSize).resolve(frozen) }

    // Proofs from the SQLite store itself (one caller; every proof is one read transaction that
    // looks up the stored nodes and rebuilds the levels below 4 from entry hashes), at the size
    // of the pymerkle peer in scripts/bench_peers.py, so the two compare directly.
    let storeSize = 100_000
    let storeProbes: [UInt64] = (0..<4096).map { UInt64(($0 &* 2_654_435_761) % storeSize) }
    // Filled in the setup hook, so only runs of these two benchmarks pay for it (about 5 s).
    let filled = Mutex<SQLiteLedgerStore?>(nil)
    let fill: @Sendable () async throws -> Void = {
        if filled.withLock({ $0 }) == nil {
            let store = try await makeFilledStore(entries: storeSize, events: events)
            filled.withLock { $0 = store }
        }
    }
    Benchmark(
        "Inclusion proof from the SQLite store (\(storeSize) entries)",
        closure: { benchmark in
            guard let store = filled.withLock({ $0 }) else { return }
            for i in benchmark.scaledIterations {
                blackHole(try! await store.inclusionProof(tenant: "bench", seq: storeProbes[i % storeProbes.count], size: UInt64(storeSize)))
            }
        },
        setup: fill
    )
    Benchmark(
        "Consistency proof from the SQLite store (\(storeSize) entries)",
        closure: { benchmark in
            guard let store = filled.withLock({ $0 }) else { return }
            for i in benchmark.scaledIterations {
                let from = max(1, storeProbes[i % storeProbes.count])
                blackHole(try! await store.consistencyProof(tenant: "bench", from: from, to: UInt64(storeSize)))
            }
        },
        setup: fill
    )

    Benchmark("Inclusion proof generation (2^20 leaves)") { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(try Merkle.inclusionProofPlan(index: probes[i % probes.count], size: treeSize).resolve(frozen))
        }
    }
    Benchmark("Inclusion proof verification (2^20 leaves)") { benchmark in
        for i in benchmark.scaledIterations {
            let k = i % probes.count
            let leaf = hashes[Int(probes[k] % UInt64(hashes.count))]
            blackHole(try Merkle.verifyInclusion(leafHash: leaf, index: probes[k], size: treeSize, proof: inclusionProofs[k], root: root).get())
        }
    }
    Benchmark("Consistency proof generation (2^20 leaves)") { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(try Merkle.consistencyProofPlan(from: oldSizes[i % oldSizes.count], to: treeSize).resolve(frozen))
        }
    }
    Benchmark("Consistency proof verification (2^20 leaves)") { benchmark in
        for i in benchmark.scaledIterations {
            let k = i % oldSizes.count
            blackHole(
                try Merkle.verifyConsistency(
                    oldSize: oldSizes[k],
                    newSize: treeSize,
                    oldRoot: oldRoots[k],
                    newRoot: root,
                    proof: consistencyProofs[k]
                ).get()
            )
        }
    }

    let signer = try! Ed25519NoteSigner.generate(name: origin)
    let checkpoint = Checkpoint(origin: origin, size: treeSize, root: root)
    let note = try! SignedNote.sign(checkpoint.text, with: [signer]).serialized
    Benchmark("Checkpoint signing (Ed25519 note)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try SignedNote.sign(checkpoint.text, with: [signer])) }
    }
    Benchmark("Checkpoint verification (Ed25519 note)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try SignedCheckpoint(verifying: note, with: signer.verifier)) }
    }

    // A whole bundle of 10,000 entries (no per-entry signatures), verified end to end: parse,
    // canonical re-serialization, hashes, chain, tree, and the final checkpoint's signature.
    let bundleEntries = 10_000
    var bundle = BundleWriter.headerLine(BundleHeader(origin: origin, verifierKey: signer.verifierKey, start: 0, prefix: []))
    do {
        var prev = Hash256.zero
        var leafHashes: [Hash256] = []
        for i in 0..<bundleEntries {
            let entry = LedgerEntry(origin: origin, seq: UInt64(i), prev: prev, receivedAt: received, event: events[i % events.count].value)
            let bytes = entry.canonicalBytes
            prev = LedgerEntry.hash(canonicalBytes: bytes)
            leafHashes.append(prev)
            bundle += BundleWriter.entryLine(canonicalEntry: bytes, hash: prev, signature: nil)
        }
        let cp = Checkpoint(origin: origin, size: UInt64(bundleEntries), root: Merkle.root(of: leafHashes))
        bundle += BundleWriter.checkpointLine(try! SignedNote.sign(cp.text, with: [signer]).serialized)
    }
    let pinned = signer.verifier
    precondition(BundleVerifier.verify(bundle, pinnedKey: pinned).ok, "the benchmark bundle must verify")
    Benchmark(
        "Bundle verification (10,000 entries)",
        configuration: .init(scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 50)
    ) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(BundleVerifier.verify(bundle, pinnedKey: pinned).ok) }
    }
}

/// A SQLite store in a temporary directory with `entries` events appended (1,000 a transaction).
func makeFilledStore(entries: Int, events: [AuditEvent]) async throws -> SQLiteLedgerStore {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attest-bench-\(UUIDv7.make())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let key = try Ed25519NoteSigner.generate(name: "bench")
    let store = try SQLiteLedgerStore(path: dir.appendingPathComponent("ledger.sqlite").path, signers: Ed25519LogSigners(key: key))
    let received = Timestamp(microseconds: 1_790_000_000_000_000)
    var next = 0
    while next < entries {
        let n = min(1000, entries - next)
        // Fresh ids: the sample events repeat, and the store takes an event id once.
        let batch = try (next..<(next + n)).map { i -> AuditEvent in
            guard case .object(var m) = events[i % events.count].value else { preconditionFailure("event is not an object") }
            m["id"] = .string("bench-\(i)")
            return try AuditEvent.validate(.object(m), receivedAt: received).get()
        }
        _ = try await store.append(tenant: "bench", events: batch, receivedAt: received)
        next += n
    }
    return store
}
