"""OTLP/HTTP logs from the real OpenTelemetry Python SDK (opentelemetry-sdk with the
otlp-proto-http exporter, gzip on) into a running `attest serve`: every record becomes a ledger
event (a mapped Claude Code event, or a telemetry event for a record no rule knows), with every
attribute kept. Then the
refusals: a wrong content type (415), a body that is not protobuf (400 with a google.rpc.Status),
no token (401); none of them writes anything."""

from __future__ import annotations

import logging

import requests
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from conftest import poll


def test_sdk_logs_become_ledger_events(servers, tmp_path):
    srv = servers(tmp_path / "d")
    exporter = OTLPLogExporter(endpoint=f"{srv.base}/v1/logs", headers={"Authorization": f"Bearer {srv.token}"},
                               compression=Compression.Gzip, timeout=30)
    provider = LoggerProvider(resource=Resource.create({"service.name": "claude-code", "service.version": "2.1.0"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    log = logging.getLogger("attest.otlp.test")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=provider))
    for i in range(5):
        log.info("tool finished", extra={"event.name": "claude_code.tool_result", "user.email": "dev@example.com",
                                         "session.id": f"sess-{i % 2}", "tool_name": "Bash", "success": "true",
                                         "duration_ms": 12.5 + i})
    log.warning("something else")
    assert provider.force_flush(30_000)
    provider.shutdown()

    s = srv.session()

    def events(action: str):
        r = s.get(f"{srv.base}/v1/events", params={"action": action, "order": "asc"}, timeout=10)
        return r.json()["items"] if r.status_code == 200 and r.json()["items"] else None

    # claude_code.tool_result is a mapped event (docs/OTLP.md): a tool call by the agent for the user.
    tool = poll(lambda: (lambda items: items if items and len(items) == 5 else None)(events("tool.execute")), 15,
                "five tool_result events")
    e = tool[0]["event"]
    assert e["category"] == "tool_call"
    assert e["actor"] == {"type": "agent", "id": "claude-code", "name": "claude-code"}
    assert e["on_behalf_of"] == {"id": "dev@example.com"}
    assert e["outcome"] == {"status": "success"} and e["resource"]["name"] == "Bash"
    assert e["session"]["id"] == "sess-0"
    assert e["source"] == {"ingest": "otlp", "system": "claude-code", "version": "2.1.0"}
    otlp = e["attributes"]["otlp"]
    assert otlp["attributes"]["tool_name"] == "Bash" and otlp["attributes"]["duration_ms"] == 12.5
    assert otlp["body"] == "tool finished" and otlp["severity_text"] == "INFO"
    assert otlp["resource"]["service.name"] == "claude-code"
    other = poll(lambda: events("telemetry.log"), 15, "the record without an event name")
    assert other[0]["event"]["attributes"]["otlp"]["severity_text"] == "WARN"

    size = int(s.get(f"{srv.base}/v1/checkpoint", timeout=10).text.split("\n")[1])
    r = requests.post(f"{srv.base}/v1/logs", data=b"{}", headers={"Authorization": f"Bearer {srv.token}",
                                                                   "Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 415, r.text
    r = requests.post(f"{srv.base}/v1/logs", data=b"\xff\xff\xff not protobuf",
                      headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "application/x-protobuf"}, timeout=10)
    assert r.status_code == 400 and r.headers["Content-Type"] == "application/x-protobuf", (r.status_code, r.headers)
    from google.rpc import status_pb2  # noqa: PLC0415 (googleapis-common-protos comes with the exporter)
    status = status_pb2.Status.FromString(r.content)
    assert status.code == 3 and "ExportLogsServiceRequest" in status.message
    r = requests.post(f"{srv.base}/v1/logs", data=b"", headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert r.status_code == 401
    # The refusals wrote nothing (reads of the checkpoint and events above are recorded, so compare
    # what only the refused requests could have added: no new telemetry events).
    assert len(events("telemetry.log")) == 1
    assert int(s.get(f"{srv.base}/v1/checkpoint", timeout=10).text.split("\n")[1]) >= size
