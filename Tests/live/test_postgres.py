"""The ledger on PostgreSQL, with real `attest serve` processes and a real PostgreSQL server.

- test_three_nodes_one_chain: three nodes on one database, hammered concurrently, write one
  hash chain: every acknowledged receipt is in the exported bundle at its seq with its hash, the
  seqs are 0..n-1 without gaps or repeats, and `attest verify` accepts the bundle.
- test_postgres_restart_during_load: PostgreSQL crashes (immediate shutdown) and comes back under
  load. The nodes answer 503 meanwhile (never 500), recover by themselves, and nothing they
  acknowledged is lost or appended twice.
- test_runtime_role_cannot_rewrite: the role `attest serve` connects as cannot UPDATE, DELETE or
  TRUNCATE ledger tables, even a superuser cannot UPDATE entries (trigger), and row-level
  security shows the runtime role one tenant's rows at a time.

They need PostgreSQL: ATTEST_TEST_POSTGRES_URL (a superuser URL) and ATTEST_TEST_PG_DIR, as
`scripts/pg-cluster start DIR` writes them to DIR/env (scripts/test does this), and `psql`.
Without them the tests skip, unless ATTEST_INTEGRATION=1, where they fail. Every test on the shared
cluster makes its own database (attest_live_<random>) and its own owner and runtime roles (roles
belong to the whole cluster, and `db init` will not hand out the password of a runtime role that
already exists), and drops them at the end.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from conftest import REPO, run_attest

PG_CLUSTER = REPO / "scripts" / "pg-cluster"
REQUEST_TIMEOUT = 60.0
VALID_STATUSES = (200, 201, 503)


# --- PostgreSQL plumbing --------------------------------------------------------------------------


def _unavailable(reason: str):
    if os.environ.get("ATTEST_INTEGRATION") == "1":
        pytest.fail(f"{reason} (required: ATTEST_INTEGRATION=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg_admin_url() -> str:
    """The superuser URL of the shared test cluster (its `postgres` database)."""
    url = os.environ.get("ATTEST_TEST_POSTGRES_URL")
    pg_dir = os.environ.get("ATTEST_TEST_PG_DIR")
    if not url or not pg_dir:
        _unavailable("no PostgreSQL test cluster: run `scripts/pg-cluster start DIR && . DIR/env` "
                     "(sets ATTEST_TEST_POSTGRES_URL and ATTEST_TEST_PG_DIR)")
    if shutil.which("psql") is None:
        _unavailable("psql is not installed (Debian package postgresql-client)")
    return url


def with_database(url: str, db: str) -> str:
    """`url` with its path (the database name) replaced by `db`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + db, parts.query, parts.fragment))


def psql(url: str, sql: str, *, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `sql` (one or more statements, one round trip) with psql; unaligned, tuples only."""
    res = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True, timeout=timeout,
                         env={k: v for k, v in os.environ.items() if not k.startswith("PG")})
    if check:
        assert res.returncode == 0, f"psql {sql!r} exited {res.returncode}:\n{res.stdout}{res.stderr}"
    return res


@dataclass
class LiveDB:
    url: str  # the superuser's URL of the database
    owner_role: str = "attest_owner"
    runtime_role: str = "attest_runtime"


def create_database(admin_url: str) -> str:
    name = f"attest_live_{uuid.uuid4().hex[:12]}"
    psql(admin_url, f"CREATE DATABASE {name}")
    return name


@pytest.fixture
def fresh_db(pg_admin_url):
    """A new, empty database on the shared cluster, with role names of its own. Dropped afterwards."""
    name = create_database(pg_admin_url)
    tag = uuid.uuid4().hex[:8]
    db = LiveDB(with_database(pg_admin_url, name), f"attest_own_{tag}", f"attest_rt_{tag}")
    yield db
    psql(pg_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)
    psql(pg_admin_url, f"DROP ROLE IF EXISTS {db.runtime_role}", check=False)
    psql(pg_admin_url, f"DROP ROLE IF EXISTS {db.owner_role}", check=False)


def db_init(attest_bin: Path, db: LiveDB, data_dir: Path, prefix: str = "test.example") -> str:
    res = run_attest(attest_bin, "db", "init", "--admin-url", db.url, "--data-dir", str(data_dir),
                     "--origin-prefix", prefix, "--owner-role", db.owner_role,
                     "--runtime-role", db.runtime_role, timeout=120)
    out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    assert res.returncode == 0, f"attest db init exited {res.returncode}:\n{out}"
    for name in ("attest.yaml", "signing-key", "hmac-secret", "admin-token"):
        assert (data_dir / name).is_file(), f"db init did not write {data_dir / name}:\n{out}"
    return out


def runtime_url(data_dir: Path) -> str:
    """The `database:` URL that db init wrote to DIR/attest.yaml."""
    text = (data_dir / "attest.yaml").read_text()
    m = re.search(r'^database:\s*"?([^"\s]+)"?\s*$', text, re.M)
    assert m, f"no database: line in {data_dir / 'attest.yaml'}:\n{text}"
    return m.group(1)


def pg_cluster(cmd: str, pg_dir: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    res = subprocess.run([str(PG_CLUSTER), cmd, str(pg_dir)], capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"scripts/pg-cluster {cmd} exited {res.returncode}:\n{res.stdout}{res.stderr}"
    return res


# --- events, receipts, bundles ---------------------------------------------------------------------


def make_events(ids: list[str], actor: str) -> list[dict]:
    return [{"id": i, "time": "2026-12-01T10:00:00Z", "action": "tool.call",
             "actor": {"type": "agent", "id": actor}, "attributes": {"n": k}}
            for k, i in enumerate(ids)]


@dataclass
class Bundle:
    raw: bytes
    header: dict
    lines: list[dict]  # the entry lines: {"entry": {...}, "hash": ...}
    checkpoint: str

    @property
    def by_id(self) -> dict[str, tuple[int, str]]:
        return {ln["entry"]["event"]["id"]: (ln["entry"]["seq"], ln["hash"])
                for ln in self.lines if "id" in ln["entry"]["event"]}

    def ids(self) -> list[str]:
        return [ln["entry"]["event"]["id"] for ln in self.lines if "id" in ln["entry"]["event"]]


def export_bundle(base: str, token: str, query: str = "") -> Bundle:
    r = requests.get(base + "/v1/export" + query, headers={"Authorization": f"Bearer {token}"},
                     timeout=REQUEST_TIMEOUT)
    assert r.status_code == 200, f"GET {base}/v1/export{query}: {r.status_code} {r.text[:500]}"
    assert r.content.endswith(b"\n"), "export bundle does not end with a newline"
    parsed = [json.loads(line) for line in r.content.split(b"\n") if line]
    assert parsed[0].get("bundle") == "attest/v1", f"first line is not a header: {parsed[0]}"
    assert "checkpoint" in parsed[-1], f"last line is not a checkpoint: {parsed[-1]}"
    return Bundle(r.content, parsed[0], parsed[1:-1], parsed[-1]["checkpoint"])


def verify_bundle(attest_bin: Path, bundle: Bundle, key: str, path: Path) -> str:
    """`attest verify BUNDLE --key KEY` must exit 0 and report the bundle's entries."""
    path.write_bytes(bundle.raw)
    res = run_attest(attest_bin, "verify", str(path), "--key", key, timeout=300)
    out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    assert res.returncode == 0, f"attest verify {path} --key {key} exited {res.returncode}:\n{out}"
    n = len(bundle.lines)
    assert re.search(rf"^OK \S+: entries 0\.\.<{n} verified", out, re.M), f"attest verify did not say OK for {n}:\n{out}"
    return out


def check_bundle_shape(bundle: Bundle) -> None:
    """The bundle starts at 0, its seqs are 0..n-1 in order, its checkpoint is for n, no id twice."""
    assert bundle.header["start"] == 0, bundle.header
    seqs = [ln["entry"]["seq"] for ln in bundle.lines]
    assert seqs == list(range(len(seqs))), (
        f"bundle seqs are not contiguous 0..{len(seqs) - 1}: first break at "
        f"{next((i, s) for i, s in enumerate(seqs) if s != i)}")
    size = int(bundle.checkpoint.split("\n")[1])
    assert size == len(seqs), f"bundle checkpoint size {size} != {len(seqs)} entries"
    dupes = [i for i, c in Counter(bundle.ids()).items() if c > 1]
    assert not dupes, f"event ids appended more than once: {dupes[:20]}"


def check_receipts_in_bundle(receipts: dict[str, tuple[int, str]], bundle: Bundle) -> None:
    """Every acknowledged id is in the bundle at its acknowledged seq with its acknowledged hash."""
    in_bundle = bundle.by_id
    missing = sorted(i for i in receipts if i not in in_bundle)
    assert not missing, f"{len(missing)} acknowledged id(s) not in the export, e.g. {missing[:20]}"
    wrong = [(i, receipts[i], in_bundle[i]) for i in receipts if in_bundle[i] != receipts[i]]
    assert not wrong, (f"{len(wrong)} acknowledged id(s) at another seq/hash in the export "
                       f"(id, receipt, export): {wrong[:10]}")


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    receipts: dict[str, tuple[int, str]] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    events: list[tuple[float, str | int]] = field(default_factory=list)  # (answered at, status)
    latencies: list[float] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def record(self, ids: list[str], status, body, sent: float, answered: float, text: str, retry: bool) -> bool:
        """Records one answer; True when the batch is acknowledged."""
        with self.lock:
            self.statuses[status] += 1
            self.events.append((answered, status))
            if status not in (200, 201):
                if status not in (503, "connection error"):
                    self.unexpected.append(f"{ids[0]}… x{len(ids)}: HTTP {status} {text[:300]}")
                return False
            got = [rc["id"] for rc in body["receipts"]]
            if got != ids:
                self.unexpected.append(f"{ids[0]}…: receipts for {got[:5]}… instead of {ids[:5]}…")
                return False
            if status == 200 and not retry:
                self.unexpected.append(f"{ids[0]}… x{len(ids)}: first attempt of new ids answered 200")
            size = body["checkpoint"]["size"]
            for rc in body["receipts"]:
                if rc["seq"] >= size:
                    self.unexpected.append(f"{rc['id']}: seq {rc['seq']} not below checkpoint size {size}")
                if rc["id"] in self.receipts and self.receipts[rc["id"]] != (rc["seq"], rc["hash"]):
                    self.unexpected.append(f"{rc['id']}: acknowledged as {self.receipts[rc['id']]}, "
                                           f"then as {(rc['seq'], rc['hash'])}")
                self.receipts[rc["id"]] = (rc["seq"], rc["hash"])
            self.latencies.append(answered - sent)
            return True


def post_batch(s: requests.Session, base: str, ids: list[str], actor: str, tally: Tally, retry: bool,
               query: str = "", timeout: float = REQUEST_TIMEOUT) -> tuple[bool, requests.Response | None]:
    sent = time.monotonic()
    body, text, r = None, "", None
    try:
        r = s.post(base + "/v1/events" + query, json=make_events(ids, actor), timeout=timeout)
        status, text = r.status_code, r.text
        if status in (200, 201):
            body = r.json()
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
        status, text = "connection error", repr(e)
    return tally.record(ids, status, body, sent, time.monotonic(), text, retry), r


def session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def percentile(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")


# --- 1. three nodes, one chain ----------------------------------------------------------------------

NODES = 3
CLIENTS_PER_NODE = 4
BATCHES_PER_CLIENT = 30


def test_three_nodes_one_chain(servers, attest_bin, tmp_path, fresh_db, capsys):
    """Three `attest serve` nodes on one database append to one hash chain.

    `db init` runs once; each node gets a copy of its data directory and nothing else. 12 client
    threads (4 per node) post batches of 1-20 events with unique ids at the same time; every batch
    must be acknowledged (201) with receipts for its ids, in order. Then: no two acknowledged
    events share a seq; every node states the same verifier key; the export is one chain with seqs
    0..n-1, `attest verify` accepts it; every acknowledged id is in it at its acknowledged seq with
    its acknowledged hash; and exports taken from two different nodes agree on their common prefix.
    """
    db_init(attest_bin, fresh_db, tmp_path / "init")
    dirs = []
    for n in range(NODES):
        d = tmp_path / f"node{n}"
        shutil.copytree(tmp_path / "init", d)
        dirs.append(d)
    nodes = [servers(d, name=f"node{n}") for n, d in enumerate(dirs)]
    token = nodes[0].token
    assert all(n.token == token for n in nodes)

    tally = Tally()
    start = threading.Barrier(NODES * CLIENTS_PER_NODE + 1)

    def client(node: int, c: int) -> None:
        rng = random.Random(node * 100 + c)
        s = session(token)
        k = 0
        start.wait()
        for _ in range(BATCHES_PER_CLIENT):
            size = rng.randint(1, 20)
            ids = [f"n{node}-c{c}-{k + i}" for i in range(size)]
            k += size
            ok, r = post_batch(s, nodes[node].base, ids, f"agent-{node}-{c}", tally, retry=False)
            if not ok:
                return  # recorded as unexpected (or a 503/connection error, checked below)

    threads = [threading.Thread(target=client, args=(n, c), daemon=True, name=f"n{n}-c{c}")
               for n in range(NODES) for c in range(CLIENTS_PER_NODE)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join(timeout=600)
        assert not t.is_alive(), f"client {t.name} hung"
    elapsed = time.monotonic() - t0

    assert not tally.unexpected, "unexpected answers:\n" + "\n".join(tally.unexpected[:20])
    assert set(tally.statuses) == {201}, f"not every batch was acknowledged with 201: {dict(tally.statuses)}"
    assert tally.statuses[201] == NODES * CLIENTS_PER_NODE * BATCHES_PER_CLIENT
    seqs = Counter(seq for seq, _ in tally.receipts.values())
    shared = sorted(s for s, c in seqs.items() if c > 1)
    assert not shared, f"{len(shared)} seq(s) acknowledged for more than one event, e.g. {shared[:20]}"

    keys = {requests.get(n.base + "/v1/pubkey", headers={"Authorization": f"Bearer {token}"},
                         timeout=30).text.strip() for n in nodes}
    assert len(keys) == 1, f"the nodes state different verifier keys: {keys}"
    key = keys.pop()
    assert key.startswith("test.example/default+"), key

    bundle = export_bundle(nodes[1].base, token)
    check_bundle_shape(bundle)
    out = verify_bundle(attest_bin, bundle, key, tmp_path / "bundle.ndjson")
    check_receipts_in_bundle(tally.receipts, bundle)

    # Another node's export (taken later: it may hold more data_access events) is the same chain.
    other = export_bundle(nodes[2].base, token)
    check_bundle_shape(other)
    common = min(len(bundle.lines), len(other.lines))
    assert other.lines[:common] == bundle.lines[:common], "two nodes export different chains"

    n_events = len(tally.receipts)
    with capsys.disabled():
        print(f"\npostgres 3 nodes: {n_events} events in {tally.statuses[201]} batches from "
              f"{len(threads)} clients in {elapsed:.2f}s = {n_events / elapsed:.0f} events/s, "
              f"{tally.statuses[201] / elapsed:.0f} batches/s; batch latency p50 "
              f"{percentile(tally.latencies, 0.5) * 1000:.0f} ms, p99 {percentile(tally.latencies, 0.99) * 1000:.0f} ms; "
              f"bundle {len(bundle.lines)} entries; {out.strip().splitlines()[0]}")


# --- 2. PostgreSQL crashes and restarts under load ---------------------------------------------------

OUTAGE_SECONDS = 1.5
# A node answers a POST in milliseconds when healthy and must answer 503 at once when it cannot
# commit; a request still unanswered after this long counts as a connection error.
LOAD_REQUEST_TIMEOUT = 15.0
RECOVERY_DEADLINE = 45.0  # after the restart, every batch must be acknowledged within this


def test_postgres_restart_during_load(servers, attest_bin, tmp_path, pg_admin_url, capsys):
    """A PostgreSQL crash and restart under load loses nothing acknowledged, appends nothing twice.

    Its own throwaway cluster (scripts/pg-cluster), two nodes, four client threads posting batches
    of 1-10 new events. A 503 or a connection error means "not acknowledged": the client sends the
    same batch (same ids) again until it is acknowledged (201, or 200 if it had in fact been
    committed). Under load the cluster is killed (`pg_ctl stop -m immediate`: no checkpoint, like
    a crash) and started again ~1.5 s later. Proven: the nodes answered 503 for the outage and
    never anything but 200/201/503; the same node processes, never restarted, acknowledge every
    pending batch and new ones within 45 s of the restart and are ready; every acknowledged id is
    in the final export at its acknowledged seq and hash, once; the bundle verifies.
    """
    # The cluster's directory must be reachable by the `postgres` user when we run as root (pytest's
    # tmp_path is under a 0700 directory) and short enough for a Unix socket path.
    pg_dir = Path(tempfile.mkdtemp(prefix="attest-pg-"))
    try:
        pg_cluster("start", pg_dir)
        admin = f"postgres://postgres:{(pg_dir / 'password').read_text().strip()}@127.0.0.1:" \
                f"{(pg_dir / 'port').read_text().strip()}/postgres"
        # A cluster of its own: the default role names, as an operator's first `db init` makes them.
        db_init(attest_bin, LiveDB(with_database(admin, create_database(admin))), tmp_path / "init")
        shutil.copytree(tmp_path / "init", tmp_path / "node1")
        nodes = [servers(tmp_path / "init", name="node0"), servers(tmp_path / "node1", name="node1")]
        pids = [n.proc.pid for n in nodes]
        token = nodes[0].token

        tally = Tally()
        stop = threading.Event()
        outage: dict[str, float] = {}
        retried_batches = [0]
        acked_after_restart = Counter()
        unacked: list[str] = []

        def client(node: int, c: int) -> None:
            rng = random.Random(1000 + node * 10 + c)
            s = session(token)
            k = 0
            while not stop.is_set():
                size = rng.randint(1, 10)
                ids = [f"pg-n{node}-c{c}-{k + i}" for i in range(size)]
                k += size
                attempt = 0
                while True:
                    ok, r = post_batch(s, nodes[node].base, ids, f"agent-{node}-{c}", tally,
                                       retry=attempt > 0, timeout=LOAD_REQUEST_TIMEOUT)
                    if ok:
                        if "up" in outage:
                            with tally.lock:
                                acked_after_restart[node] += 1
                        break
                    attempt += 1
                    if attempt == 1:
                        with tally.lock:
                            retried_batches[0] += 1
                    if "up" in outage and time.monotonic() > outage["up"] + RECOVERY_DEADLINE:
                        with tally.lock:
                            unacked.append(f"{ids[0]}… x{len(ids)} on node{node} after {attempt} attempts")
                        return
                    if r is not None and r.status_code not in VALID_STATUSES:
                        return  # recorded as unexpected
                    time.sleep(0.1)  # Retry-After says 5 s; retry sooner to see the recovery

        threads = [threading.Thread(target=client, args=(n, c), daemon=True, name=f"n{n}-c{c}")
                   for n in range(2) for c in range(2)]
        for t in threads:
            t.start()
        assert poll(lambda: tally.statuses[201] >= 20, 60), \
            f"fewer than 20 batches acknowledged before the crash: {dict(tally.statuses)} {tally.unexpected[:5]}"
        before = tally.statuses[201]
        outage["kill"] = time.monotonic()
        pg_cluster("kill", pg_dir)
        time.sleep(OUTAGE_SECONDS)  # the outage itself: what is being tested, not a wait for a condition
        pg_cluster("start", pg_dir)
        outage["up"] = time.monotonic()
        # Load goes on until both nodes have acknowledged batches after the restart (or the deadline).
        recovered = poll(lambda: len(acked_after_restart) == 2 and min(acked_after_restart.values()) >= 10,
                         RECOVERY_DEADLINE)
        recovery_seconds = time.monotonic() - outage["up"]
        readiness = [readyz(n.base) for n in nodes]
        stop.set()
        for t in threads:
            t.join(timeout=RECOVERY_DEADLINE + LOAD_REQUEST_TIMEOUT + 10)
            assert not t.is_alive(), f"client {t.name} hung"

        during = Counter(st for at, st in tally.events if outage["kill"] <= at <= outage["up"])
        after = Counter(st for at, st in tally.events if at > outage["up"])
        summary = (f"answers {dict(tally.statuses)}; from the kill to the end of the restart "
                   f"({outage['up'] - outage['kill']:.1f}s): {dict(during)}; after it: {dict(after)}, batches "
                   f"acknowledged per node {dict(acked_after_restart)}, {len(unacked)} never acknowledged; "
                   f"/readyz {readiness}")
        assert not tally.unexpected, "unexpected answers:\n" + "\n".join(tally.unexpected[:20])
        # A request sent during the outage may be answered only after `pg_cluster start` returned
        # (a slow machine notices the dead connections late), so 503s from the kill on all count.
        assert during[503] + after[503] >= 1, f"no 503 from the kill on: the fault was not seen; {summary}"
        assert recovered and not unacked, (
            f"the nodes did not recover within {RECOVERY_DEADLINE}s of the restart: {summary}; "
            f"e.g. {unacked[:4]}")
        for n, pid in zip(nodes, pids):
            assert n.alive() and n.proc.pid == pid, f"{n.base} is not the same live process\n" + n.logs()
            r = requests.get(n.base + "/readyz", timeout=30)
            assert r.status_code == 200, f"{n.base}/readyz after the restart: {r.status_code} {r.text}"
            ok, r = post_batch(session(token), n.base, [f"probe-{n.port}"], "probe", tally, retry=False)
            assert ok, f"{n.base} does not acknowledge a new batch after the restart: {r and r.status_code}"

        key = requests.get(nodes[0].base + "/v1/pubkey", headers={"Authorization": f"Bearer {token}"},
                           timeout=30).text.strip()
        bundle = export_bundle(nodes[1].base, token)
        check_bundle_shape(bundle)
        verify_bundle(attest_bin, bundle, key, tmp_path / "bundle.ndjson")
        check_receipts_in_bundle(tally.receipts, bundle)

        with capsys.disabled():
            print(f"\npostgres restart: {len(tally.receipts)} events acknowledged; {summary}; "
                  f"{before} batches acknowledged before the crash; {retried_batches[0]} batches retried, "
                  f"{tally.statuses[200]} retries answered 200 (committed, acknowledgement lost); "
                  f"10 batches per node acknowledged {recovery_seconds:.1f}s after the restart; "
                  f"bundle {len(bundle.lines)} entries")
    finally:
        subprocess.run([str(PG_CLUSTER), "destroy", str(pg_dir)], capture_output=True, timeout=120)


def poll(cond, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def readyz(base: str) -> str:
    try:
        r = requests.get(base + "/readyz", timeout=5)
        return f"{r.status_code} {r.text.strip()[:120]}"
    except requests.RequestException as e:
        return f"no answer within 5s ({type(e).__name__})"


# --- 3. the runtime role cannot rewrite the ledger ---------------------------------------------------


def test_runtime_role_cannot_rewrite(servers, attest_bin, tmp_path, fresh_db):
    """The database itself keeps the ledger append-only and the tenants apart.

    As the runtime role (the URL db init wrote to attest.yaml): UPDATE and DELETE on
    attest.entries and TRUNCATE of attest.checkpoints (and of entries) are refused with "permission
    denied". As the superuser, UPDATE and DELETE of entries and TRUNCATE of checkpoints and of
    entries are refused by the append-only triggers. Row-level security: with attest.tenant = 'default' the runtime role sees
    default's entries and none of tenant other's, with 'other' exactly other's, with no tenant
    set nothing at all. Nothing was changed: the export still verifies.
    """
    data = tmp_path / "data"
    db_init(attest_bin, fresh_db, data)
    srv = servers(data)
    s = srv.session()
    r = s.post(srv.base + "/v1/tenants", json={"id": "other"}, timeout=30)
    assert r.status_code == 201, f"POST /v1/tenants: {r.status_code} {r.text}"
    tally = Tally()
    default_ids = [f"d-{i}" for i in range(5)]
    other_ids = [f"o-{i}" for i in range(3)]
    assert post_batch(s, srv.base, default_ids, "agent-d", tally, retry=False)[0]
    assert post_batch(s, srv.base, other_ids, "agent-o", tally, retry=False, query="?tenant=other")[0]
    assert not tally.unexpected, tally.unexpected

    rt = runtime_url(data)
    assert urlsplit(rt).username == fresh_db.runtime_role, rt
    assert urlsplit(rt).path == urlsplit(fresh_db.url).path, f"runtime URL {rt} is not on the test database"

    def refused(url: str, sql: str, expect: str) -> None:
        res = psql(url, sql, check=False)
        assert res.returncode != 0, f"{sql!r} as {urlsplit(url).username} succeeded: {res.stdout!r}"
        assert expect in res.stderr, f"{sql!r} as {urlsplit(url).username}: expected {expect!r}, got {res.stderr!r}"

    for sql in ("UPDATE attest.entries SET event_id = 'forged' WHERE seq = 0",
                "SET attest.tenant = 'default'; UPDATE attest.entries SET event_id = 'forged' WHERE seq = 0",
                "DELETE FROM attest.entries",
                "SET attest.tenant = 'default'; DELETE FROM attest.entries",
                "TRUNCATE attest.checkpoints",
                "TRUNCATE attest.entries"):
        refused(rt, sql, "permission denied")
    for sql in ("UPDATE attest.entries SET event_id = 'forged' WHERE seq = 0",
                "DELETE FROM attest.entries",
                "TRUNCATE attest.checkpoints",
                "TRUNCATE attest.entries"):
        refused(fresh_db.url, sql, "append-only")

    def visible(tenant: str | None) -> list[str]:
        prefix = f"SET attest.tenant = '{tenant}'; " if tenant else ""
        res = psql(rt, prefix + "SELECT event_id FROM attest.entries ORDER BY log_id, seq")
        return [line for line in res.stdout.splitlines() if line]

    seen_default = visible("default")
    assert set(default_ids) <= set(seen_default), f"runtime role with tenant default sees {seen_default}"
    assert not set(other_ids) & set(seen_default), f"tenant default sees other's rows: {seen_default}"
    seen_other = visible("other")
    assert sorted(seen_other) == sorted(other_ids), f"runtime role with tenant other sees {seen_other}"
    assert visible(None) == [], "with no tenant set, the runtime role sees entries"
    # The superuser sees both (owners and superusers are exempt from row-level security).
    everything = psql(fresh_db.url, "SELECT event_id FROM attest.entries").stdout.split()
    assert set(default_ids + other_ids) <= set(everything)

    key = s.get(srv.base + "/v1/pubkey", timeout=30).text.strip()
    bundle = export_bundle(srv.base, srv.token)
    check_bundle_shape(bundle)
    verify_bundle(attest_bin, bundle, key, tmp_path / "bundle.ndjson")
    check_receipts_in_bundle({i: tally.receipts[i] for i in default_ids}, bundle)
