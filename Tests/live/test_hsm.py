"""`attest serve` signing inside a real PKCS#11 token (SoftHSM2, initialized by scripts/test): the key
is made by `attest keys hsm-init`, no signing-key file is ever written, and an export verifies with
the key hsm-init printed."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from conftest import clean_env, event, free_port

HSM_VARS = ("ATTEST_TEST_HSM_MODULE", "ATTEST_TEST_HSM_TOKEN", "ATTEST_TEST_HSM_PIN", "SOFTHSM2_CONF")


def hsm_env() -> dict[str, str]:
    missing = [v for v in HSM_VARS if v not in os.environ]
    if missing:
        if os.environ.get("ATTEST_INTEGRATION") == "1":
            pytest.fail(f"HSM test needs {', '.join(missing)} (scripts/test sets them)")
        pytest.skip(f"HSM test needs {', '.join(missing)} (scripts/test sets them)")
    return clean_env(SOFTHSM2_CONF=os.environ["SOFTHSM2_CONF"], ATTEST_HSM_MODULE=os.environ["ATTEST_TEST_HSM_MODULE"],
                     ATTEST_HSM_TOKEN_LABEL=os.environ["ATTEST_TEST_HSM_TOKEN"], ATTEST_HSM_PIN=os.environ["ATTEST_TEST_HSM_PIN"],
                     ATTEST_HSM_KEY_LABEL="live-" + uuid.uuid4().hex[:8])


def test_serve_signs_in_the_token(servers, attest_bin, tmp_path):
    env = hsm_env()
    res = subprocess.run([str(attest_bin), "keys", "hsm-init", "--origin", "hsm.live/default"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "not extractable" in res.stdout
    vkey = next(l.split(": ", 1)[1] for l in res.stdout.splitlines() if l.startswith("verifier key of hsm.live/default"))
    data = tmp_path / "d"
    srv = servers(data, env=env, extra_args=["--origin-prefix", "hsm.live"])
    s = srv.session()
    r = s.post(f"{srv.base}/v1/events", json=[event(f"h-{i}") for i in range(12)], timeout=30)
    assert r.status_code == 201, r.text
    assert s.get(f"{srv.base}/v1/pubkey", timeout=10).text.strip() == vkey
    assert not (data / "signing-key").exists(), "a software signing key was written although the HSM signs"
    bundle = tmp_path / "bundle.ndjson"
    bundle.write_bytes(s.get(f"{srv.base}/v1/export", timeout=30).content)
    res = subprocess.run([str(attest_bin), "verify", str(bundle), "--key", vkey], env=clean_env(), capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("OK hsm.live/default"), res.stdout + res.stderr
    # A wrong PIN is refused at start, naming the problem.
    bad = dict(env, ATTEST_HSM_PIN="0000")
    srv.stop()
    res = subprocess.run([str(attest_bin), "serve", "--data-dir", str(data), "--port", str(free_port())], env=bad,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "C_Login" in res.stderr, res.stderr
    assert "0000" not in res.stderr, "the PIN was printed"
