"""Writes the body scripts/bench-otlp sends: one ExportLogsServiceRequest (binary protobuf, built
with the reference opentelemetry-proto package) of BATCH Claude Code records, with the attributes
Claude Code documents. Each record carries the 16-byte marker UNIQUEUNIQUEUNIQ, which the wrk
script replaces per request (same length, so the protobuf stays valid) so that no two requests
are the same records (Attest derives OTLP event ids from content, so a repeat would add nothing).
   python3 scripts/bench_otlp_body.py BATCH OUT"""

import json
import sys

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

batch, out = int(sys.argv[1]), sys.argv[2]
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]


def kv(k, v):
    if isinstance(v, bool):
        return KeyValue(key=k, value=AnyValue(bool_value=v))
    if isinstance(v, int):
        return KeyValue(key=k, value=AnyValue(int_value=v))
    return KeyValue(key=k, value=AnyValue(string_value=v))


req = ExportLogsServiceRequest()
rl = req.resource_logs.add()
rl.resource.attributes.extend([kv("service.name", "claude-code"), kv("service.version", "2.1.214"), kv("os.type", "linux")])
sl = rl.scope_logs.add()
sl.scope.name = "com.anthropic.claude_code.events"
for i in range(batch):
    r = sl.log_records.add()
    r.time_unix_nano = 1_796_137_200_000_000_000 + i * 1000
    r.observed_time_unix_nano = r.time_unix_nano
    r.body.string_value = "claude_code.tool_result"
    command = " ".join(words[(i + k) % len(words)] for k in range(8 + i % 20))
    r.attributes.extend([
        kv("event.name", "tool_result"), kv("event.timestamp", "2026-12-01T10:00:00.000Z"), kv("event.sequence", i),
        kv("prompt.id", "UNIQUEUNIQUEUNIQ"), kv("session.id", f"sess-{i % 50}"), kv("user.email", f"user-{i % 100}@example.com"),
        kv("user.account_uuid", f"acct-{i % 100}"), kv("organization.id", "org-1"), kv("terminal.type", "vscode"),
        kv("app.version", "2.1.214"), kv("tool_name", "Bash"), kv("tool_use_id", f"toolu_{i:08d}"), kv("success", "true"),
        kv("duration_ms", 10 + i % 900), kv("decision_type", "accept"), kv("decision_source", "config"),
        kv("tool_result_size_bytes", 100 + i), kv("tool_parameters", json.dumps({"bash_command": "echo", "full_command": f"echo {command}"})),
    ])
data = req.SerializeToString()
assert data.count(b"UNIQUEUNIQUEUNIQ") == batch
open(out, "wb").write(data)
print(f"{len(data)} bytes, {len(data) // batch} per record", file=sys.stderr)
