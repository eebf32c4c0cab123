"""Fixtures for the live tests: real `attest serve` processes on 127.0.0.1.

The binary is $ATTEST_BIN, else <repo>/.build/debug/attest. Every server runs with its stdout and
stderr in files in the test's temporary directory; they are printed when the test fails, and every
process started here is killed at the end of its test.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT = 30.0
TOKEN_RE = re.compile(r"\batt_[A-Za-z0-9_-]{16,}")


def _binary() -> Path:
    return Path(os.environ.get("ATTEST_BIN") or REPO / ".build" / "debug" / "attest")


@pytest.fixture(scope="session")
def attest_bin() -> Path:
    path = _binary()
    # The binary may be relinked under us by a concurrent `swift build`; wait a little for it.
    deadline = time.monotonic() + 120
    while not (path.is_file() and os.access(path, os.X_OK)):
        if time.monotonic() > deadline:
            pytest.fail(f"attest binary not found or not executable: {path} (set ATTEST_BIN)")
        time.sleep(0.5)
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any ATTEST_* setting of the caller, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_attest(attest_bin: Path, *args: str, cwd: Path | None = None, env: dict | None = None,
               timeout: float = 120, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Runs a short-lived `attest` command; text output."""
    return subprocess.run([str(attest_bin), *args], cwd=cwd, env=env if env is not None else clean_env(),
                          input=input, capture_output=True, timeout=timeout)


def verify_data_dir(attest_bin: Path, data_dir: Path) -> str:
    """`attest verify --data-dir DIR` must exit 0 and say OK; returns its output."""
    res = run_attest(attest_bin, "verify", "--data-dir", str(data_dir), timeout=300)
    out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    assert res.returncode == 0, f"attest verify --data-dir exited {res.returncode}:\n{out}"
    assert "OK" in out, f"attest verify printed no OK:\n{out}"
    return out


class PinnedSession(requests.Session):
    """A session that trusts only `ca` for HTTPS.

    (A plain `Session.verify` loses to REQUESTS_CA_BUNDLE in the environment, so pass it per request.)
    """

    def __init__(self, ca: str | None):
        super().__init__()
        self.ca = ca

    def request(self, method, url, **kw):
        if self.ca is not None:
            kw.setdefault("verify", self.ca)
        return super().request(method, url, **kw)


class Server:
    """One `attest serve` process."""

    def __init__(self, attest_bin: Path, workdir: Path, data_dir: Path | None, *, name: str,
                 extra_args: list[str] | None = None, env: dict | None = None, cwd: Path | None = None,
                 tls_ca: Path | None = None, port: int | None = None):
        self.attest_bin = attest_bin
        self.data_dir = data_dir
        self.port = port or free_port()
        self.cwd = cwd or workdir
        self.scheme = "https" if tls_ca else "http"
        self.tls_ca = tls_ca
        self.base = f"{self.scheme}://127.0.0.1:{self.port}"
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        args = [str(attest_bin), "serve", "--port", str(self.port)]
        if data_dir is not None:
            args += ["--data-dir", str(data_dir)]
        args += extra_args or []
        self.args = args
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, cwd=self.cwd, env=env if env is not None else clean_env(),
                                     stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL)
        self.token: str | None = None

    # --- state -------------------------------------------------------------------------------

    @property
    def token_file(self) -> Path:
        base = self.data_dir if self.data_dir is not None else self.cwd / "attest-data"
        return Path(base) / "admin-token"

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def logs(self) -> str:
        return (f"--- {' '.join(self.args)} (exit {self.proc.poll()})\n"
                f"--- stdout\n{self.stdout()}\n--- stderr\n{self.stderr()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    # --- start -------------------------------------------------------------------------------

    def wait_ready(self, timeout: float = HEALTH_TIMEOUT) -> "Server":
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"attest serve exited with {self.proc.returncode} before it was healthy\n"
                                     + self.logs())
            if self.token is None and self.token_file.is_file():
                text = self.token_file.read_text().strip()
                if text:
                    self.token = text
            try:
                r = requests.get(self.base + "/healthz", timeout=2, verify=str(self.tls_ca) if self.tls_ca else True)
                if r.status_code == 200 and self.token is not None:
                    return self
                last = f"status {r.status_code}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        raise AssertionError(f"attest serve not healthy within {timeout}s (last: {last}, token read: "
                             f"{self.token is not None})\n" + self.logs())

    # --- talk --------------------------------------------------------------------------------

    def session(self) -> requests.Session:
        s = PinnedSession(str(self.tls_ca) if self.tls_ca else None)
        s.headers["Authorization"] = f"Bearer {self.token}"
        return s

    def export_lines(self, session: requests.Session | None = None, timeout: float = 120) -> list[dict]:
        s = session or self.session()
        r = s.get(self.base + "/v1/export", timeout=timeout)
        assert r.status_code == 200, f"GET /v1/export: {r.status_code} {r.text[:500]}"
        assert r.content.endswith(b"\n"), "export bundle does not end with a newline"
        lines = [json.loads(line) for line in r.content.split(b"\n") if line]
        assert "bundle" in lines[0], f"first export line is not a header: {lines[0]}"
        assert "checkpoint" in lines[-1], f"last export line is not a checkpoint: {lines[-1]}"
        return lines

    def exported_ids(self, session: requests.Session | None = None) -> list[str]:
        """The `event.id` of every entry in a full export, in log order (with repeats, if any)."""
        ids = []
        for line in self.export_lines(session)[1:-1]:
            event = line["entry"]["event"]
            if "id" in event:
                ids.append(event["id"])
        return ids

    # --- stop --------------------------------------------------------------------------------

    def kill9(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def terminate(self, timeout: float = 10) -> int:
        """SIGTERM; returns the exit status, failing if it takes longer than `timeout`."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise AssertionError(f"attest serve did not exit within {timeout}s of SIGTERM\n" + self.logs())
        finally:
            self._close()
        return code

    def stop(self, timeout: float = 10) -> None:
        code = self.terminate(timeout)
        assert code == 0, f"attest serve exited {code} after SIGTERM\n" + self.logs()

    def _close(self) -> None:
        for f in (self._out, self._err):
            if not f.closed:
                f.close()

    def cleanup(self) -> None:
        if self.alive():
            self.proc.kill()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self._close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def servers(request, attest_bin, tmp_path):
    """A factory: servers(data_dir, name=..., ...) starts `attest serve` and waits for /healthz.

    Every server it started is killed at teardown; when the test failed, their logs are printed.
    """
    started: list[Server] = []
    counter = [0]

    def start(data_dir: Path | None, *, name: str | None = None, wait: bool = True, **kw) -> Server:
        counter[0] += 1
        srv = Server(attest_bin, tmp_path, data_dir, name=name or f"serve-{counter[0]}", **kw)
        started.append(srv)
        if wait:
            srv.wait_ready()
        return srv

    yield start

    for srv in started:
        srv.cleanup()
    rep = getattr(request.node, "rep_call", None)
    if rep is None or rep.failed:
        for srv in started[-6:]:  # the last few are the interesting ones
            print(srv.logs())


def event(id_: str, **extra) -> dict:
    e = {"id": id_, "action": "test.live", "actor": {"type": "agent", "id": "pytest"}}
    e.update(extra)
    return e


def encode_batch(events: list[dict], fmt: str, gz: bool) -> tuple[bytes, dict[str, str]]:
    """fmt: 'array', 'object' (single event) or 'ndjson'."""
    if fmt == "ndjson":
        body = b"".join(json.dumps(e).encode() + b"\n" for e in events)
        headers = {"Content-Type": "application/x-ndjson"}
    elif fmt == "object":
        assert len(events) == 1
        body = json.dumps(events[0]).encode()
        headers = {"Content-Type": "application/json"}
    else:
        body = json.dumps(events).encode()
        headers = {"Content-Type": "application/json"}
    if gz:
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return body, headers


def poll(fn, timeout: float, what: str):
    """Calls `fn` every 0.2 s until it returns something truthy (returned), or fails after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
