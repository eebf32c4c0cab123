"""The OpenTelemetry Python side of AttestOTLPProtoTests (wire compatibility of Attest's OTLP types).

Uses the real `opentelemetry-proto` PyPI package, never Attest's .proto files.

    otlp_peer.py emit NAME    print base64 of NAME's binary protobuf encoding, built here
    otlp_peer.py check NAME   read a binary NAME from stdin (encoded by Swift); exit 0 only if it
                              equals the message built here, field by field

NAME is one of: logs, traces, metrics, logs-response, traces-response, metrics-response.
The Swift tests build the very same messages (OTLPFixtures.swift); keep the two in step.
"""

import base64
import sys

from google.protobuf import text_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as collector_logs
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as collector_metrics
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as collector_trace
from opentelemetry.proto.common.v1 import common_pb2 as common
from opentelemetry.proto.logs.v1 import logs_pb2 as logs_v1
from opentelemetry.proto.metrics.v1 import metrics_pb2 as metrics_v1
from opentelemetry.proto.resource.v1 import resource_pb2 as resource_v1
from opentelemetry.proto.trace.v1 import trace_pb2 as trace_v1

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")
PARENT_SPAN_ID = bytes.fromhex("b7ad6b7169203331")
LINK_TRACE_ID = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
LINK_SPAN_ID = bytes.fromhex("00f067aa0ba902b7")
T_START = 1_700_000_000_000_000_000
T_END = 1_700_000_000_250_000_000
SCHEMA_RESOURCE = "https://opentelemetry.io/schemas/1.27.0"
SCHEMA_SCOPE = "https://opentelemetry.io/schemas/1.26.0"


def s(v):
    return common.AnyValue(string_value=v)


def i(v):
    return common.AnyValue(int_value=v)


def b(v):
    return common.AnyValue(bool_value=v)


def d(v):
    return common.AnyValue(double_value=v)


def kv(key, value):
    return common.KeyValue(key=key, value=value)


def kvlist(*pairs):
    return common.AnyValue(kvlist_value=common.KeyValueList(values=list(pairs)))


def resource():
    return resource_v1.Resource(
        attributes=[kv("service.name", s("attest-test")), kv("host.cpu.count", i(2))],
        dropped_attributes_count=1,
    )


def scope():
    return common.InstrumentationScope(
        name="attest.audit",
        version="1.2.3",
        attributes=[kv("scope.kind", s("audit"))],
        dropped_attributes_count=4,
    )


def logs():
    record = logs_v1.LogRecord(
        time_unix_nano=1_700_000_000_123_456_789,
        observed_time_unix_nano=1_700_000_000_987_654_321,
        severity_number=logs_v1.SEVERITY_NUMBER_WARN2,
        severity_text="WARN2",
        body=kvlist(
            kv("message", s("login failed")),
            kv("attempt", i(3)),
            kv("detail", kvlist(kv("mfa", b(False)))),
        ),
        attributes=[
            kv("user.name", s("Zo\u00eb \u2713")),
            kv("auth.ok", b(True)),
            kv("auth.code", i(-9_007_199_254_740_993)),
            kv("latency.seconds", d(0.125)),
            kv(
                "tags",
                common.AnyValue(
                    array_value=common.ArrayValue(values=[s("a"), i(2), b(False), d(-1.5), common.AnyValue()])
                ),
            ),
            kv("geo", kvlist(kv("country", s("DE")), kv("lat", d(52.52)))),
            kv("digest", common.AnyValue(bytes_value=bytes([0x00, 0xFF, 0x10, 0x80, 0x7F]))),
        ],
        dropped_attributes_count=2,
        flags=0x01,
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        event_name="attest.login.failed",
    )
    return collector_logs.ExportLogsServiceRequest(
        resource_logs=[
            logs_v1.ResourceLogs(
                resource=resource(),
                scope_logs=[logs_v1.ScopeLogs(scope=scope(), log_records=[record], schema_url=SCHEMA_SCOPE)],
                schema_url=SCHEMA_RESOURCE,
            )
        ]
    )


def traces():
    server = trace_v1.Span(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        trace_state="congo=t61rcWkgMzE",
        parent_span_id=PARENT_SPAN_ID,
        flags=0x301,
        name="POST /v1/events",
        kind=trace_v1.Span.SPAN_KIND_SERVER,
        start_time_unix_nano=T_START,
        end_time_unix_nano=T_END,
        attributes=[kv("http.request.method", s("POST")), kv("http.response.status_code", i(503))],
        dropped_attributes_count=1,
        events=[
            trace_v1.Span.Event(
                time_unix_nano=T_START + 1_000,
                name="exception",
                attributes=[kv("exception.type", s("TimeoutError")), kv("exception.escaped", b(True))],
                dropped_attributes_count=2,
            ),
            trace_v1.Span.Event(time_unix_nano=T_START + 2_000, name="retry", attributes=[kv("retry.attempt", i(2))]),
        ],
        dropped_events_count=3,
        links=[
            trace_v1.Span.Link(
                trace_id=LINK_TRACE_ID,
                span_id=LINK_SPAN_ID,
                trace_state="rojo=00f067aa0ba902b7",
                attributes=[kv("link.reason", s("batch"))],
                dropped_attributes_count=1,
                flags=0x101,
            )
        ],
        dropped_links_count=4,
        status=trace_v1.Status(message="upstream timed out", code=trace_v1.Status.STATUS_CODE_ERROR),
    )
    client = trace_v1.Span(
        trace_id=TRACE_ID,
        span_id=LINK_SPAN_ID,
        parent_span_id=SPAN_ID,
        flags=0x01,
        name="SELECT ledger",
        kind=trace_v1.Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=T_START + 10,
        end_time_unix_nano=T_END - 10,
        status=trace_v1.Status(code=trace_v1.Status.STATUS_CODE_OK),
    )
    return collector_trace.ExportTraceServiceRequest(
        resource_spans=[
            trace_v1.ResourceSpans(
                resource=resource(),
                scope_spans=[trace_v1.ScopeSpans(scope=scope(), spans=[server, client], schema_url=SCHEMA_SCOPE)],
                schema_url=SCHEMA_RESOURCE,
            )
        ]
    )


def metrics():
    total = metrics_v1.Metric(
        name="attest.events.appended",
        description="Events appended to the ledger",
        unit="{event}",
        sum=metrics_v1.Sum(
            data_points=[
                metrics_v1.NumberDataPoint(
                    attributes=[kv("tenant", s("acme"))],
                    start_time_unix_nano=T_START,
                    time_unix_nano=T_END,
                    as_int=42,
                ),
                metrics_v1.NumberDataPoint(
                    attributes=[kv("tenant", s("globex"))],
                    start_time_unix_nano=T_START,
                    time_unix_nano=T_END,
                    as_int=-7,
                    exemplars=[
                        metrics_v1.Exemplar(
                            filtered_attributes=[kv("client.address", s("127.0.0.1"))],
                            time_unix_nano=T_START + 5,
                            as_int=5,
                            span_id=SPAN_ID,
                            trace_id=TRACE_ID,
                        )
                    ],
                    flags=metrics_v1.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK,
                ),
            ],
            aggregation_temporality=metrics_v1.AGGREGATION_TEMPORALITY_CUMULATIVE,
            is_monotonic=True,
        ),
        metadata=[kv("prometheus.type", s("counter"))],
    )
    duration = metrics_v1.Metric(
        name="http.server.request.duration",
        unit="s",
        histogram=metrics_v1.Histogram(
            data_points=[
                metrics_v1.HistogramDataPoint(
                    attributes=[kv("http.route", s("/v1/events"))],
                    start_time_unix_nano=T_START,
                    time_unix_nano=T_END,
                    count=6,
                    sum=1.275,
                    bucket_counts=[1, 2, 3, 0],
                    explicit_bounds=[0.005, 0.1, 1.0],
                    exemplars=[
                        metrics_v1.Exemplar(time_unix_nano=T_START + 7, as_double=0.75, span_id=SPAN_ID, trace_id=TRACE_ID)
                    ],
                    min=0.001,
                    max=0.9,
                ),
                metrics_v1.HistogramDataPoint(
                    start_time_unix_nano=T_START,
                    time_unix_nano=T_END,
                    count=0,
                    bucket_counts=[0, 0, 0, 0],
                    explicit_bounds=[0.005, 0.1, 1.0],
                    flags=metrics_v1.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK,
                ),
            ],
            aggregation_temporality=metrics_v1.AGGREGATION_TEMPORALITY_DELTA,
        ),
    )
    depth = metrics_v1.Metric(
        name="attest.queue.depth",
        gauge=metrics_v1.Gauge(data_points=[metrics_v1.NumberDataPoint(time_unix_nano=T_END, as_double=3.5)]),
    )
    batch = metrics_v1.Metric(
        name="attest.batch.size",
        exponential_histogram=metrics_v1.ExponentialHistogram(
            data_points=[
                metrics_v1.ExponentialHistogramDataPoint(
                    attributes=[kv("tenant", s("acme"))],
                    start_time_unix_nano=T_START,
                    time_unix_nano=T_END,
                    count=10,
                    sum=-2.5,
                    scale=-3,
                    zero_count=1,
                    positive=metrics_v1.ExponentialHistogramDataPoint.Buckets(offset=-2, bucket_counts=[3, 2]),
                    negative=metrics_v1.ExponentialHistogramDataPoint.Buckets(offset=5, bucket_counts=[4]),
                    min=-8.0,
                    max=4.0,
                    zero_threshold=1e-9,
                )
            ],
            aggregation_temporality=metrics_v1.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ),
    )
    quantile = metrics_v1.SummaryDataPoint.ValueAtQuantile
    verify = metrics_v1.Metric(
        name="attest.verify.seconds",
        summary=metrics_v1.Summary(
            data_points=[
                metrics_v1.SummaryDataPoint(
                    start_time_unix_nano=T_START,
                    time_unix_nano=T_END,
                    count=4,
                    sum=2.0,
                    quantile_values=[
                        quantile(quantile=0.0, value=0.1),
                        quantile(quantile=0.5, value=0.4),
                        quantile(quantile=1.0, value=1.1),
                    ],
                )
            ]
        ),
    )
    return collector_metrics.ExportMetricsServiceRequest(
        resource_metrics=[
            metrics_v1.ResourceMetrics(
                resource=resource(),
                scope_metrics=[
                    metrics_v1.ScopeMetrics(
                        scope=scope(), metrics=[total, duration, depth, batch, verify], schema_url=SCHEMA_SCOPE
                    )
                ],
                schema_url=SCHEMA_RESOURCE,
            )
        ]
    )


def logs_response():
    return collector_logs.ExportLogsServiceResponse(
        partial_success=collector_logs.ExportLogsPartialSuccess(
            rejected_log_records=2, error_message="2 log records had no body"
        )
    )


def traces_response():
    return collector_trace.ExportTraceServiceResponse(
        partial_success=collector_trace.ExportTracePartialSuccess(rejected_spans=1, error_message="1 span had no trace id")
    )


def metrics_response():
    return collector_metrics.ExportMetricsServiceResponse(
        partial_success=collector_metrics.ExportMetricsPartialSuccess(
            rejected_data_points=9_000_000_000, error_message="too many data points"
        )
    )


def spot_check_logs(m):
    r = m.resource_logs[0].scope_logs[0].log_records[0]
    assert r.event_name == "attest.login.failed", r.event_name
    assert r.severity_number == logs_v1.SEVERITY_NUMBER_WARN2 == 14, r.severity_number
    assert r.trace_id.hex() == TRACE_ID.hex() and r.span_id.hex() == SPAN_ID.hex()
    assert r.body.kvlist_value.values[1].value.int_value == 3
    assert r.attributes[2].value.int_value == -9_007_199_254_740_993
    assert r.attributes[4].value.array_value.values[4].WhichOneof("value") is None
    assert r.attributes[6].value.bytes_value == b"\x00\xff\x10\x80\x7f"


def spot_check_traces(m):
    spans = m.resource_spans[0].scope_spans[0].spans
    assert spans[0].kind == trace_v1.Span.SPAN_KIND_SERVER and spans[1].kind == trace_v1.Span.SPAN_KIND_CLIENT
    assert spans[0].flags == 0x301 and spans[0].links[0].flags == 0x101
    assert spans[0].status.code == trace_v1.Status.STATUS_CODE_ERROR
    assert [e.name for e in spans[0].events] == ["exception", "retry"]


def spot_check_metrics(m):
    ms = m.resource_metrics[0].scope_metrics[0].metrics
    assert ms[0].WhichOneof("data") == "sum" and ms[0].sum.data_points[1].as_int == -7
    assert ms[0].sum.aggregation_temporality == metrics_v1.AGGREGATION_TEMPORALITY_CUMULATIVE
    assert ms[1].histogram.data_points[0].HasField("sum") and not ms[1].histogram.data_points[1].HasField("sum")
    assert list(ms[1].histogram.data_points[0].bucket_counts) == [1, 2, 3, 0]
    assert ms[3].exponential_histogram.data_points[0].scale == -3
    assert ms[3].exponential_histogram.data_points[0].positive.offset == -2


def no_check(_):
    pass


MESSAGES = {
    "logs": (logs, spot_check_logs),
    "traces": (traces, spot_check_traces),
    "metrics": (metrics, spot_check_metrics),
    "logs-response": (logs_response, no_check),
    "traces-response": (traces_response, no_check),
    "metrics-response": (metrics_response, no_check),
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("emit", "check") or sys.argv[2] not in MESSAGES:
        sys.exit("usage: otlp_peer.py emit|check " + "|".join(MESSAGES))
    build, spot_check = MESSAGES[sys.argv[2]]
    want = build()
    if sys.argv[1] == "emit":
        sys.stdout.write(base64.b64encode(want.SerializeToString()).decode("ascii"))
        return
    data = sys.stdin.buffer.read()
    got = type(want)()
    got.ParseFromString(data)
    # Equality covers every known field; re-encoding also exposes fields Python did not know.
    same_bytes = got.SerializeToString(deterministic=True) == want.SerializeToString(deterministic=True)
    if got != want or not same_bytes:
        sys.stderr.write("MISMATCH\n--- built in Python\n" + text_format.MessageToString(want))
        sys.stderr.write("--- decoded from Swift\n" + text_format.MessageToString(got))
        sys.exit(1)
    spot_check(got)
    print("ok %s %d bytes" % (sys.argv[2], len(data)))


if __name__ == "__main__":
    main()
