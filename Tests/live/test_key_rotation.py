"""Key rotation with real processes: `attest keys rotate` on a stopped server's data directory,
then the restarted server signs with the new key, and every verifier follows the log's own
record of the change (docs/FORMAT.md, Key rotation):

- `attest verify --server --state` (state saved under the old key) follows the rotation entry
  with a one-entry bundle and consistency proofs, and keeps the old pin valid;
- an exported bundle verifies with the old key and with the new key, in Swift and in the
  independent Python verifier written from docs/FORMAT.md;
- `attest verify --data-dir` verifies the store;
- a server started with the retired key refuses to start, naming the log and both keys;
- a ledger.key_rotation event sent by a client is refused (the action is reserved).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import clean_env, event, free_port, poll

ROOT = Path(__file__).resolve().parents[2]
INDEPENDENT = ROOT / "tools" / "independent-verifier" / "attest_verify.py"


def run(attest_bin, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(attest_bin), *args], env=clean_env(), capture_output=True, text=True, timeout=120)


def post(srv, ids: list[str]) -> None:
    s = srv.session()
    for i in ids:
        r = s.post(f"{srv.base}/v1/events", json=[event(i)], timeout=30)
        assert r.status_code == 201, f"POST {i}: {r.status_code} {r.text}"


def verify_server(attest_bin, srv, state: Path, *extra: str) -> str:
    res = run(attest_bin, "verify", "--server", srv.base, "--token", srv.token, "--state", str(state), *extra)
    out = res.stdout + res.stderr
    assert res.returncode == 0 and res.stdout.startswith("OK "), f"exit {res.returncode}:\n{out}"
    return res.stdout


def test_rotation_end_to_end(servers, attest_bin, tmp_path):
    data = tmp_path / "d"
    srv = servers(data)
    post(srv, [f"a-{i}" for i in range(6)])
    old_key = run(attest_bin, "pubkey", "--data-dir", str(data)).stdout.strip()
    state = tmp_path / "state.json"
    verify_server(attest_bin, srv, state, "--key", old_key)
    size_before = json.loads(state.read_text())["size"]
    srv.stop()

    # Rotate every log of the stopped server's data directory.
    rotated = run(attest_bin, "keys", "rotate", "--data-dir", str(data))
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert f"default: rotated at seq {size_before}:" in rotated.stdout, rotated.stdout
    retired = list(data.glob("signing-key.retired-*"))
    assert len(retired) == 1 and not (data / "signing-key.next").exists()
    assert oct(retired[0].stat().st_mode & 0o777) == "0o600"
    new_key = run(attest_bin, "pubkey", "--data-dir", str(data)).stdout.strip()
    assert new_key != old_key and new_key.split("+")[0] == old_key.split("+")[0]
    stored = run(attest_bin, "verify", "--data-dir", str(data))
    assert stored.returncode == 0 and "key rotated 1 time(s)" in stored.stdout, stored.stdout + stored.stderr

    srv2 = servers(data, port=srv.port, env=clean_env(ATTEST_VERIFY_INTERVAL_SECONDS="1"))
    srv2.token = srv.token
    post(srv2, [f"b-{i}" for i in range(4)])
    s = srv2.session()
    # The server's continuous verification follows the rotation too: the whole log, no failure.
    def verified():
        v = s.get(f"{srv2.base}/readyz", timeout=10).json().get("verification", {})
        assert v.get("status") != "failed", v
        n = v.get("logs", {}).get("default", {}).get("verified_entries", 0)
        return v if n >= size_before + 5 else None
    poll(verified, 30, "continuous verification across the rotation")
    keys = s.get(f"{srv2.base}/v1/keys", timeout=30).json()
    assert [k["verifier_key"] for k in keys["keys"]] == [old_key, new_key]
    assert keys["keys"][1]["rotation_seq"] == size_before and keys["keys"][1]["from_size"] == size_before + 1
    assert s.get(f"{srv2.base}/v1/pubkey", timeout=30).text.strip() == new_key

    # The verifier that pinned the old key follows the rotation and keeps going.
    out = verify_server(attest_bin, srv2, state)
    assert f"followed key rotation at seq {size_before}" in out, out
    saved = json.loads(state.read_text())
    assert saved["keys"] == [old_key, new_key] and saved["verifier_key"] == new_key
    post(srv2, ["c-0"])
    out = verify_server(attest_bin, srv2, state, "--key", old_key, "--full")
    assert "every entry verified" in out and "followed" not in out
    # A fresh verifier pinning the new key.
    verify_server(attest_bin, srv2, tmp_path / "fresh.json", "--key", new_key)

    # The full bundle verifies with either key, in Swift and in the independent verifier.
    bundle = tmp_path / "all.ndjson"
    bundle.write_bytes(s.get(f"{srv2.base}/v1/export", timeout=60).content)
    for key in (old_key, new_key):
        res = run(attest_bin, "verify", str(bundle), "--key", key)
        assert res.returncode == 0 and "key rotated 1 time(s)" in res.stdout, res.stdout + res.stderr
        py = subprocess.run([sys.executable, str(INDEPENDENT), str(bundle), "--key", key, "--json"],
                            capture_output=True, text=True, timeout=120)
        assert py.returncode == 0, py.stdout + py.stderr
        assert json.loads(py.stdout)["keys"] == [old_key, new_key]
    # A bundle from after the rotation names the new key; pinning the old one is refused.
    late = tmp_path / "late.ndjson"
    late.write_bytes(s.get(f"{srv2.base}/v1/export", params={"start": size_before + 2}, timeout=60).content)
    assert run(attest_bin, "verify", str(late), "--key", new_key).returncode == 0
    res = run(attest_bin, "verify", str(late), "--key", old_key)
    assert res.returncode == 1 and "key_mismatch" in res.stdout, res.stdout

    # A client cannot write a rotation entry.
    r = s.post(f"{srv2.base}/v1/events", json=[event("forged", action="ledger.key_rotation")], timeout=30)
    assert r.status_code == 400 and "reserved" in r.text, r.text
    srv2.stop()

    # A server given the retired key refuses to start and says why.
    stale = tmp_path / "stale"
    shutil.copytree(data, stale)
    (stale / "signing-key").unlink()
    shutil.copy2(retired[0], stale / "signing-key")
    res = subprocess.run([str(attest_bin), "serve", "--data-dir", str(stale), "--port", str(free_port())], env=clean_env(),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    assert "since its key rotation at seq" in res.stderr and new_key in res.stderr, res.stderr


def test_interrupted_rotation_resumes(servers, attest_bin, tmp_path):
    data = tmp_path / "d"
    srv = servers(data)
    post(srv, ["x-0"])
    srv.session().post(f"{srv.base}/v1/tenants", json={"id": "globex"}, timeout=30)
    srv.stop()
    # Simulate a run interrupted after writing the new key: signing-key.next exists.
    first = run(attest_bin, "keygen", "--origin", "attest-installation-key", "--out", str(data / "signing-key.next"))
    assert first.returncode == 0, first.stderr
    res = run(attest_bin, "keys", "rotate", "--data-dir", str(data))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "resuming the rotation" in res.stderr
    assert res.stdout.count("rotated at seq") >= 1
    verify = run(attest_bin, "verify", "--data-dir", str(data))
    assert verify.returncode == 0 and "key rotated 1 time(s)" in verify.stdout, verify.stdout + verify.stderr
