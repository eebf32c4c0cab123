"""Fuzz a running `attest serve` from its own OpenAPI document (GET /openapi.yaml) with Schemathesis.

Written against Schemathesis 4.32.5 (CLI `python -m schemathesis.cli run`; the CLI is the stable
interface across 4.x, the Python API is not). Checks: no 5xx, documented status codes, responses
(bodies, content types, headers) that conform to the document. A fixed seed, one worker and at most
ATTEST_FUZZ_MAX_EXAMPLES (default 30) examples per operation and phase keep it repeatable and short.
Afterwards the server must stop cleanly and `attest verify --data-dir` must still pass: nothing the
fuzzer sent may have damaged the ledger.

Two runs, against one server and one super_admin token:
  1. every operation except DELETE /v1/tokens/{name}. In a single run the stateful phase follows
     the inferred link GET /v1/tokens -> DELETE /v1/tokens/{name}, revokes the fuzzer's own token
     (a legitimate request) and every later request gets 401, which tests nothing;
  2. DELETE /v1/tokens/{name} alone, last.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import verify_data_dir

SEED = os.environ.get("ATTEST_FUZZ_SEED", "20261123")
MAX_EXAMPLES = os.environ.get("ATTEST_FUZZ_MAX_EXAMPLES", "30")
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "content_type_conformance",
    "response_headers_conformance",
])


def schemathesis(srv, workdir, label: str, *selection: str) -> tuple[int, str]:
    args = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{srv.base}/openapi.yaml",
        "--header", f"Authorization: Bearer {srv.token}",
        "--checks", CHECKS,
        "--max-examples", MAX_EXAMPLES,
        "--seed", SEED,
        "--workers", "1",
        "--request-timeout", "30",
        "--generation-database", "none",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(workdir / f"schemathesis-{label}.xml"),
        *selection,
    ]
    try:
        res = subprocess.run(args, cwd=workdir, capture_output=True, timeout=900,
                             env={**os.environ, "NO_COLOR": "1", "COLUMNS": "160"})
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        raise AssertionError(f"schemathesis ({label}) did not finish in 900 s:\n{out[-5000:]}")
    out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    (workdir / f"schemathesis-{label}.txt").write_text(out)
    return res.returncode, out


def count_tested_operations(out: str) -> int:
    m = re.search(r"Tested:\s+(\d+)", out)
    return int(m.group(1)) if m else -1


def test_fuzz_from_openapi(servers, tmp_path, attest_bin):
    srv = servers(tmp_path / "data", name="fuzzed")
    runs = [
        ("all-but-delete", schemathesis(srv, tmp_path, "all-but-delete", "--exclude-method", "DELETE"), 22),
        ("delete-token", schemathesis(srv, tmp_path, "delete-token", "--include-method", "DELETE"), 1),
    ]
    assert srv.alive(), "the server died while being fuzzed\n" + srv.logs()
    problems = []
    for label, (code, out), expected_ops in runs:
        print(f"===== schemathesis {label}: exit {code}\n{out}")
        if code != 0:
            failures = out[out.find("FAILURES"):] if "FAILURES" in out else out[-6000:]
            problems.append(f"schemathesis {label} exited {code}:\n{failures[:12000]}")
        if count_tested_operations(out) != expected_ops:
            problems.append(f"schemathesis {label} tested {count_tested_operations(out)} operations, not {expected_ops}")
        if "Authentication failed" in out:
            problems.append(f"schemathesis {label}: requests were refused as unauthenticated: the token was "
                            "not used or was revoked, so the operations were not really tested")
    srv.stop()
    verify_data_dir(attest_bin, srv.data_dir)
    assert not problems, "\n\n".join(problems)
