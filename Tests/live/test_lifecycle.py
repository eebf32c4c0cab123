"""Start, stop and configuration of `attest serve` as a person runs it."""

from __future__ import annotations

import random
import stat
import threading
import time
from pathlib import Path

import requests

from conftest import TOKEN_RE, clean_env, encode_batch, free_port, run_attest, verify_data_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP LISTEN socket on `port`, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            addr, p = fields[1].split(":")
            if int(p, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                if len(addr) == 8:
                    found.add(".".join(str(b) for b in reversed(bytes.fromhex(addr))))
                else:
                    found.add(addr)
    return found


def test_zero_config_start(servers, tmp_path, attest_bin):
    cwd = tmp_path / "empty"
    cwd.mkdir()
    srv = servers(None, name="first", cwd=cwd)  # attest serve --port P, nothing else
    data = cwd / "attest-data"
    assert data.is_dir(), f"no ./attest-data in the working directory: {list(cwd.iterdir())}"
    assert mode(data) == 0o700, oct(mode(data))
    for name in ("admin-token", "signing-key", "hmac-secret"):
        assert (data / name).is_file(), f"{name} missing: {sorted(p.name for p in data.iterdir())}"
        assert mode(data / name) == 0o600, f"{name} has mode {oct(mode(data / name))}"
    assert (data / "ledger.sqlite").is_file()

    token = (data / "admin-token").read_text().strip()
    printed = wait_for(lambda: TOKEN_RE.findall(srv.stdout()), 10, "the token on standard output")
    assert printed == [token], f"printed {printed}, file has {token!r}"
    assert token not in srv.stderr(), "the token was logged on standard error"

    # Loopback only, by default: the log line says so and the one listening socket is 127.0.0.1.
    assert f"127.0.0.1:{srv.port}" in srv.stderr() + srv.stdout()
    assert listening_addresses(srv.port) == {"127.0.0.1"}
    s = srv.session()
    assert s.get(srv.base + "/v1/tokens", timeout=10).status_code == 200
    assert requests.get(srv.base + "/v1/tokens", timeout=10).status_code == 401
    srv.stop()

    # Second start: same data, no token printed, nothing overwritten.
    before = {n: (data / n).read_bytes() for n in ("admin-token", "signing-key", "hmac-secret")}
    again = servers(None, name="second", cwd=cwd)
    assert again.token == token
    r = again.session().get(again.base + "/v1/tokens", timeout=10)
    assert r.status_code == 200, "the first token no longer works after a restart"
    again.stop()
    assert not TOKEN_RE.findall(again.stdout() + again.stderr()), f"a token was printed again:\n{again.logs()}"
    assert {n: (data / n).read_bytes() for n in before} == before
    verify_data_dir(attest_bin, data)


def test_sigterm_during_ingest_exits_0_and_keeps_every_ack(servers, tmp_path, attest_bin):
    data = tmp_path / "data"
    srv = servers(data, name="term")
    lock = threading.Lock()
    acked: set[str] = set()
    unexpected: list[str] = []
    stop = threading.Event()

    def client(c: int):
        rng = random.Random(c)
        s = srv.session()
        n = 0
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            size = rng.randint(1, 50)
            ids = [f"term-c{c}-{n + i}" for i in range(size)]
            n += size
            body, headers = encode_batch([{"id": i, "action": "test.term", "actor": {"id": f"c{c}"}} for i in ids],
                                         rng.choice(["array", "ndjson"]), rng.random() < 0.3)
            try:
                r = s.post(srv.base + "/v1/events", data=body, headers=headers, timeout=20)
            except requests.RequestException:
                if not srv.alive():
                    return
                continue
            if r.status_code in (200, 201):
                got = [x["id"] for x in r.json()["receipts"]]
                with lock:
                    if got == ids:
                        acked.update(ids)
                    else:
                        unexpected.append(f"receipts {got[:3]} for {ids[:3]}")
            elif r.status_code != 503:
                with lock:
                    unexpected.append(f"{r.status_code} {r.text[:300]}")

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(6)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(acked) >= 300, 60, "300 acknowledged events before SIGTERM")
        started = time.monotonic()
        code = srv.terminate(timeout=10)
        took = time.monotonic() - started
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    assert code == 0, f"exit status {code} after SIGTERM ({took:.2f}s)\n" + srv.logs()
    assert not unexpected, unexpected[:10]

    again = servers(data, name="after-term")
    ids = again.exported_ids()
    missing = acked - set(ids)
    assert not missing, f"{len(missing)} acknowledged events lost by a SIGTERM stop, e.g. {sorted(missing)[:10]}"
    assert len(ids) == len(set(ids)), "an id appears twice in the log"
    again.stop()
    verify_data_dir(attest_bin, data)


def bad_start(attest_bin: Path, tmp_path: Path, *args: str, env: dict | None = None):
    res = run_attest(attest_bin, "serve", "--data-dir", str(tmp_path / "data"), *args, cwd=tmp_path,
                     env=env or clean_env(), timeout=60)
    return res.returncode, (res.stdout + res.stderr).decode(errors="replace")


def test_port_0_is_refused(attest_bin, tmp_path):
    code, out = bad_start(attest_bin, tmp_path, "--port", "0")
    assert code == 2, f"exit {code}: {out}"
    assert "port" in out and "0" in out, out


def test_unknown_yaml_key_is_refused(attest_bin, tmp_path):
    config = tmp_path / "attest.yaml"
    config.write_text(f"port: {free_port()}\nlimits:\n  max_body_bytes: 1048576\n  bogus_limit: 3\nfrobnicate: true\n")
    code, out = bad_start(attest_bin, tmp_path, "--config", str(config))
    assert code == 2, f"exit {code}: {out}"
    assert "frobnicate" in out and "limits.bogus_limit" in out, f"not every unknown key is named: {out}"


def test_non_numeric_attest_port_is_refused(attest_bin, tmp_path):
    code, out = bad_start(attest_bin, tmp_path, env=clean_env(ATTEST_PORT="notanumber"))
    assert code == 2, f"exit {code}: {out}"
    assert "ATTEST_PORT" in out and "notanumber" in out, out


def test_config_file_is_used(servers, tmp_path):
    """The YAML file is read: its data_dir is where the data goes."""
    port = free_port()
    config = tmp_path / "attest.yaml"
    config.write_text(f"data_dir: {tmp_path / 'from-yaml'}\nport: {port}\nhost: 127.0.0.1\n")
    env = clean_env()
    srv = servers(None, name="yaml", extra_args=["--config", str(config)], port=port, env=env, wait=False)
    srv.data_dir = tmp_path / "from-yaml"
    srv.wait_ready()
    assert (tmp_path / "from-yaml" / "admin-token").is_file()
    srv.stop()
