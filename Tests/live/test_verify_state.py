"""`attest verify --server URL --state FILE` against real `attest serve` processes.

An outside verifier keeps the last checkpoint it accepted. These drills change what the server
shows between two runs, the way an operator with the disk (and even the signing key) could, and
check that the verifier names the attack, exits 1 and leaves its state file untouched:

- rollback: the newest entries and checkpoints deleted (a consistent but shorter log, which
  `attest verify --data-dir` alone accepts);
- a forked history: another log signed with the same (stolen) key and origin;
- another key: a different installation answering at the same address;
- another tenant: a checkpoint of another log.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

from conftest import clean_env, event


def run_attest(attest_bin, *args: str) -> subprocess.CompletedProcess:
    """A short `attest` command, text output."""
    return subprocess.run([str(attest_bin), *args], env=clean_env(), capture_output=True, text=True, timeout=120)


def post(srv, ids: list[str]) -> None:
    s = srv.session()
    for i in ids:  # one request each: one checkpoint per event, so every size has one
        r = s.post(f"{srv.base}/v1/events", json=[event(i)], timeout=30)
        assert r.status_code == 201, f"POST {i}: {r.status_code} {r.text}"


def verify(attest_bin, srv, state: Path, *extra: str, token: str | None = None):
    return run_attest(attest_bin, "verify", "--server", srv.base, "--token", token or srv.token,
                      "--state", str(state), *extra)


def pubkey(attest_bin, data_dir: Path) -> str:
    res = run_attest(attest_bin, "pubkey", "--data-dir", str(data_dir))
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def ok(res) -> str:
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"attest verify --server exited {res.returncode}:\n{out}"
    assert res.stdout.startswith("OK "), out
    return out


def refused(res, code: str, state: Path, before: bytes) -> str:
    out = res.stdout + res.stderr
    assert res.returncode == 1, f"expected exit 1 ({code}), got {res.returncode}:\n{out}"
    assert res.stdout.startswith("FAIL ") and f": {code}: " in res.stdout, f"expected {code}:\n{out}"
    assert state.read_bytes() == before, "the state file changed although verification failed"
    return out


def saved_size(state: Path) -> int:
    return json.loads(state.read_text())["size"]


def test_follows_growth_and_pins_the_key(servers, attest_bin, tmp_path):
    srv = servers(tmp_path / "d")
    key = pubkey(attest_bin, tmp_path / "d")
    state = tmp_path / "state.json"
    post(srv, [f"g-{i}" for i in range(5)])
    out = ok(verify(attest_bin, srv, state, "--key", key))
    assert "first checkpoint seen" in out
    first = saved_size(state)
    assert first >= 5
    post(srv, [f"g-{i}" for i in range(5, 12)])
    out = ok(verify(attest_bin, srv, state))  # the key now comes from the state
    assert f"consistent with the {first} entries seen before" in out
    assert saved_size(state) >= first + 7
    out = ok(verify(attest_bin, srv, state, "--full"))
    assert "every entry verified" in out
    # No key, no state, no trust on first use: refused before anything is fetched.
    fresh = tmp_path / "fresh.json"
    res = verify(attest_bin, srv, fresh)
    assert res.returncode == 2 and "--trust-first-use" in res.stderr, res.stderr
    assert not fresh.exists()
    res = verify(attest_bin, srv, fresh, "--trust-first-use")
    ok(res)
    assert "trusting the server's key on first use" in res.stderr
    assert json.loads(fresh.read_text())["verifier_key"] == key
    # A bad token is a usage error (exit 2), not a verification failure.
    res = verify(attest_bin, srv, state, token="att_wrong")
    assert res.returncode == 2 and "HTTP 401" in res.stderr, res.stdout + res.stderr


def test_rollback_is_caught(servers, attest_bin, tmp_path):
    data = tmp_path / "d"
    srv = servers(data)
    state = tmp_path / "state.json"
    post(srv, [f"r-{i}" for i in range(40)])
    ok(verify(attest_bin, srv, state, "--key", pubkey(attest_bin, data)))
    seen = saved_size(state)
    srv.stop()
    # Someone with the disk removes the newest entries, their checkpoints and Merkle nodes.
    keep = 25
    db = sqlite3.connect(data / "ledger.sqlite")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DELETE FROM entries WHERE seq >= ?", (keep,))
    db.execute("DELETE FROM checkpoints WHERE size > ?", (keep,))
    db.execute("DELETE FROM nodes WHERE ((idx + 1) << level) > ?", (keep,))
    db.commit()
    db.close()
    (data / "ledger-index.sqlite").unlink()  # derived data; rebuilt on start
    for suffix in ("-wal", "-shm"):
        (data / f"ledger-index.sqlite{suffix}").unlink(missing_ok=True)
    # On its own, the shorter log is internally consistent: only memory catches it.
    alone = run_attest(attest_bin, "verify", "--data-dir", str(data))
    assert alone.returncode == 0, alone.stdout + alone.stderr
    srv2 = servers(data, port=srv.port)
    srv2.token = srv.token
    before = state.read_bytes()
    out = refused(verify(attest_bin, srv2, state), "rollback", state, before)
    assert f"but {seen} were seen" in out


def test_fork_signed_with_the_stolen_key_is_caught(servers, attest_bin, tmp_path):
    data = tmp_path / "d"
    srv = servers(data)
    state = tmp_path / "state.json"
    post(srv, [f"f-{i}" for i in range(10)])
    key = pubkey(attest_bin, data)
    ok(verify(attest_bin, srv, state, "--key", key))
    srv.stop()
    # Another history, longer, signed by the same key under the same origin.
    origin = key.split("+")[0]
    prefix = origin.rsplit("/", 1)[0]
    forged = tmp_path / "forged"
    forged.mkdir(mode=0o700)
    shutil.copy2(data / "signing-key", forged / "signing-key")
    events = tmp_path / "forged.ndjson"
    events.write_text("".join(json.dumps(event(f"forged-{i}", time="2026-01-01T00:00:00Z")) + "\n" for i in range(60)))
    res = run_attest(attest_bin, "append", "--data-dir", str(forged), "--origin-prefix", prefix, str(events))
    assert res.returncode == 0, res.stderr
    assert pubkey(attest_bin, forged) == key
    srv2 = servers(forged, port=srv.port)
    before = state.read_bytes()
    out = refused(verify(attest_bin, srv2, state), "fork", state, before)
    assert "does not extend" in out


def test_another_key_or_tenant_is_caught(servers, attest_bin, tmp_path):
    data = tmp_path / "d"
    srv = servers(data)
    state = tmp_path / "state.json"
    post(srv, [f"k-{i}" for i in range(4)])
    key = pubkey(attest_bin, data)
    ok(verify(attest_bin, srv, state, "--key", key))
    before = state.read_bytes()
    # Another tenant's log on the same server: its checkpoint names another origin.
    r = srv.session().post(f"{srv.base}/v1/tenants", json={"id": "other"}, timeout=30)
    assert r.status_code == 201, r.text
    refused(verify(attest_bin, srv, state, "--tenant", "other"), "origin_mismatch", state, before)
    srv.stop()
    # Another installation (another key) under the same origin, at the same address.
    prefix = key.split("+")[0].rsplit("/", 1)[0]
    other = servers(tmp_path / "other", port=srv.port, extra_args=["--origin-prefix", prefix])
    post(other, [f"o-{i}" for i in range(9)])
    refused(verify(attest_bin, other, state), "bad_signature", state, before)
    # Pinning the new key against the old state is a changed key, not silently accepted.
    refused(verify(attest_bin, other, state, "--key", pubkey(attest_bin, tmp_path / "other")), "key_changed", state, before)
