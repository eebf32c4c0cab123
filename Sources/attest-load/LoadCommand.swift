import ArgumentParser
import AsyncHTTPClient
import AttestWorkload
import Foundation
import Histogram
import NIOCore
import NIOHTTP1

/// attest-load: the load driver of `scripts/bench`. Keeps a fixed number of HTTP clients busy
/// against a running `attest serve` and reports throughput and latency percentiles (HdrHistogram).
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest-load",
        abstract: "Load driver for a running attest serve: throughput and p50/p90/p99/p99.9 latency.",
        discussion: """
            Each run prints a human summary on stderr and one machine-readable line on stdout:
              BENCH load=ingest series=rest batch=100 connections=8 requests=… events_per_s=… \
            p50_ms=… p90_ms=… p99_ms=… p999_ms=… max_ms=… errors=…
            The token comes from --token or ATTEST_TOKEN. Without --rate each connection sends its next
            request as soon as the last is answered (closed loop); with --rate requests are due on a fixed
            schedule and latency counts from when a request was due (no coordinated omission).
            Exits 1 when any request failed, naming the first failure.
            """,
        subcommands: [Ingest.self, OTLP.self, Query.self, Proof.self, StoreProof.self, Sample.self]
    )
}

struct CommonOptions: ParsableArguments {
    @Option(help: "Base URL of the server.") var server = "http://127.0.0.1:8080"
    @Option(help: "Bearer token (default: $ATTEST_TOKEN).") var token: String?
    @Option(help: "Concurrent HTTP/1.1 connections (plain http://).") var connections = 8
    @Option(help: "Seconds measured.") var duration = 10.0
    @Option(help: "Seconds sent before measuring (not counted).") var warmup = 1.0
    @Option(help: "Requests per second across all connections (default: as fast as answered).") var rate: Double?
    @Option(help: "Label for this series in the BENCH line.") var series: String?
    @Option(help: "Event loop threads driving the connections (default: one per core).") var threads: Int?
    @Option(help: "Report the resident memory of this process (the server) before and after.") var watchPid: Int32?

    func validate() throws {
        var problems: [String] = []
        if connections < 1 { problems.append("--connections must be at least 1") }
        if duration <= 0 { problems.append("--duration must be positive") }
        if warmup < 0 { problems.append("--warmup must not be negative") }
        if let rate, rate <= 0 { problems.append("--rate must be positive") }
        if let threads, threads < 1 { problems.append("--threads must be at least 1") }
        if URL(string: server)?.host == nil {
            problems.append("--server \(server) is not a URL")
        } else if URL(string: server)?.scheme != "http" {
            problems.append("--server \(server): attest-load speaks plain http:// (the benchmarks run on loopback)")
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "; ")) }
    }

    var runner: LoadRunner {
        LoadRunner(
            baseURL: server.hasSuffix("/") ? String(server.dropLast()) : server,
            token: token ?? ProcessInfo.processInfo.environment["ATTEST_TOKEN"],
            connections: connections,
            duration: duration,
            warmup: warmup,
            rate: rate,
            threads: threads
        )
    }

    /// Runs the load and prints its figures; throws ExitCode.failure when a request failed.
    func report(load: String, fields: [(String, String)], unit: String, make: @escaping @Sendable (Int) -> LoadRequest) async throws {
        let rssBefore = watchPid.flatMap(residentMiB)
        let cpuBefore = processCPUSeconds()
        let serverBefore = watchPid.flatMap { processCPUSeconds(pid: $0) }
        let started = ContinuousClock.now
        let result = try await runner.run(make)
        let elapsed = ContinuousClock.now - started
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // The driver shares the machine with the server: say how much CPU it took itself.
        let clientCPU = (processCPUSeconds() - cpuBefore) / max(result.seconds, 1e-9)
        // And how much the server took, over the whole run (warm-up included, like the items sent):
        // its share of the machine, and its CPU time per item, which moves less with the machine's
        // speed than the rate does.
        let serverCPU = watchPid.flatMap { processCPUSeconds(pid: $0) }.flatMap { after in serverBefore.map { after - $0 } }
        let rssAfter = watchPid.flatMap(residentMiB)
        let perSecond = Double(result.items) / max(result.seconds, 1e-9)
        var line = "BENCH load=\(load)"
        if let series { line += " series=\(series)" }
        for (k, v) in fields { line += " \(k)=\(v)" }
        line += " connections=\(connections)"
        if let rate { line += " rate=\(Int(rate))" }
        if let threads { line += " threads=\(threads)" }
        line += " requests=\(result.requests) \(unit)=\(result.items) seconds=\(String(format: "%.2f", result.seconds))"
        line += " \(unit)_per_s=\(Int(perSecond.rounded()))"
        line += " p50_ms=\(result.ms(50)) p90_ms=\(result.ms(90)) p99_ms=\(result.ms(99)) p999_ms=\(result.ms(99.9))"
        line += " max_ms=\(String(format: "%.2f", Double(result.histogram.max) / 1000)) errors=\(result.errors)"
        line += " sent_requests=\(result.sentRequests) sent_\(unit)=\(result.sentItems)"
        line += String(format: " client_cpu_pct=%.0f", clientCPU * 100)
        if let rssBefore, let rssAfter { line += String(format: " rss_before_mb=%.0f rss_after_mb=%.0f", rssBefore, rssAfter) }
        if let serverCPU {
            line += String(format: " server_cpu_pct=%.0f", serverCPU / max(wall, 1e-9) * 100)
            if result.sentItems > 0 { line += String(format: " server_us_per_item=%.1f", serverCPU / Double(result.sentItems) * 1e6) }
        }
        print(line)
        FileHandle.standardError.write(
            Data(
                """
                \(load): \(result.requests) requests, \(result.items) \(unit) in \(String(format: "%.2f", result.seconds)) s \
                = \(Int(perSecond.rounded())) \(unit)/s over \(connections) connections; latency p50 \(result.ms(50)) ms, \
                p99 \(result.ms(99)) ms, p99.9 \(result.ms(99.9)) ms; \(result.errors) errors \
                (\(result.sentItems) \(unit) sent including the warm-up)

                """.utf8
            )
        )
        if let firstError = result.firstError {
            FileHandle.standardError.write(Data("attest-load: \(result.errors) request(s) failed; first: \(firstError)\n".utf8))
            throw ExitCode.failure
        }
        if result.requests == 0 {
            FileHandle.standardError.write(Data("attest-load: no request was answered inside the measured window\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension LoadCommand {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "POST JSON arrays of realistic events (300-1500 bytes each) to /v1/events."
        )
        @OptionGroup var common: CommonOptions
        @Option(help: "Events per request.") var batch = 100
        @Option(help: "Seed of the event generator.") var seed: UInt64 = 7

        func run() async throws {
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
            // A pool of distinct bodies, built before the clock starts; the ledger assigns the ids,
            // so a body sent twice is two sets of new events.
            let size = batch
            let events = EventFactory.events(count: max(4096, size * 16), seed: seed)
            let bodies: [ByteBuffer] = stride(from: 0, to: events.count - size + 1, by: size).map {
                ByteBuffer(string: "[" + events[$0..<$0 + size].joined(separator: ",") + "]")
            }
            let totalBytes: Int = events.reduce(0) { (sum: Int, event: String) -> Int in sum + event.utf8.count }
            let avg = totalBytes / events.count
            try await common.report(load: "ingest", fields: [("batch", "\(size)"), ("event_bytes", "\(avg)")], unit: "events") { i in
                LoadRequest(method: .POST, path: "/v1/events", body: bodies[i % bodies.count], contentType: "application/json", items: size)
            }
        }
    }

    struct OTLP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "otlp",
            abstract: "POST binary OTLP ExportLogsServiceRequests of Claude Code tool_result records to /v1/logs."
        )
        @OptionGroup var common: CommonOptions
        @Option(help: "Log records per request.") var batch = 100
        @Option(help: "Seed of the record generator.") var seed: UInt64 = 7

        func run() async throws {
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
            let template = try OTLPFactory.body(records: batch, seed: seed)
            let offsets = OTLPFactory.markerOffsets(template)
            guard offsets.count == batch else { throw ValidationError("internal: \(offsets.count) markers for \(batch) records") }
            let run = UInt32.random(in: 0..<UInt32.max)
            let size = batch
            try await common.report(
                load: "otlp",
                fields: [("batch", "\(size)"), ("request_bytes", "\(template.count)")],
                unit: "records"
            ) { i in
                LoadRequest(
                    method: .POST,
                    path: "/v1/logs",
                    body: ByteBuffer(bytes: OTLPFactory.stamp(template, offsets: offsets, run: run, request: i)),
                    contentType: "application/x-protobuf",
                    items: size
                )
            }
        }
    }

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "GET filtered pages of /v1/events (filters match the events `ingest` sends)."
        )
        @OptionGroup var common: CommonOptions
        @Option(help: "One of: \(QueryFactory.filters.joined(separator: ", ")).") var filter = "newest"
        @Option(help: "Items per page.") var limit = 100

        func run() async throws {
            guard QueryFactory.query(filter: filter, request: 0, limit: limit) != nil else {
                throw ValidationError("--filter \(filter) is not one of \(QueryFactory.filters.joined(separator: ", "))")
            }
            let filter = filter
            let limit = limit
            try await common.report(load: "query", fields: [("filter", filter), ("limit", "\(limit)")], unit: "pages") { i in
                LoadRequest(method: .GET, path: QueryFactory.query(filter: filter, request: i, limit: limit)!, body: nil, contentType: nil, items: 1)
            }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "GET inclusion or consistency proofs of random entries/sizes against the log's current size."
        )
        @OptionGroup var common: CommonOptions
        @Option(help: "inclusion or consistency.") var kind = "inclusion"

        func run() async throws {
            guard ["inclusion", "consistency"].contains(kind) else {
                throw ValidationError("--kind \(kind) is not inclusion or consistency")
            }
            let size = try await currentSize()
            guard size > 1 else { throw ValidationError("the log at \(common.server) has \(size) entries: fill it first") }
            let kind = kind
            try await common.report(load: "proof", fields: [("kind", kind), ("log_size", "\(size)")], unit: "proofs") { i in
                // A fixed pseudo-random walk over the log, so runs are comparable.
                var rng = SplitMix64(state: UInt64(i) &* 0x9E37_79B9)
                let pick = UInt64.random(in: 0..<size, using: &rng)
                let path =
                    kind == "inclusion"
                    ? "/v1/proofs/inclusion?seq=\(pick)&size=\(size)" : "/v1/proofs/consistency?from=\(max(pick, 1))&to=\(size)"
                return LoadRequest(method: .GET, path: path, body: nil, contentType: nil, items: 1)
            }
        }

        /// The size of the latest checkpoint (its second line).
        private func currentSize() async throws -> UInt64 {
            let runner = common.runner
            var request = HTTPClientRequest(url: runner.baseURL + "/v1/checkpoint")
            if let token = runner.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let lines = body.split(separator: "\n")
            guard response.status.code == 200, lines.count > 1, let size = UInt64(lines[1]) else {
                throw ValidationError("GET /v1/checkpoint answered \(response.status.code): \(body.prefix(200))")
            }
            return size
        }
    }

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the events `ingest` sends, as NDJSON (for `attest append` and the peers in scripts/bench)."
        )
        @Option(help: "How many events.") var count = 1000
        @Option(help: "Seed of the event generator.") var seed: UInt64 = 7

        func run() throws {
            for event in EventFactory.events(count: count, seed: seed) { print(event) }
        }
    }
}
