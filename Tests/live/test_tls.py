"""HTTPS with `attest serve --tls-cert C --tls-key K`: TLS 1.2 minimum, no plain HTTP on the port."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import warnings
from pathlib import Path

import pytest
import requests

from conftest import clean_env, event, free_port, run_attest, verify_data_dir


def make_cert(dir_: Path) -> tuple[Path, Path]:
    cert, key = dir_ / "cert.pem", dir_ / "key.pem"
    res = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, timeout=60)
    assert res.returncode == 0, f"openssl req failed: {res.stderr.decode(errors='replace')}"
    return cert, key


@pytest.fixture
def tls_server(servers, tmp_path):
    cert, key = make_cert(tmp_path)
    srv = servers(tmp_path / "data", extra_args=["--tls-cert", str(cert), "--tls-key", str(key)], tls_ca=cert)
    return srv, cert, key


def tls11_client_context() -> ssl.SSLContext:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 allows TLS < 1.2 only at level 0
    return ctx


def local_tls11_works(cert: Path, key: Path) -> str | None:
    """Control: can this machine's OpenSSL speak TLS 1.1 at all (to a local Python server)?

    Returns None when it can, else the reason it cannot.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            sctx.load_cert_chain(str(cert), str(key))
            sctx.minimum_version = ssl.TLSVersion.TLSv1
            sctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            cctx = tls11_client_context()
        except (ValueError, ssl.SSLError) as e:
            return f"cannot configure TLS 1.1: {e}"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    server_result: list[str] = []

    def serve():
        try:
            conn, _ = listener.accept()
            conn.settimeout(10)
            with sctx.wrap_socket(conn, server_side=True) as s:
                server_result.append(s.version() or "")
        except (OSError, ssl.SSLError) as e:
            server_result.append(f"error {e}")

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with cctx.wrap_socket(raw) as s:
                version = s.version()
    except (OSError, ssl.SSLError) as e:
        return f"local TLS 1.1 handshake failed: {e}"
    finally:
        t.join(timeout=10)
        listener.close()
    return None if version == "TLSv1.1" else f"local handshake negotiated {version}"


def test_https_with_pinned_ca_round_trips_an_event(tls_server, attest_bin):
    srv, cert, _ = tls_server
    assert srv.base.startswith("https://")
    s = srv.session()  # verify= the self-signed certificate, nothing else trusted
    r = s.post(srv.base + "/v1/events", json=event("tls-1", request={"args": {"password": "pw"}}), timeout=30)
    assert r.status_code == 201, r.text
    assert [rc["id"] for rc in r.json()["receipts"]] == ["tls-1"]
    r = s.get(srv.base + "/v1/events/tls-1", timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["event"]["id"] == "tls-1"
    assert body["event"]["request"]["args"]["password"]["hmac"].startswith("hmac-sha256:")
    assert body["proof"]["tree_size"] >= 1
    # Without the pinned CA the certificate is not trusted: the client really verifies it.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(srv.base + "/healthz", timeout=10)
    srv.stop()
    verify_data_dir(attest_bin, srv.data_dir)


def test_tls12_and_tls13_are_accepted(tls_server):
    srv, cert, _ = tls_server
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.minimum_version = version
        ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                reply = b""
                while chunk := s.recv(4096):
                    reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def test_tls11_client_is_refused(tls_server):
    srv, cert, key = tls_server
    reason = local_tls11_works(cert, key)
    if reason is not None:
        pytest.skip(f"this machine's OpenSSL cannot act as a TLS 1.1 client, so the server's refusal "
                    f"cannot be tested: {reason}")
    ctx = tls11_client_context()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError) as info:
            with ctx.wrap_socket(raw) as s:
                pytest.fail(f"attest accepted a {s.version()} handshake")
    # The server said no with a TLS alert (protocol_version), not our own OpenSSL.
    assert "ALERT" in (info.value.reason or ""), f"not refused by the server: {info.value!r}"
    assert srv.alive(), "the server died after a TLS 1.1 handshake\n" + srv.logs()
    assert srv.session().get(srv.base + "/healthz", timeout=10).status_code == 200


def test_plain_http_to_the_tls_port_fails(tls_server):
    srv, _, _ = tls_server
    plain = f"http://127.0.0.1:{srv.port}"
    try:
        r = requests.get(plain + "/healthz", timeout=10)
    except requests.RequestException:
        pass  # refused, reset or garbage: what we expect
    else:
        pytest.fail(f"plain HTTP to the TLS port was answered: {r.status_code} {r.text[:200]!r}")
    try:
        r = requests.post(plain + "/v1/events", json=event("plain-1"),
                          headers={"Authorization": f"Bearer {srv.token}"}, timeout=10)
    except requests.RequestException:
        pass
    else:
        pytest.fail(f"plain HTTP POST to the TLS port was answered: {r.status_code} {r.text[:200]!r}")
    # Nothing came in that way, and the server still serves HTTPS.
    s = srv.session()
    assert s.get(srv.base + "/v1/events/plain-1", timeout=10).status_code == 404
    assert srv.alive()
    assert s.get(srv.base + "/healthz", timeout=10).status_code == 200


@pytest.mark.parametrize("flags,names", [
    (["--tls-cert", "CERT"], ["tls"]),
    (["--tls-key", "KEY"], ["tls"]),
])
def test_tls_cert_without_key_is_a_usage_error(attest_bin, tmp_path, flags, names):
    cert, key = make_cert(tmp_path)
    args = [a.replace("CERT", str(cert)).replace("KEY", str(key)) for a in flags]
    res = run_attest(attest_bin, "serve", "--data-dir", str(tmp_path / "data"), "--port", str(free_port()),
                     *args, cwd=tmp_path, env=clean_env(), timeout=60)
    out = (res.stdout + res.stderr).decode(errors="replace")
    assert res.returncode == 2, f"exit {res.returncode}: {out}"
    assert "tls.cert" in out and "tls.key" in out, f"message does not name the problem: {out!r}"


def test_unreadable_certificate_is_refused(attest_bin, tmp_path):
    _, key = make_cert(tmp_path)
    res = run_attest(attest_bin, "serve", "--data-dir", str(tmp_path / "data"), "--port", str(free_port()),
                     "--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", str(key), cwd=tmp_path, timeout=60)
    out = (res.stdout + res.stderr).decode(errors="replace")
    assert res.returncode == 2, f"exit {res.returncode} with a missing certificate: {out}"
    assert "missing.pem" in out, f"message does not name the file: {out!r}"
