"""attest-load, the load driver of scripts/bench, against a running `attest serve`: its events are
valid and varied, and what it reports is what the ledger holds (every event it counts as sent is
in the log, no more), in closed-loop and fixed-rate modes, for REST and OTLP; queries and proofs;
failures exit non-zero naming the first one."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import clean_env, run_attest


@pytest.fixture(scope="module")
def load_bin(attest_bin):
    path = attest_bin.parent / "attest-load"
    if not path.is_file():
        pytest.fail(f"attest-load not found next to {attest_bin} (swift build --product attest-load)")
    return path


def run_load(load_bin, *args, token=None, timeout=120):
    env = clean_env(**({"ATTEST_TOKEN": token} if token else {}))
    return subprocess.run([str(load_bin), *args], env=env, capture_output=True, text=True, timeout=timeout)


def bench_line(out: str) -> dict[str, str]:
    lines = [line for line in out.splitlines() if line.startswith("BENCH ")]
    assert len(lines) == 1, out
    return dict(token.split("=", 1) for token in lines[0].split()[1:] if "=" in token)


def log_size(srv) -> int:
    return int(srv.session().get(f"{srv.base}/v1/checkpoint").text.split("\n")[1])


def test_sample_events_are_valid_and_varied(load_bin, attest_bin, tmp_path):
    r = run_load(load_bin, "sample", "--count", "600")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 600
    events = [json.loads(line) for line in lines]
    sizes = [len(line.encode()) for line in lines]
    assert min(sizes) >= 300 and max(sizes) <= 1600, (min(sizes), max(sizes))
    assert sum(sizes) / len(sizes) > 700  # spread over the range, not bunched at the small end
    assert len({e["actor"]["id"] for e in events}) > 100
    assert len({e["category"] for e in events}) >= 6
    assert any("files" in e["request"]["args"] for e in events)
    # The same seed gives the same events (figures of two runs are comparable).
    assert run_load(load_bin, "sample", "--count", "600").stdout == r.stdout
    # Every one is a valid event for the ledger.
    (tmp_path / "events.ndjson").write_text(r.stdout)
    a = run_attest(attest_bin, "append", "--data-dir", str(tmp_path / "d"), str(tmp_path / "events.ndjson"))
    assert a.returncode == 0, a.stderr
    assert b"appended 600 event(s)" in a.stdout + a.stderr


def test_ingest_reports_what_the_ledger_holds(load_bin, servers, tmp_path):
    srv = servers(tmp_path / "d")
    before = log_size(srv)
    r = run_load(load_bin, "ingest", "--server", srv.base, "--batch", "10", "--connections", "3",
                 "--duration", "1.5", "--warmup", "0.5", "--series", "t", "--watch-pid", str(srv.proc.pid),
                 token=srv.token)
    assert r.returncode == 0, r.stderr
    b = bench_line(r.stdout)
    assert b["load"] == "ingest" and b["series"] == "t" and b["batch"] == "10" and b["connections"] == "3"
    assert b["errors"] == "0"
    assert int(b["requests"]) > 0 and int(b["events"]) == 10 * int(b["requests"])
    # Every event sent, warm-up included, was acknowledged and is in the log.
    assert log_size(srv) - before == int(b["sent_events"]) == 10 * int(b["sent_requests"])
    assert int(b["sent_events"]) > int(b["events"])  # the warm-up was sent but not counted
    p = [float(b[k]) for k in ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")]
    assert 0 < p[0] <= p[1] <= p[2] <= p[3] <= p[4] < 10_000
    assert int(b["events_per_s"]) == pytest.approx(int(b["events"]) / float(b["seconds"]), rel=0.01)
    assert int(b["rss_after_mb"]) > 0


def test_fixed_rate_sends_on_schedule(load_bin, servers, tmp_path):
    srv = servers(tmp_path / "d")
    before = log_size(srv)
    r = run_load(load_bin, "ingest", "--server", srv.base, "--batch", "1", "--connections", "4", "--rate", "40",
                 "--threads", "1", "--duration", "2", "--warmup", "0.5", token=srv.token)
    assert r.returncode == 0, r.stderr
    b = bench_line(r.stdout)
    assert b["rate"] == "40" and b["threads"] == "1"
    # 40 requests/s for 2.5 s, warm-up included: 100 due, every one sent and in the log.
    assert int(b["sent_requests"]) == 100, b
    assert int(b["requests"]) == 80, b
    assert log_size(srv) - before == 100


def test_otlp_records_and_queries(load_bin, servers, tmp_path):
    srv = servers(tmp_path / "d")
    before = log_size(srv)
    r = run_load(load_bin, "otlp", "--server", srv.base, "--batch", "5", "--connections", "2",
                 "--duration", "1", "--warmup", "0.2", token=srv.token)
    assert r.returncode == 0, r.stderr
    b = bench_line(r.stdout)
    assert b["load"] == "otlp" and b["errors"] == "0" and int(b["records"]) > 0
    # The records of every request differ (Attest derives OTLP event ids from content): all are new.
    assert log_size(srv) - before == int(b["sent_records"])
    items = srv.session().get(f"{srv.base}/v1/events", params={"limit": 1}).json()["items"]
    assert items[0]["event"]["source"]["ingest"] == "otlp"

    q = run_load(load_bin, "query", "--server", srv.base, "--filter", "session", "--connections", "1",
                 "--duration", "1", "--warmup", "0", token=srv.token)
    assert q.returncode == 0, q.stderr
    qb = bench_line(q.stdout)
    assert qb["load"] == "query" and qb["filter"] == "session" and int(qb["pages"]) > 0 and qb["errors"] == "0"

    size = log_size(srv)
    for kind in ("inclusion", "consistency"):
        p = run_load(load_bin, "proof", "--server", srv.base, "--kind", kind, "--connections", "2",
                     "--duration", "1", "--warmup", "0", token=srv.token)
        assert p.returncode == 0, p.stderr
        pb = bench_line(p.stdout)
        assert pb["kind"] == kind and int(pb["log_size"]) >= size and int(pb["proofs"]) > 0 and pb["errors"] == "0"


def test_failures_exit_nonzero_naming_the_first(load_bin, servers, tmp_path):
    srv = servers(tmp_path / "d")
    r = run_load(load_bin, "ingest", "--server", srv.base, "--duration", "0.5", "--warmup", "0", token="att_wrong_token_0000000000")
    assert r.returncode == 1
    assert "HTTP 401" in r.stderr
    assert bench_line(r.stdout)["errors"] != "0"
    r = run_load(load_bin, "query", "--server", srv.base, "--filter", "bogus", token=srv.token)
    assert r.returncode != 0 and "bogus" in r.stderr
    r = run_load(load_bin, "ingest", "--connections", "0", "--duration", "-1", "--threads", "0")
    assert r.returncode != 0 and "--connections" in r.stderr and "--duration" in r.stderr and "--threads" in r.stderr
    # Nothing listening: every request fails, and the run says so.
    r = run_load(load_bin, "ingest", "--server", "http://127.0.0.1:9", "--duration", "0.3", "--warmup", "0")
    assert r.returncode == 1 and "failed" in r.stderr
