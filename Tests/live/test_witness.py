"""Witnesses against real processes: `attest witness serve` (C2SP tlog-witness) cosigning the
checkpoints an `attest serve --witness URL=VKEY` submits, and the split-view drill: a second
server holding another history under the same key and origin (a stolen key) shows it to a client.
That client alone cannot tell; requiring a witness cosignature (`--min-witnesses 1`) catches it,
because the witness refuses to cosign a history that does not extend the one it saw."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import requests

from conftest import clean_env, event, free_port, poll


def run(attest_bin, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(attest_bin), *args], env=clean_env(), capture_output=True, text=True, timeout=120)




def test_witness_cosigns_and_catches_a_split_view(servers, attest_bin, tmp_path):
    wkey = tmp_path / "witness-key"
    res = run(attest_bin, "witness", "keygen", "--name", "witness.test/w1", "--out", str(wkey))
    assert res.returncode == 0, res.stderr
    wvkey = res.stdout.strip()
    wport = free_port()
    wurl = f"http://127.0.0.1:{wport}"

    # The real log: its key exists once it has started.
    log_dir = tmp_path / "log"
    srv = servers(log_dir, extra_args=["--origin-prefix", "live.test", "--witness", f"{wurl}={wvkey}"])
    lvkey = run(attest_bin, "pubkey", "--data-dir", str(log_dir)).stdout.strip()
    wout = open(tmp_path / "witness.stderr", "wb")
    witness = subprocess.Popen([str(attest_bin), "witness", "serve", "--key", str(wkey), "--log", lvkey,
                                "--data-dir", str(tmp_path / "witness"), "--port", str(wport)],
                               env=clean_env(), stdout=wout, stderr=wout)
    try:
        def healthy():
            if witness.poll() is not None:
                return True
            try:
                return requests.get(f"{wurl}/healthz", timeout=2).ok
            except requests.ConnectionError:
                return False

        poll(healthy, 20, "the witness")
        assert witness.poll() is None, (tmp_path / "witness.stderr").read_text()
        s = srv.session()
        for i in range(6):
            assert s.post(f"{srv.base}/v1/events", json=[event(f"real-{i}")], timeout=30).status_code == 201
            time.sleep(0.3)

        def cosigned():
            r = s.get(f"{srv.base}/v1/checkpoint", params={"witnessed": 1}, timeout=10)
            return r.text if r.status_code == 200 and "— witness.test/w1 " in r.text else None

        note = poll(cosigned, 30, "a cosigned checkpoint")
        assert note.startswith("live.test/default\n")
        state = tmp_path / "client1.json"
        res = run(attest_bin, "verify", "--server", srv.base, "--token", srv.token, "--state", str(state),
                  "--key", lvkey, "--witness", wvkey, "--min-witnesses", "1")
        assert res.returncode == 0 and "cosigned by 1+ witness" in res.stdout, res.stdout + res.stderr
        seen = json.loads(state.read_text())["size"]
        # A wrong witness key: its cosignature does not count.
        other = run(attest_bin, "witness", "keygen", "--name", "witness.test/w1", "--out", str(tmp_path / "other-key")).stdout.strip()
        res = run(attest_bin, "verify", "--server", srv.base, "--token", srv.token, "--state", str(tmp_path / "c3.json"),
                  "--key", lvkey, "--witness", other, "--min-witnesses", "1")
        assert res.returncode == 1 and "not_witnessed" in res.stdout, res.stdout + res.stderr

        # The forged server: same key and origin, another and longer history, same witness.
        forged_dir = tmp_path / "forged"
        forged_dir.mkdir(mode=0o700)
        shutil.copy2(log_dir / "signing-key", forged_dir / "signing-key")
        forged = servers(forged_dir, extra_args=["--origin-prefix", "live.test", "--witness", f"{wurl}={wvkey}"])
        assert run(attest_bin, "pubkey", "--data-dir", str(forged_dir)).stdout.strip() == lvkey
        fs = forged.session()
        assert fs.post(f"{forged.base}/v1/events", json=[event(f"forged-{i}") for i in range(seen + 20)], timeout=30).status_code == 201
        poll(lambda: "a witness refused" in forged.stderr(), 30, "the witness to refuse the forged history")
        assert "422" in (tmp_path / "witness.stderr").read_text() or "status=422" in forged.stderr()
        # A client that sees only the forged server and requires no witness is fooled (a split view) ...
        res = run(attest_bin, "verify", "--server", forged.base, "--token", forged.token, "--state", str(tmp_path / "c2.json"),
                  "--key", lvkey)
        assert res.returncode == 0, res.stdout + res.stderr
        # ... one that requires a witness cosignature is not.
        res = run(attest_bin, "verify", "--server", forged.base, "--token", forged.token, "--state", str(tmp_path / "c4.json"),
                  "--key", lvkey, "--witness", wvkey, "--min-witnesses", "1")
        assert res.returncode == 1 and "not_witnessed" in res.stdout, res.stdout + res.stderr
        # And the first client, following the forged server, sees the fork.
        res = run(attest_bin, "verify", "--server", forged.base, "--token", forged.token, "--state", str(state), "--key", lvkey)
        assert res.returncode == 1 and ": fork: " in res.stdout, res.stdout + res.stderr
        # The real log is still cosigned as it grows.
        assert s.post(f"{srv.base}/v1/events", json=[event("real-late")], timeout=30).status_code == 201
        poll(lambda: (lambda r: r.status_code == 200 and int(r.text.split("\n")[1]) > seen)(
            s.get(f"{srv.base}/v1/checkpoint", params={"witnessed": 1}, timeout=10)), 30, "a newer cosigned checkpoint")
    finally:
        witness.terminate()
        try:
            witness.wait(timeout=10)
        except subprocess.TimeoutExpired:
            witness.kill()
        wout.close()
