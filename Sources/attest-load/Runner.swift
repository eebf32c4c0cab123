import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOHTTP1

/// What one request carries: its body and how many items (events, records) it counts for.
struct LoadRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var body: ByteBuffer?
    var contentType: String?
    var items: Int
}

/// Figures from one run. Latencies are recorded in microseconds into an HdrHistogram (3
/// significant digits); in `--rate` mode each latency is measured from the moment the request
/// was due, not from when it was sent, so a stalled server shows up in the percentiles
/// (no coordinated omission).
struct LoadResult: Sendable {
    var histogram = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    var requests = 0
    var items = 0
    var errors = 0
    var sentRequests = 0
    var sentItems = 0
    var firstError: String?
    var seconds = 0.0

    mutating func merge(_ other: LoadResult) {
        histogram.add(other.histogram)
        requests += other.requests
        items += other.items
        errors += other.errors
        sentRequests += other.sentRequests
        sentItems += other.sentItems
        firstError = firstError ?? other.firstError
    }

    func ms(_ percentile: Double) -> String {
        String(format: "%.2f", Double(histogram.valueAtPercentile(percentile)) / 1000)
    }
}

/// Keeps `connections` HTTP/1.1 clients busy for `duration` seconds (after `warmup` seconds that
/// are not counted), each sending its next request as soon as the last one is answered, or, with
/// `rate`, on a fixed schedule shared out among them.
struct LoadRunner {
    var baseURL: String
    var token: String?
    var connections: Int
    var duration: Double
    var warmup: Double
    var rate: Double?
    var timeout: Int64 = 60

    func run(_ make: @escaping @Sendable (_ request: Int) -> LoadRequest) async throws -> LoadResult {
        var config = HTTPClient.Configuration()
        config.httpVersion = .http1Only
        config.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        config.decompression = .disabled
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
        do {
            let result = try await drive(client: client, make)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func drive(client: HTTPClient, _ make: @escaping @Sendable (_ request: Int) -> LoadRequest) async throws -> LoadResult {

        let clock = ContinuousClock()
        let start = clock.now
        let measureFrom = start + .milliseconds(Int64(warmup * 1000))
        let end = measureFrom + .milliseconds(Int64(duration * 1000))
        let connections = connections
        let rate = rate
        let baseURL = baseURL
        let authorization = token.map { "Bearer \($0)" }
        let timeout = timeout

        var total = LoadResult()
        try await withThrowingTaskGroup(of: LoadResult.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var result = LoadResult()
                    var n = 0
                    // In rate mode worker w sends requests w, w+C, w+2C… each at start + k/rate.
                    let interval = rate.map { Duration.seconds(Double(connections) / $0) }
                    var due = start + (rate.map { .seconds(Double(worker) / $0) } ?? .zero)
                    while true {
                        if interval != nil {
                            if clock.now < due { try await Task.sleep(until: due, clock: clock) }
                        } else {
                            due = clock.now
                        }
                        if due >= end { break }
                        let index = n * connections + worker
                        n += 1
                        let spec = make(index)
                        var request = HTTPClientRequest(url: baseURL + spec.path)
                        request.method = spec.method
                        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
                        if let contentType = spec.contentType { request.headers.add(name: "Content-Type", value: contentType) }
                        if let body = spec.body { request.body = .bytes(body) }
                        result.sentRequests += 1
                        result.sentItems += spec.items
                        var failure: String?
                        do {
                            let response = try await client.execute(request, timeout: .seconds(timeout))
                            let body = try await response.body.collect(upTo: 64 << 20)
                            if !(200..<300).contains(Int(response.status.code)) {
                                failure = "HTTP \(response.status.code): \(String(buffer: body).prefix(300))"
                            }
                        } catch {
                            failure = "\(error)"
                        }
                        let done = clock.now
                        if due >= measureFrom {
                            if let failure {
                                result.errors += 1
                                result.firstError = result.firstError ?? failure
                            } else {
                                result.requests += 1
                                result.items += spec.items
                                let micros = (done - due).components
                                _ = result.histogram.record(UInt64(micros.seconds) * 1_000_000 + UInt64(micros.attoseconds / 1_000_000_000_000))
                            }
                        } else if let failure {
                            result.firstError = result.firstError ?? failure
                            result.errors += 1
                        }
                        if let interval { due += interval }
                    }
                    return result
                }
            }
            for try await result in group { total.merge(result) }
        }
        // Requests in flight at `end` are answered after it: the window runs from the end of the
        // warm-up to the last answer.
        let measured = clock.now - measureFrom
        total.seconds = Double(measured.components.seconds) + Double(measured.components.attoseconds) / 1e18
        return total
    }
}

/// Resident memory of a process, from /proc (Linux), in MiB.
func residentMiB(pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return nil
}

/// User plus system CPU time of another process (the server) so far, in seconds: fields 14 and 15
/// of `/proc/PID/stat` (proc(5)), in clock ticks; nil when it cannot be read.
func processCPUSeconds(pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system) / (ticks > 0 ? ticks : 100)
}

/// User plus system CPU time of this process so far, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
