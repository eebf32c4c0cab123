import AttestOTLPProto
import AttestTesting
import Foundation
import SwiftProtobuf
import Testing

// Short names for the generated types (the generator prefixes them with the proto package).
typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue
typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue
typealias Scope = Opentelemetry_Proto_Common_V1_InstrumentationScope
typealias Resource = Opentelemetry_Proto_Resource_V1_Resource
typealias LogRecord = Opentelemetry_Proto_Logs_V1_LogRecord
typealias TraceSpan = Opentelemetry_Proto_Trace_V1_Span
typealias SpanStatus = Opentelemetry_Proto_Trace_V1_Status
typealias Metric = Opentelemetry_Proto_Metrics_V1_Metric
typealias NumberDataPoint = Opentelemetry_Proto_Metrics_V1_NumberDataPoint
typealias HistogramDataPoint = Opentelemetry_Proto_Metrics_V1_HistogramDataPoint
typealias ExponentialHistogramDataPoint = Opentelemetry_Proto_Metrics_V1_ExponentialHistogramDataPoint
typealias SummaryDataPoint = Opentelemetry_Proto_Metrics_V1_SummaryDataPoint
typealias Exemplar = Opentelemetry_Proto_Metrics_V1_Exemplar
typealias ExportLogsRequest = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest
typealias ExportLogsResponse = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse
typealias ExportTraceRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
typealias ExportTraceResponse = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse
typealias ExportMetricsRequest = Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceRequest
typealias ExportMetricsResponse = Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceResponse

extension AnyValue {
    static func string(_ v: String) -> AnyValue { .with { $0.stringValue = v } }
    static func int(_ v: Int64) -> AnyValue { .with { $0.intValue = v } }
    static func bool(_ v: Bool) -> AnyValue { .with { $0.boolValue = v } }
    static func double(_ v: Double) -> AnyValue { .with { $0.doubleValue = v } }
    static func bytes(_ v: Data) -> AnyValue { .with { $0.bytesValue = v } }
    static func array(_ v: [AnyValue]) -> AnyValue { .with { $0.arrayValue.values = v } }
    static func kvlist(_ v: [KeyValue]) -> AnyValue { .with { $0.kvlistValue.values = v } }
    /// A value with no case set (OTLP's empty value).
    static var empty: AnyValue { AnyValue() }
}

func kv(_ key: String, _ value: AnyValue) -> KeyValue {
    .with {
        $0.key = key
        $0.value = value
    }
}

/// Bytes from a hex string (test constants only: traps on malformed input).
func hexData(_ hex: String) -> Data {
    var data = Data()
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        data.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return data
}

/// The messages that Fixtures/otlp_peer.py builds with opentelemetry-proto, built again in Swift.
/// The two must stay identical: the wire tests compare them in both directions.
enum OTLPFixtures {
    static let traceID = hexData("5b8efff798038103d269b633813fc60c")
    static let spanID = hexData("eee19b7ec3c1b174")
    static let parentSpanID = hexData("b7ad6b7169203331")
    static let linkTraceID = hexData("0af7651916cd43dd8448eb211c80319c")
    static let linkSpanID = hexData("00f067aa0ba902b7")
    static let tStart: UInt64 = 1_700_000_000_000_000_000
    static let tEnd: UInt64 = 1_700_000_000_250_000_000
    static let resourceSchema = "https://opentelemetry.io/schemas/1.27.0"
    static let scopeSchema = "https://opentelemetry.io/schemas/1.26.0"

    static var resource: Resource {
        .with {
            $0.attributes = [kv("service.name", .string("attest-test")), kv("host.cpu.count", .int(2))]
            $0.droppedAttributesCount = 1
        }
    }

    static var scope: Scope {
        .with {
            $0.name = "attest.audit"
            $0.version = "1.2.3"
            $0.attributes = [kv("scope.kind", .string("audit"))]
            $0.droppedAttributesCount = 4
        }
    }

    static var logRecord: LogRecord {
        .with {
            $0.timeUnixNano = 1_700_000_000_123_456_789
            $0.observedTimeUnixNano = 1_700_000_000_987_654_321
            $0.severityNumber = .warn2
            $0.severityText = "WARN2"
            $0.body = .kvlist([
                kv("message", .string("login failed")),
                kv("attempt", .int(3)),
                kv("detail", .kvlist([kv("mfa", .bool(false))])),
            ])
            $0.attributes = [
                kv("user.name", .string("Zo\u{EB} \u{2713}")),
                kv("auth.ok", .bool(true)),
                kv("auth.code", .int(-9_007_199_254_740_993)),
                kv("latency.seconds", .double(0.125)),
                kv("tags", .array([.string("a"), .int(2), .bool(false), .double(-1.5), .empty])),
                kv("geo", .kvlist([kv("country", .string("DE")), kv("lat", .double(52.52))])),
                kv("digest", .bytes(Data([0x00, 0xFF, 0x10, 0x80, 0x7F]))),
            ]
            $0.droppedAttributesCount = 2
            $0.flags = 0x01
            $0.traceID = traceID
            $0.spanID = spanID
            $0.eventName = "attest.login.failed"
        }
    }

    static var logs: ExportLogsRequest {
        .with {
            $0.resourceLogs = [
                .with {
                    $0.resource = resource
                    $0.scopeLogs = [
                        .with {
                            $0.scope = scope
                            $0.logRecords = [logRecord]
                            $0.schemaURL = scopeSchema
                        }
                    ]
                    $0.schemaURL = resourceSchema
                }
            ]
        }
    }

    static var serverSpan: TraceSpan {
        .with {
            $0.traceID = traceID
            $0.spanID = spanID
            $0.traceState = "congo=t61rcWkgMzE"
            $0.parentSpanID = parentSpanID
            $0.flags = 0x301
            $0.name = "POST /v1/events"
            $0.kind = .server
            $0.startTimeUnixNano = tStart
            $0.endTimeUnixNano = tEnd
            $0.attributes = [kv("http.request.method", .string("POST")), kv("http.response.status_code", .int(503))]
            $0.droppedAttributesCount = 1
            $0.events = [
                .with {
                    $0.timeUnixNano = tStart + 1_000
                    $0.name = "exception"
                    $0.attributes = [kv("exception.type", .string("TimeoutError")), kv("exception.escaped", .bool(true))]
                    $0.droppedAttributesCount = 2
                },
                .with {
                    $0.timeUnixNano = tStart + 2_000
                    $0.name = "retry"
                    $0.attributes = [kv("retry.attempt", .int(2))]
                },
            ]
            $0.droppedEventsCount = 3
            $0.links = [
                .with {
                    $0.traceID = linkTraceID
                    $0.spanID = linkSpanID
                    $0.traceState = "rojo=00f067aa0ba902b7"
                    $0.attributes = [kv("link.reason", .string("batch"))]
                    $0.droppedAttributesCount = 1
                    $0.flags = 0x101
                }
            ]
            $0.droppedLinksCount = 4
            $0.status = .with {
                $0.message = "upstream timed out"
                $0.code = .error
            }
        }
    }

    static var clientSpan: TraceSpan {
        .with {
            $0.traceID = traceID
            $0.spanID = linkSpanID
            $0.parentSpanID = spanID
            $0.flags = 0x01
            $0.name = "SELECT ledger"
            $0.kind = .client
            $0.startTimeUnixNano = tStart + 10
            $0.endTimeUnixNano = tEnd - 10
            $0.status = .with { $0.code = .ok }
        }
    }

    static var traces: ExportTraceRequest {
        .with {
            $0.resourceSpans = [
                .with {
                    $0.resource = resource
                    $0.scopeSpans = [
                        .with {
                            $0.scope = scope
                            $0.spans = [serverSpan, clientSpan]
                            $0.schemaURL = scopeSchema
                        }
                    ]
                    $0.schemaURL = resourceSchema
                }
            ]
        }
    }

    static var sumMetric: Metric {
        .with {
            $0.name = "attest.events.appended"
            $0.description_p = "Events appended to the ledger"
            $0.unit = "{event}"
            $0.sum = .with {
                $0.dataPoints = [
                    .with {
                        $0.attributes = [kv("tenant", .string("acme"))]
                        $0.startTimeUnixNano = tStart
                        $0.timeUnixNano = tEnd
                        $0.asInt = 42
                    },
                    .with {
                        $0.attributes = [kv("tenant", .string("globex"))]
                        $0.startTimeUnixNano = tStart
                        $0.timeUnixNano = tEnd
                        $0.asInt = -7
                        $0.exemplars = [
                            .with {
                                $0.filteredAttributes = [kv("client.address", .string("127.0.0.1"))]
                                $0.timeUnixNano = tStart + 5
                                $0.asInt = 5
                                $0.spanID = spanID
                                $0.traceID = traceID
                            }
                        ]
                        $0.flags = UInt32(Opentelemetry_Proto_Metrics_V1_DataPointFlags.noRecordedValueMask.rawValue)
                    },
                ]
                $0.aggregationTemporality = .cumulative
                $0.isMonotonic = true
            }
            $0.metadata = [kv("prometheus.type", .string("counter"))]
        }
    }

    static var histogramMetric: Metric {
        .with {
            $0.name = "http.server.request.duration"
            $0.unit = "s"
            $0.histogram = .with {
                $0.dataPoints = [
                    .with {
                        $0.attributes = [kv("http.route", .string("/v1/events"))]
                        $0.startTimeUnixNano = tStart
                        $0.timeUnixNano = tEnd
                        $0.count = 6
                        $0.sum = 1.275
                        $0.bucketCounts = [1, 2, 3, 0]
                        $0.explicitBounds = [0.005, 0.1, 1.0]
                        $0.exemplars = [
                            .with {
                                $0.timeUnixNano = tStart + 7
                                $0.asDouble = 0.75
                                $0.spanID = spanID
                                $0.traceID = traceID
                            }
                        ]
                        $0.min = 0.001
                        $0.max = 0.9
                    },
                    .with {
                        $0.startTimeUnixNano = tStart
                        $0.timeUnixNano = tEnd
                        $0.count = 0
                        $0.bucketCounts = [0, 0, 0, 0]
                        $0.explicitBounds = [0.005, 0.1, 1.0]
                        $0.flags = 1
                    },
                ]
                $0.aggregationTemporality = .delta
            }
        }
    }

    static var gaugeMetric: Metric {
        .with {
            $0.name = "attest.queue.depth"
            $0.gauge.dataPoints = [
                .with {
                    $0.timeUnixNano = tEnd
                    $0.asDouble = 3.5
                }
            ]
        }
    }

    static var exponentialHistogramMetric: Metric {
        .with {
            $0.name = "attest.batch.size"
            $0.exponentialHistogram = .with {
                $0.dataPoints = [
                    .with {
                        $0.attributes = [kv("tenant", .string("acme"))]
                        $0.startTimeUnixNano = tStart
                        $0.timeUnixNano = tEnd
                        $0.count = 10
                        $0.sum = -2.5
                        $0.scale = -3
                        $0.zeroCount = 1
                        $0.positive = .with {
                            $0.offset = -2
                            $0.bucketCounts = [3, 2]
                        }
                        $0.negative = .with {
                            $0.offset = 5
                            $0.bucketCounts = [4]
                        }
                        $0.min = -8.0
                        $0.max = 4.0
                        $0.zeroThreshold = 1e-9
                    }
                ]
                $0.aggregationTemporality = .cumulative
            }
        }
    }

    static var summaryMetric: Metric {
        .with {
            $0.name = "attest.verify.seconds"
            $0.summary.dataPoints = [
                .with {
                    $0.startTimeUnixNano = tStart
                    $0.timeUnixNano = tEnd
                    $0.count = 4
                    $0.sum = 2.0
                    $0.quantileValues = [(0.0, 0.1), (0.5, 0.4), (1.0, 1.1)].map { q, v in
                        .with {
                            $0.quantile = q
                            $0.value = v
                        }
                    }
                }
            ]
        }
    }

    static var metrics: ExportMetricsRequest {
        .with {
            $0.resourceMetrics = [
                .with {
                    $0.resource = resource
                    $0.scopeMetrics = [
                        .with {
                            $0.scope = scope
                            $0.metrics = [sumMetric, histogramMetric, gaugeMetric, exponentialHistogramMetric, summaryMetric]
                            $0.schemaURL = scopeSchema
                        }
                    ]
                    $0.schemaURL = resourceSchema
                }
            ]
        }
    }

    static var logsResponse: ExportLogsResponse {
        .with {
            $0.partialSuccess.rejectedLogRecords = 2
            $0.partialSuccess.errorMessage = "2 log records had no body"
        }
    }

    static var tracesResponse: ExportTraceResponse {
        .with {
            $0.partialSuccess.rejectedSpans = 1
            $0.partialSuccess.errorMessage = "1 span had no trace id"
        }
    }

    static var metricsResponse: ExportMetricsResponse {
        .with {
            $0.partialSuccess.rejectedDataPoints = 9_000_000_000
            $0.partialSuccess.errorMessage = "too many data points"
        }
    }
}

/// The real OpenTelemetry Python implementation (`opentelemetry-proto` from PyPI), driven through
/// Fixtures/otlp_peer.py.
enum PythonOTLPPeer {
    static let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/AttestOTLPProtoTests/Fixtures/otlp_peer.py")

    /// Whether python3 can import opentelemetry-proto here. When it cannot, says why on stdout.
    static func available() async -> Bool {
        guard let python = TestEnvironment.which("python3") else {
            print("AttestOTLPProtoTests: python3 not on PATH; the opentelemetry-proto wire tests are skipped")
            return false
        }
        let probe = try? await runProcess(URL(fileURLWithPath: python), ["-c", "import opentelemetry.proto.collector.logs.v1.logs_service_pb2"])
        if probe?.status != 0 {
            print("AttestOTLPProtoTests: python3 cannot import opentelemetry-proto; wire tests skipped. \(probe?.stderr ?? "")")
            return false
        }
        return true
    }

    /// Run the Python tests if the peer is usable, or if it must be (ATTEST_INTEGRATION=1), so
    /// that under scripts/test a missing python3 or opentelemetry-proto fails them.
    static func availableOrRequired() async -> Bool {
        if TestEnvironment.integrationRequired { return true }
        return await available()
    }

    static func python() throws -> URL {
        URL(fileURLWithPath: try #require(TestEnvironment.which("python3"), "python3 is required (scripts/test installs it)"))
    }

    /// The binary encoding of `name`, as opentelemetry-proto serializes it.
    static func emit(_ name: String) async throws -> Data {
        let r = try await runProcess(try python(), [script.path, "emit", name])
        try #require(r.status == 0, "otlp_peer.py emit \(name) failed: \(r.stderr)")
        return try #require(Data(base64Encoded: r.stdout), "otlp_peer.py emit \(name) printed no base64: \(r.stdout)")
    }

    /// Has opentelemetry-proto decode `bytes` as `name` and compare it with its own copy.
    static func check(_ name: String, _ bytes: Data, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let r = try await runProcess(try python(), [script.path, "check", name], stdin: bytes)
        #expect(r.status == 0, "opentelemetry-proto rejects Swift's \(name): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.hasPrefix("ok \(name) \(bytes.count) bytes"), "\(r.stdout)", sourceLocation: sourceLocation)
    }
}
