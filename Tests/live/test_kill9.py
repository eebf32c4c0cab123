"""Nothing acknowledged is ever lost: SIGKILL `attest serve` under concurrent ingest, many times.

Each round starts the server on the same data directory, runs 4-8 client threads that POST
batches (1-50 events; JSON arrays, single objects and NDJSON, some gzipped) with unique ids,
and SIGKILLs the server after a random delay while they are still sending. Then a fresh server
must export every id that was ever acknowledged (200/201), no id twice, and, once stopped,
`attest verify --data-dir` must pass. Requests that failed are retried once, with the same ids
and body, in the next round (an acknowledged retry of a batch that was in fact committed must
answer 200 with its first receipts, never append it twice).

ATTEST_KILL9_ROUNDS (default 20) and ATTEST_KILL9_SEED change the run.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from conftest import encode_batch, run_attest, verify_data_dir

ROUNDS = int(os.environ.get("ATTEST_KILL9_ROUNDS", "20"))
SEED = int(os.environ.get("ATTEST_KILL9_SEED", "20261123"))
REQUEST_TIMEOUT = 20.0


@dataclass
class Batch:
    ids: list[str]
    body: bytes
    headers: dict[str, str]
    label: str


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: set[str] = field(default_factory=set)
    requests: int = 0
    created: int = 0  # 201
    repeats: int = 0  # 200: every id already there
    failed: int = 0  # connection error or 503: not acknowledged
    cut: int = 0  # failed requests that were sent before the kill: cut off in flight
    retried: int = 0
    retry_acked: int = 0
    retry_200: int = 0
    unexpected: list[str] = field(default_factory=list)


def make_batch(rng: random.Random, rnd: int, thread: int, n: int) -> Batch:
    size = rng.randint(1, 50)
    ids = [f"r{rnd}-c{thread}-{n + i}" for i in range(size)]
    events = []
    for i, id_ in enumerate(ids):
        e = {"id": id_, "action": "test.kill9", "actor": {"type": "agent", "id": f"client-{thread}"},
             "on_behalf_of": {"id": "alice"}, "attributes": {"round": rnd, "n": n + i}}
        if rng.random() < 0.1:
            e["request"] = {"args": {"command": "deploy", "password": f"hunter{n + i}"}}
        events.append(e)
    fmt = "object" if size == 1 and rng.random() < 0.5 else rng.choice(["array", "ndjson"])
    gz = rng.random() < 0.3
    body, headers = encode_batch(events, fmt, gz)
    return Batch(ids, body, headers, f"{fmt}{'+gzip' if gz else ''} x{size}")


def client(base: str, token: str, rnd: int, thread: int, seed: int, retries: list[Batch],
           stop: threading.Event, killed_at: list, tally: Tally, next_pending: list[Batch]) -> None:
    rng = random.Random(seed)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"

    def send(batch: Batch, is_retry: bool) -> None:
        sent_at = time.monotonic()
        try:
            r = s.post(base + "/v1/events", data=batch.body, headers=batch.headers, timeout=REQUEST_TIMEOUT)
            status = r.status_code
            body = r.json() if status in (200, 201) else None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError, ValueError):
            status, body = None, None
        with tally.lock:
            tally.requests += 1
            if is_retry:
                tally.retried += 1
            if status in (200, 201):
                got = [rc["id"] for rc in body["receipts"]]
                if got != batch.ids:
                    tally.unexpected.append(f"{batch.label}: receipts {got[:5]}… for ids {batch.ids[:5]}…")
                    return
                tally.acked.update(batch.ids)
                if status == 201:
                    tally.created += 1
                else:
                    tally.repeats += 1
                if is_retry:
                    tally.retry_acked += 1
                    tally.retry_200 += status == 200
                elif status == 200:
                    tally.unexpected.append(f"{batch.label}: first attempt of new ids {batch.ids[0]}… got 200")
            elif status is None or status == 503:
                tally.failed += 1
                if killed_at and sent_at < killed_at[0]:
                    tally.cut += 1
                if not is_retry:
                    next_pending.append(batch)
            else:
                tally.unexpected.append(f"{batch.label} {batch.ids[0]}…: HTTP {status} {r.text[:300]}")

    for batch in retries:
        if stop.is_set():
            # Not sent: keep it for one more chance, as if it had been sent now.
            with tally.lock:
                next_pending.append(batch)
            continue
        send(batch, True)
    n = 0
    while not stop.is_set():
        batch = make_batch(rng, rnd, thread, n)
        n += len(batch.ids)
        send(batch, False)


def test_kill9_loses_nothing_acknowledged(servers, attest_bin, tmp_path, capsys):
    started = time.monotonic()
    rng = random.Random(SEED)
    data_dir = tmp_path / "data"
    tally = Tally()
    pending: list[Batch] = []
    kills_in_flight = 0

    for rnd in range(ROUNDS):
        srv = servers(data_dir, name=f"round{rnd}")
        threads_n = rng.randint(4, 8)
        stop = threading.Event()
        next_pending: list[Batch] = []
        shares = [pending[i::threads_n] for i in range(threads_n)]
        cut_before = tally.cut
        killed_at: list[float] = []
        threads = [threading.Thread(target=client, name=f"r{rnd}-c{t}", daemon=True,
                                    args=(srv.base, srv.token, rnd, t, rng.randrange(2**32), shares[t],
                                          stop, killed_at, tally, next_pending))
                   for t in range(threads_n)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 1.5))  # load time before the kill, not an assertion
        assert srv.alive(), "server died under load before the kill\n" + srv.logs()
        killed_at.append(time.monotonic())
        srv.proc.kill()  # SIGKILL, while the clients are sending
        stop.set()
        srv.kill9()
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT + 10)
            assert not t.is_alive(), f"client thread {t.name} hung"
        if tally.cut > cut_before:
            kills_in_flight += 1
        pending = next_pending
        assert not tally.unexpected, "unexpected answers:\n" + "\n".join(tally.unexpected[:20])

        # Restart: every acknowledged id so far is there, once.
        check = servers(data_dir, name=f"round{rnd}-check")
        ids = check.exported_ids()
        counts = Counter(ids)
        dupes = sorted(i for i, c in counts.items() if c > 1)
        assert not dupes, f"round {rnd}: ids appended more than once: {dupes[:20]}"
        missing = sorted(tally.acked - counts.keys())
        assert not missing, (f"round {rnd}: {len(missing)} acknowledged id(s) lost after SIGKILL, "
                             f"e.g. {missing[:20]}")
        if rnd == ROUNDS - 1:
            # The exported bundle itself verifies with the log's pinned key.
            s = check.session()
            key = s.get(check.base + "/v1/pubkey", timeout=30).text.strip()
            bundle = s.get(check.base + "/v1/export", timeout=120).content
            res = run_attest(attest_bin, "verify", "-", "--key", key, input=bundle, timeout=300)
            assert res.returncode == 0, f"attest verify BUNDLE: {res.stdout!r} {res.stderr!r}"
        check.stop()
        verify_data_dir(attest_bin, data_dir)

    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nkill9: {ROUNDS} rounds (seed {SEED}), {len(tally.acked)} acknowledged events in "
              f"{tally.created + tally.repeats} acknowledged requests of {tally.requests}; "
               f"{tally.failed} failed (not acknowledged; {tally.cut} of them cut off in flight), "
              f"{tally.retried} retried, {tally.retry_acked} retries "
              f"acknowledged ({tally.retry_200} as 200 repeats); clients cut off by the kill in "
              f"{kills_in_flight} rounds; {elapsed:.1f}s")
    # The test must have tested something: acknowledged load, and kills that cut requests off.
    assert len(tally.acked) >= 200, f"only {len(tally.acked)} events acknowledged: the load did not run"
    assert kills_in_flight >= ROUNDS // 2, f"only {kills_in_flight} of {ROUNDS} kills hit requests in flight"
