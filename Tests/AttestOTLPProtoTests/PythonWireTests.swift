import AttestOTLPProto
import AttestTesting
import Foundation
import SwiftProtobuf
import Testing

/// Binary protobuf compatibility of Attest's OTLP types with the real OpenTelemetry Python
/// implementation (`opentelemetry-proto` from PyPI): Python encodes, Swift decodes and checks every
/// field; Swift encodes, Python decodes and compares with its own copy.
///
/// Skipped (with the reason printed) only in a bare `swift test` on a machine without python3 or
/// opentelemetry-proto. Under `scripts/test` (ATTEST_INTEGRATION=1) it always runs, so a missing
/// peer fails it.
@Suite(
    "OTLP binary wire format agrees with opentelemetry-proto (Python)",
    .enabled("python3 with opentelemetry-proto is not installed (scripts/test installs it)") { await PythonOTLPPeer.availableOrRequired() }
)
struct PythonWireTests {
    // MARK: Python encodes, Swift decodes

    @Test("ExportLogsServiceRequest from Python: every LogRecord field, resource and scope")
    func logsFromPython() async throws {
        let bytes = try await PythonOTLPPeer.emit("logs")
        let request = try ExportLogsRequest(serializedBytes: bytes)
        #expect(request.unknownFields.data.isEmpty)

        try #require(request.resourceLogs.count == 1)
        let resourceLogs = request.resourceLogs[0]
        #expect(resourceLogs.schemaURL == "https://opentelemetry.io/schemas/1.27.0")
        #expect(resourceLogs.hasResource)
        expectFixtureResource(resourceLogs.resource)
        try #require(resourceLogs.scopeLogs.count == 1)
        let scopeLogs = resourceLogs.scopeLogs[0]
        #expect(scopeLogs.schemaURL == "https://opentelemetry.io/schemas/1.26.0")
        expectFixtureScope(scopeLogs.scope)
        try #require(scopeLogs.logRecords.count == 1)

        let record = scopeLogs.logRecords[0]
        #expect(record.timeUnixNano == 1_700_000_000_123_456_789)
        #expect(record.observedTimeUnixNano == 1_700_000_000_987_654_321)
        #expect(record.severityNumber == .warn2)
        #expect(record.severityNumber.rawValue == 14)
        #expect(record.severityText == "WARN2")
        #expect(record.eventName == "attest.login.failed")
        #expect(record.droppedAttributesCount == 2)
        #expect(record.flags == 0x01)
        #expect(record.traceID == hexData("5b8efff798038103d269b633813fc60c"))
        #expect(record.spanID == hexData("eee19b7ec3c1b174"))

        #expect(record.hasBody)
        let body = record.body.kvlistValue.values
        #expect(body.map(\.key) == ["message", "attempt", "detail"])
        try #require(body.count == 3)
        #expect(body[0].value.value == .stringValue("login failed"))
        #expect(body[1].value.value == .intValue(3))
        #expect(body[2].value.kvlistValue.values.map(\.key) == ["mfa"])
        #expect(body[2].value.kvlistValue.values.first?.value.value == .boolValue(false))

        let attributes = record.attributes
        #expect(attributes.map(\.key) == ["user.name", "auth.ok", "auth.code", "latency.seconds", "tags", "geo", "digest"])
        try #require(attributes.count == 7)
        #expect(attributes[0].value.value == .stringValue("Zo\u{EB} \u{2713}"))
        #expect(attributes[1].value.value == .boolValue(true))
        #expect(attributes[2].value.value == .intValue(-9_007_199_254_740_993))
        #expect(attributes[3].value.value == .doubleValue(0.125))
        let tags = attributes[4].value.arrayValue.values.map(\.value)
        #expect(tags == [.stringValue("a"), .intValue(2), .boolValue(false), .doubleValue(-1.5), nil])
        let geo = attributes[5].value.kvlistValue.values
        #expect(geo.map(\.key) == ["country", "lat"])
        #expect(geo.map(\.value.value) == [.stringValue("DE"), .doubleValue(52.52)])
        #expect(attributes[6].value.value == .bytesValue(Data([0x00, 0xFF, 0x10, 0x80, 0x7F])))

        // The whole message equals the Swift-built copy, and re-encodes to the very same bytes.
        #expect(request == OTLPFixtures.logs)
        #expect(try request.serializedBytes() == bytes)
    }

    @Test("ExportTraceServiceRequest from Python: spans with kind, flags, events, links and status")
    func tracesFromPython() async throws {
        let bytes = try await PythonOTLPPeer.emit("traces")
        let request = try ExportTraceRequest(serializedBytes: bytes)

        try #require(request.resourceSpans.count == 1)
        let resourceSpans = request.resourceSpans[0]
        #expect(resourceSpans.schemaURL == "https://opentelemetry.io/schemas/1.27.0")
        expectFixtureResource(resourceSpans.resource)
        try #require(resourceSpans.scopeSpans.count == 1)
        #expect(resourceSpans.scopeSpans[0].schemaURL == "https://opentelemetry.io/schemas/1.26.0")
        expectFixtureScope(resourceSpans.scopeSpans[0].scope)
        let spans = resourceSpans.scopeSpans[0].spans
        try #require(spans.count == 2)

        let server = spans[0]
        #expect(server.traceID == hexData("5b8efff798038103d269b633813fc60c"))
        #expect(server.spanID == hexData("eee19b7ec3c1b174"))
        #expect(server.traceState == "congo=t61rcWkgMzE")
        #expect(server.parentSpanID == hexData("b7ad6b7169203331"))
        #expect(server.flags == 0x301)
        #expect(server.name == "POST /v1/events")
        #expect(server.kind == .server)
        #expect(server.startTimeUnixNano == 1_700_000_000_000_000_000)
        #expect(server.endTimeUnixNano == 1_700_000_000_250_000_000)
        #expect(server.attributes.map(\.key) == ["http.request.method", "http.response.status_code"])
        #expect(server.attributes.map(\.value.value) == [.stringValue("POST"), .intValue(503)])
        #expect(server.droppedAttributesCount == 1)
        try #require(server.events.count == 2)
        #expect(server.events[0].timeUnixNano == 1_700_000_000_000_001_000)
        #expect(server.events[0].name == "exception")
        #expect(server.events[0].attributes.map(\.key) == ["exception.type", "exception.escaped"])
        #expect(server.events[0].attributes.map(\.value.value) == [.stringValue("TimeoutError"), .boolValue(true)])
        #expect(server.events[0].droppedAttributesCount == 2)
        #expect(server.events[1].timeUnixNano == 1_700_000_000_000_002_000)
        #expect(server.events[1].name == "retry")
        #expect(server.events[1].attributes == [kv("retry.attempt", .int(2))])
        #expect(server.events[1].droppedAttributesCount == 0)
        #expect(server.droppedEventsCount == 3)
        try #require(server.links.count == 1)
        let link = server.links[0]
        #expect(link.traceID == hexData("0af7651916cd43dd8448eb211c80319c"))
        #expect(link.spanID == hexData("00f067aa0ba902b7"))
        #expect(link.traceState == "rojo=00f067aa0ba902b7")
        #expect(link.attributes == [kv("link.reason", .string("batch"))])
        #expect(link.droppedAttributesCount == 1)
        #expect(link.flags == 0x101)
        #expect(server.droppedLinksCount == 4)
        #expect(server.hasStatus)
        #expect(server.status.code == .error)
        #expect(server.status.message == "upstream timed out")

        let client = spans[1]
        #expect(client.kind == .client)
        #expect(client.parentSpanID == hexData("eee19b7ec3c1b174"))
        #expect(client.spanID == hexData("00f067aa0ba902b7"))
        #expect(client.flags == 0x01)
        #expect(client.name == "SELECT ledger")
        #expect(client.startTimeUnixNano == 1_700_000_000_000_000_010)
        #expect(client.endTimeUnixNano == 1_700_000_000_249_999_990)
        #expect(client.status.code == .ok)
        #expect(client.events.isEmpty && client.links.isEmpty && client.attributes.isEmpty)

        #expect(request == OTLPFixtures.traces)
        #expect(try request.serializedBytes() == bytes)
    }

    @Test("ExportMetricsServiceRequest from Python: cumulative int Sum, Histogram, Gauge, exponential histogram, Summary")
    func metricsFromPython() async throws {
        let bytes = try await PythonOTLPPeer.emit("metrics")
        let request = try ExportMetricsRequest(serializedBytes: bytes)

        try #require(request.resourceMetrics.count == 1)
        let resourceMetrics = request.resourceMetrics[0]
        #expect(resourceMetrics.schemaURL == "https://opentelemetry.io/schemas/1.27.0")
        expectFixtureResource(resourceMetrics.resource)
        try #require(resourceMetrics.scopeMetrics.count == 1)
        #expect(resourceMetrics.scopeMetrics[0].schemaURL == "https://opentelemetry.io/schemas/1.26.0")
        expectFixtureScope(resourceMetrics.scopeMetrics[0].scope)
        let metrics = resourceMetrics.scopeMetrics[0].metrics
        try #require(metrics.count == 5)

        // Sum: cumulative, monotonic, integer points, one with an exemplar and the no-value flag.
        let total = metrics[0]
        #expect(total.name == "attest.events.appended")
        #expect(total.description_p == "Events appended to the ledger")
        #expect(total.unit == "{event}")
        #expect(total.metadata == [kv("prometheus.type", .string("counter"))])
        guard case .sum(let sum)? = total.data else {
            Issue.record("expected a Sum, got \(String(describing: total.data))")
            return
        }
        #expect(sum.aggregationTemporality == .cumulative)
        #expect(sum.isMonotonic)
        try #require(sum.dataPoints.count == 2)
        #expect(sum.dataPoints[0].attributes == [kv("tenant", .string("acme"))])
        #expect(sum.dataPoints[0].startTimeUnixNano == 1_700_000_000_000_000_000)
        #expect(sum.dataPoints[0].timeUnixNano == 1_700_000_000_250_000_000)
        #expect(sum.dataPoints[0].value == .asInt(42))
        #expect(sum.dataPoints[0].flags == 0)
        #expect(sum.dataPoints[0].exemplars.isEmpty)
        #expect(sum.dataPoints[1].attributes == [kv("tenant", .string("globex"))])
        #expect(sum.dataPoints[1].value == .asInt(-7))
        #expect(sum.dataPoints[1].flags == 1)
        try #require(sum.dataPoints[1].exemplars.count == 1)
        let exemplar = sum.dataPoints[1].exemplars[0]
        #expect(exemplar.filteredAttributes == [kv("client.address", .string("127.0.0.1"))])
        #expect(exemplar.timeUnixNano == 1_700_000_000_000_000_005)
        #expect(exemplar.value == .asInt(5))
        #expect(exemplar.spanID == hexData("eee19b7ec3c1b174"))
        #expect(exemplar.traceID == hexData("5b8efff798038103d269b633813fc60c"))

        // Histogram: delta; optional sum/min/max present on one point and absent on the other.
        let duration = metrics[1]
        #expect(duration.name == "http.server.request.duration")
        #expect(duration.unit == "s")
        #expect(duration.description_p.isEmpty && duration.metadata.isEmpty)
        guard case .histogram(let histogram)? = duration.data else {
            Issue.record("expected a Histogram, got \(String(describing: duration.data))")
            return
        }
        #expect(histogram.aggregationTemporality == .delta)
        try #require(histogram.dataPoints.count == 2)
        let full = histogram.dataPoints[0]
        #expect(full.attributes == [kv("http.route", .string("/v1/events"))])
        #expect(full.startTimeUnixNano == 1_700_000_000_000_000_000)
        #expect(full.timeUnixNano == 1_700_000_000_250_000_000)
        #expect(full.count == 6)
        #expect(full.hasSum && full.sum == 1.275)
        #expect(full.bucketCounts == [1, 2, 3, 0])
        #expect(full.explicitBounds == [0.005, 0.1, 1.0])
        #expect(full.hasMin && full.min == 0.001)
        #expect(full.hasMax && full.max == 0.9)
        #expect(full.flags == 0)
        try #require(full.exemplars.count == 1)
        #expect(full.exemplars[0].value == .asDouble(0.75))
        #expect(full.exemplars[0].timeUnixNano == 1_700_000_000_000_000_007)
        #expect(full.exemplars[0].filteredAttributes.isEmpty)
        let empty = histogram.dataPoints[1]
        #expect(empty.count == 0)
        #expect(!empty.hasSum && !empty.hasMin && !empty.hasMax)
        #expect(empty.bucketCounts == [0, 0, 0, 0])
        #expect(empty.flags == 1)

        // Gauge with a double point.
        #expect(metrics[2].name == "attest.queue.depth")
        #expect(metrics[2].gauge.dataPoints.map(\.value) == [.asDouble(3.5)])
        #expect(metrics[2].gauge.dataPoints.first?.timeUnixNano == 1_700_000_000_250_000_000)

        // Exponential histogram: negative sint32 scale and offset.
        #expect(metrics[3].name == "attest.batch.size")
        guard case .exponentialHistogram(let expo)? = metrics[3].data else {
            Issue.record("expected an ExponentialHistogram, got \(String(describing: metrics[3].data))")
            return
        }
        #expect(expo.aggregationTemporality == .cumulative)
        try #require(expo.dataPoints.count == 1)
        let point = expo.dataPoints[0]
        #expect(point.attributes == [kv("tenant", .string("acme"))])
        #expect(point.count == 10)
        #expect(point.hasSum && point.sum == -2.5)
        #expect(point.scale == -3)
        #expect(point.zeroCount == 1)
        #expect(point.positive.offset == -2 && point.positive.bucketCounts == [3, 2])
        #expect(point.negative.offset == 5 && point.negative.bucketCounts == [4])
        #expect(point.min == -8.0 && point.max == 4.0)
        #expect(point.zeroThreshold == 1e-9)

        // Summary with quantiles.
        #expect(metrics[4].name == "attest.verify.seconds")
        guard case .summary(let summary)? = metrics[4].data else {
            Issue.record("expected a Summary, got \(String(describing: metrics[4].data))")
            return
        }
        try #require(summary.dataPoints.count == 1)
        #expect(summary.dataPoints[0].count == 4)
        #expect(summary.dataPoints[0].sum == 2.0)
        #expect(summary.dataPoints[0].quantileValues.map(\.quantile) == [0.0, 0.5, 1.0])
        #expect(summary.dataPoints[0].quantileValues.map(\.value) == [0.1, 0.4, 1.1])

        #expect(request == OTLPFixtures.metrics)
        #expect(try request.serializedBytes() == bytes)
    }

    @Test("Export*ServiceResponse with partial_success from Python")
    func responsesFromPython() async throws {
        let logs = try ExportLogsResponse(serializedBytes: try await PythonOTLPPeer.emit("logs-response"))
        #expect(logs.hasPartialSuccess)
        #expect(logs.partialSuccess.rejectedLogRecords == 2)
        #expect(logs.partialSuccess.errorMessage == "2 log records had no body")
        let traces = try ExportTraceResponse(serializedBytes: try await PythonOTLPPeer.emit("traces-response"))
        #expect(traces.partialSuccess.rejectedSpans == 1)
        #expect(traces.partialSuccess.errorMessage == "1 span had no trace id")
        let metrics = try ExportMetricsResponse(serializedBytes: try await PythonOTLPPeer.emit("metrics-response"))
        #expect(metrics.partialSuccess.rejectedDataPoints == 9_000_000_000)
        #expect(metrics.partialSuccess.errorMessage == "too many data points")
    }

    // MARK: Swift encodes, Python decodes

    @Test("Swift-encoded requests decode in opentelemetry-proto and equal Python's own copies")
    func requestsToPython() async throws {
        try await PythonOTLPPeer.check("logs", try OTLPFixtures.logs.serializedBytes())
        try await PythonOTLPPeer.check("traces", try OTLPFixtures.traces.serializedBytes())
        try await PythonOTLPPeer.check("metrics", try OTLPFixtures.metrics.serializedBytes())
    }

    @Test("Swift-encoded responses with partial_success decode in opentelemetry-proto")
    func responsesToPython() async throws {
        try await PythonOTLPPeer.check("logs-response", try OTLPFixtures.logsResponse.serializedBytes())
        try await PythonOTLPPeer.check("traces-response", try OTLPFixtures.tracesResponse.serializedBytes())
        try await PythonOTLPPeer.check("metrics-response", try OTLPFixtures.metricsResponse.serializedBytes())
    }

    @Test("the Python check fails on a message that differs")
    func pythonCheckCatchesDifferences() async throws {
        var changed = OTLPFixtures.logs
        changed.resourceLogs[0].scopeLogs[0].logRecords[0].eventName = "attest.login.succeeded"
        let r = try await runProcess(
            try PythonOTLPPeer.python(),
            [PythonOTLPPeer.script.path, "check", "logs"],
            stdin: try changed.serializedBytes()
        )
        #expect(r.status != 0)
        #expect(r.stderr.contains("MISMATCH"))
    }
}

func expectFixtureResource(_ resource: Resource, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(resource.attributes.map(\.key) == ["service.name", "host.cpu.count"], sourceLocation: sourceLocation)
    #expect(resource.attributes.map(\.value.value) == [.stringValue("attest-test"), .intValue(2)], sourceLocation: sourceLocation)
    #expect(resource.droppedAttributesCount == 1, sourceLocation: sourceLocation)
    #expect(resource.entityRefs.isEmpty, sourceLocation: sourceLocation)
}

func expectFixtureScope(_ scope: Scope, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(scope.name == "attest.audit", sourceLocation: sourceLocation)
    #expect(scope.version == "1.2.3", sourceLocation: sourceLocation)
    #expect(scope.attributes == [kv("scope.kind", .string("audit"))], sourceLocation: sourceLocation)
    #expect(scope.droppedAttributesCount == 4, sourceLocation: sourceLocation)
}
