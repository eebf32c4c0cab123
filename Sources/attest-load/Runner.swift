import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOHTTP1
import NIOPosix

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

/// Keeps `connections` HTTP/1.1 connections busy for `duration` seconds (after `warmup` seconds
/// that are not counted), each sending its next request as soon as the last one is answered, or,
/// with `rate`, on a fixed schedule shared out among them.
///
/// Each connection is a SwiftNIO channel with NIOHTTP1's encoder and decoder, driven from its own
/// event loop: a request is written when the last answer ends (or when it is due), without a task
/// or a connection pool per request. The driver shares the 2-core benchmark machine with the
/// server; through AsyncHTTPClient it had taken about 250 µs of CPU per request (0.76 of a core
/// at 3,000 single-event requests/s), CPU the server then did not have (docs/PERFORMANCE.md).
struct LoadRunner {
    var baseURL: String
    var token: String?
    var connections: Int
    var duration: Double
    var warmup: Double
    var rate: Double?
    /// Event loop threads; nil: NIO's singleton group (one per core).
    var threads: Int? = nil
    var timeout: Int64 = 60

    func run(_ make: @escaping @Sendable (_ request: Int) -> LoadRequest) async throws -> LoadResult {
        guard let url = URL(string: baseURL), let host = url.host, url.scheme == "http" else {
            throw ValidationError("--server \(baseURL): attest-load speaks plain http:// (the benchmarks run on loopback)")
        }
        let start = NIODeadline.now()
        let measureFrom = start + .nanoseconds(Int64(warmup * 1e9))
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let plan = LoadPlan(
            host: host,
            port: url.port ?? 80,
            pathPrefix: url.path == "/" ? "" : url.path,
            headers: headers,
            start: start,
            measureFrom: measureFrom,
            end: measureFrom + .nanoseconds(Int64(duration * 1e9)),
            connections: connections,
            interval: rate.map { .nanoseconds(Int64(Double(connections) / $0 * 1e9)) },
            rate: rate,
            timeout: .seconds(timeout),
            make: make
        )
        let own = threads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
        defer { own?.shutdownGracefully { _ in } }
        let group = own ?? MultiThreadedEventLoopGroup.singleton
        let results = (0..<connections).map { worker in
            let loop = group.next()
            let done = loop.makePromise(of: LoadResult.self)
            loop.execute { LoadWorker(worker: worker, loop: loop, plan: plan, done: done).begin() }
            return done.futureResult
        }
        var total = LoadResult()
        for result in results { total.merge(try await result.get()) }
        // Requests in flight at `end` are answered after it: the window runs from the end of the
        // warm-up to the last answer.
        total.seconds = Double((NIODeadline.now() - measureFrom).nanoseconds) / 1e9
        return total
    }
}

/// What every connection of a run shares.
struct LoadPlan: Sendable {
    var host: String
    var port: Int
    var pathPrefix: String
    /// Host and Authorization, the same on every request.
    var headers: HTTPHeaders
    var start: NIODeadline
    var measureFrom: NIODeadline
    var end: NIODeadline
    var connections: Int
    /// Between two requests of one connection on a fixed schedule (nil: closed loop).
    var interval: TimeAmount?
    var rate: Double?
    var timeout: TimeAmount
    var make: @Sendable (_ request: Int) -> LoadRequest
}

/// One connection's loop. Everything it does runs on its event loop (`loop`), so it needs no
/// locks; it is `@unchecked Sendable` only so closures scheduled on that loop may hold it.
final class LoadWorker: @unchecked Sendable {
    let worker: Int
    let loop: any EventLoop
    let plan: LoadPlan
    let done: EventLoopPromise<LoadResult>
    var result = LoadResult()
    var sent = 0
    var due: NIODeadline
    var channel: (any Channel)?
    var handler: LoadResponseHandler?
    /// The request on the wire: its items, when it was due, and its timeout.
    var inFlight: (items: Int, due: NIODeadline, timeout: Scheduled<Void>)?

    init(worker: Int, loop: any EventLoop, plan: LoadPlan, done: EventLoopPromise<LoadResult>) {
        self.worker = worker
        self.loop = loop
        self.plan = plan
        self.done = done
        // In rate mode worker w sends requests w, w+C, w+2C… each at start + k/rate.
        due = plan.start + (plan.rate.map { .nanoseconds(Int64(Double(worker) / $0 * 1e9)) } ?? .nanoseconds(0))
    }

    func begin() { next() }

    /// Sends the next request now or when it is due, or ends the run.
    func next() {
        if plan.interval == nil { due = .now() }
        guard due < plan.end else {
            channel?.close(promise: nil)
            done.succeed(result)
            return
        }
        if plan.interval != nil, NIODeadline.now() < due {
            loop.scheduleTask(deadline: due) { self.send() }
        } else {
            send()
        }
    }

    func send() {
        let spec = plan.make(sent * plan.connections + worker)
        sent += 1
        result.sentRequests += 1
        result.sentItems += spec.items
        let requestDue = due
        connected { outcome in
            switch outcome {
            case .failure(let error):
                self.finish(items: spec.items, due: requestDue, failure: "\(error)")
            case .success(let handler):
                let timeout = self.loop.scheduleTask(in: self.plan.timeout) {
                    // Give up on this connection (its late answer must not count for a later
                    // request) and send the next request on a new one.
                    let stale = self.channel
                    self.channel = nil
                    self.handler = nil
                    stale?.close(promise: nil)
                    self.answered(failure: "no answer within \(self.plan.timeout.nanoseconds / 1_000_000_000) s")
                }
                self.inFlight = (spec.items, requestDue, timeout)
                var head = HTTPRequestHead(version: .http1_1, method: spec.method, uri: self.plan.pathPrefix + spec.path)
                head.headers = self.plan.headers
                if let contentType = spec.contentType { head.headers.add(name: "Content-Type", value: contentType) }
                if spec.body != nil || spec.method == .POST {
                    head.headers.add(name: "Content-Length", value: String(spec.body?.readableBytes ?? 0))
                }
                handler.write(head: head, body: spec.body)
            }
        }
    }

    /// The connection's handler, connecting first when there is no open connection.
    func connected(_ then: @escaping @Sendable (Result<LoadResponseHandler, any Error>) -> Void) {
        if let channel, channel.isActive, let handler {
            then(.success(handler))
            return
        }
        channel = nil
        handler = nil
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    let handler = LoadResponseHandler(worker: self)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    self.handler = handler
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: plan.host, port: plan.port)
            .whenComplete { outcome in
                switch outcome {
                case .success(let channel):
                    self.channel = channel
                    if let handler = self.handler {
                        then(.success(handler))
                    } else {
                        then(.failure(ChannelError.inappropriateOperationForState))
                    }
                case .failure(let error):
                    self.handler = nil
                    then(.failure(error))
                }
            }
    }

    /// The answer to the request on the wire (`failure` nil: a 2xx status).
    func answered(failure: String?) {
        guard let inFlight else { return }
        self.inFlight = nil
        inFlight.timeout.cancel()
        finish(items: inFlight.items, due: inFlight.due, failure: failure)
    }

    func finish(items: Int, due requestDue: NIODeadline, failure: String?) {
        let now = NIODeadline.now()
        if requestDue >= plan.measureFrom {
            if let failure {
                result.errors += 1
                result.firstError = result.firstError ?? failure
            } else {
                result.requests += 1
                result.items += items
                _ = result.histogram.record(UInt64(max(0, (now - requestDue).nanoseconds / 1_000)))
            }
        } else if let failure {
            result.firstError = result.firstError ?? failure
            result.errors += 1
        }
        if let interval = plan.interval {
            due = due + interval
            next()
        } else if failure != nil, channel == nil {
            // Nothing to connect to: try again a little later rather than spin.
            loop.scheduleTask(in: .milliseconds(10)) { self.next() }
        } else {
            next()
        }
    }
}

/// Reads the answers on one connection and hands each to its worker.
final class LoadResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let worker: LoadWorker
    var context: ChannelHandlerContext?
    var status: HTTPResponseStatus?
    /// The start of a failed answer's body, for the error message.
    var failedBody = ""

    init(worker: LoadWorker) { self.worker = worker }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(head: HTTPRequestHead, body: ByteBuffer?) {
        guard let context else {
            worker.answered(failure: "the connection closed before the request was sent")
            return
        }
        status = nil
        failedBody = ""
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(let buffer):
            if let status, !(200..<300).contains(Int(status.code)), failedBody.utf8.count < 300 {
                failedBody += String(buffer: buffer)
            }
        case .end:
            guard worker.handler === self else { return }
            let code = Int(status?.code ?? 0)
            worker.answered(failure: (200..<300).contains(code) ? nil : "HTTP \(code): \(failedBody.prefix(300))")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if worker.handler === self { worker.answered(failure: "the server closed the connection") }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if worker.handler === self { worker.answered(failure: "\(error)") }
        context.close(promise: nil)
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
