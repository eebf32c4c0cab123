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


def test_ecdsa_key_then_rotation_to_ed25519_in_the_token(servers, attest_bin, tmp_path):
    """A token without EdDSA gets an ECDSA P-256 key (forced here with --algorithm, since SoftHSM2
    has EdDSA); its type-0x02 signatures verify in Swift and in the independent verifier. Then
    `attest keys rotate --new-key-label` moves the log to an Ed25519 key in the same token."""
    import json
    import sys
    from pathlib import Path

    env = hsm_env()
    old_label = env["ATTEST_HSM_KEY_LABEL"]
    res = subprocess.run([str(attest_bin), "keys", "hsm-init", "--algorithm", "ecdsa-p256", "--origin", "hsm.live/default"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "made ECDSA P-256 key" in res.stdout, res.stdout + res.stderr
    ecdsa_key = next(l.split(": ", 1)[1] for l in res.stdout.splitlines() if l.startswith("verifier key of hsm.live/default"))
    import base64
    assert base64.b64decode(ecdsa_key.split("+", 2)[2])[0] == 0x02
    data = tmp_path / "d"
    srv = servers(data, env=env, extra_args=["--origin-prefix", "hsm.live", "--sign-entries"])
    s = srv.session()
    assert s.post(f"{srv.base}/v1/events", json=[event(f"e-{i}") for i in range(5)], timeout=30).status_code == 201
    assert s.get(f"{srv.base}/v1/pubkey", timeout=10).text.strip() == ecdsa_key
    srv.stop()

    new_label = "live-" + uuid.uuid4().hex[:8]
    new_env = dict(env, ATTEST_HSM_KEY_LABEL=new_label)
    res = subprocess.run([str(attest_bin), "keys", "hsm-init", "--algorithm", "ed25519", "--origin", "hsm.live/default"],
                         env=new_env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "made Ed25519 key" in res.stdout, res.stdout + res.stderr
    ed_key = next(l.split(": ", 1)[1] for l in res.stdout.splitlines() if l.startswith("verifier key of hsm.live/default"))
    res = subprocess.run([str(attest_bin), "keys", "rotate", "--data-dir", str(data), "--new-key-label", new_label, "--sign-entries"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "default: rotated at seq 5" in res.stdout, res.stdout + res.stderr
    # The old label no longer starts the server; the new one does.
    res = subprocess.run([str(attest_bin), "serve", "--data-dir", str(data), "--port", str(free_port()), "--origin-prefix", "hsm.live"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "since its key rotation at seq 5" in res.stderr, res.stderr
    srv2 = servers(data, env=new_env, extra_args=["--origin-prefix", "hsm.live", "--sign-entries"], port=srv.port)
    srv2.token = srv.token
    s = srv2.session()
    assert s.post(f"{srv2.base}/v1/events", json=[event(f"f-{i}") for i in range(3)], timeout=30).status_code == 201
    bundle = tmp_path / "bundle.ndjson"
    bundle.write_bytes(s.get(f"{srv2.base}/v1/export", timeout=30).content)
    independent = Path(__file__).resolve().parents[2] / "tools" / "independent-verifier" / "attest_verify.py"
    for key in (ecdsa_key, ed_key):
        res = subprocess.run([str(attest_bin), "verify", str(bundle), "--key", key, "--require-entry-signatures"],
                             env=clean_env(), capture_output=True, text=True)
        assert res.returncode == 0 and "key rotated 1 time(s)" in res.stdout, res.stdout + res.stderr
        py = subprocess.run([sys.executable, str(independent), str(bundle), "--key", key, "--json"],
                            capture_output=True, text=True, timeout=60)
        assert py.returncode == 0 and json.loads(py.stdout)["keys"] == [ecdsa_key, ed_key], py.stdout + py.stderr
    assert old_label != new_label
