#!/usr/bin/env python3
"""Peers that Attest's benchmark figures are set against: other software doing a part of its job.

Each subcommand runs one peer on the same events (`attest-load sample`, as scripts/bench runs it) and prints
machine-readable lines on stdout, `BENCH peer=NAME what=WHAT key=value ...` (plain numbers, rates
as integers); notes go to stderr.

    bench_peers.py pymerkle EVENTS_NDJSON WORKDIR [--batch B] [--proofs K]
        pymerkle's SQLite-backed Merkle tree: append, inclusion and consistency proofs, verify.
    bench_peers.py rsyslog EVENTS_NDJSON WORKDIR [--connections C] [--timeout S]
        a real rsyslogd: RFC 5424 over TCP from C connections, written to a file.
    bench_peers.py postgres EVENTS_NDJSON [--url URL]
        raw multi-row INSERTs into a table shaped like attest.entries, durable commits.
    bench_peers.py ed25519 [--seconds S]    openssl speed ed25519
    bench_peers.py sha256 [--seconds S]     openssl speed, SHA-256 of 1 KiB blocks

Packages: scripts/requirements-bench.txt (pymerkle, psycopg); rsyslog and openssl are Debian's.
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time


def note(msg):
    print(msg, file=sys.stderr, flush=True)


def emit(peer, what, **fields):
    """One BENCH line. Floats other than seconds are rates: printed as integers."""
    parts = [f"peer={peer}", f"what={what}"]
    for k, v in fields.items():
        if isinstance(v, float):
            v = f"{v:.3f}" if k == "seconds" else str(round(v))
        parts.append(f"{k}={v}")
    print("BENCH " + " ".join(parts), flush=True)


def read_events(path):
    """The NDJSON lines as bytes, without their newline (blank lines skipped)."""
    with open(path, "rb") as f:
        return [line.rstrip(b"\r\n") for line in f if line.strip()]


def fail(msg):
    note(f"bench_peers: {msg}")
    sys.exit(1)


# --- pymerkle ------------------------------------------------------------------------------------


def cmd_pymerkle(args):
    # Imported here so that the other subcommands need no package from PyPI.
    from pymerkle import SqliteTree, InvalidProof, verify_inclusion

    lines = read_events(args.events)
    n = len(lines)
    if n == 0:
        fail("no events")
    os.makedirs(args.workdir, exist_ok=True)
    db = os.path.join(args.workdir, "pymerkle.sqlite")
    for p in (db, db + "-journal", db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.remove(p)

    tree = SqliteTree(db)  # sha256, RFC 9162-style 0x00/0x01 leaf/node prefixes
    # pymerkle leaves SQLite's defaults alone: a rollback journal with synchronous=FULL, so every
    # commit is durable, like Attest's WAL with synchronous=FULL. Reported for the record.
    journal = tree.con.execute("PRAGMA journal_mode").fetchone()
    synchronous = {0: "off", 1: "normal", 2: "full", 3: "extra"}.get(tree.con.execute("PRAGMA synchronous").fetchone(), "?")

    # SqliteTree.append_entries is pymerkle's batch API: it hashes the leaves and inserts them with
    # executemany in ONE transaction per call. Calling it once per --batch lines gives one commit
    # per batch, like `attest append --batch-size 1000`; --batch 0 appends everything in one call.
    # pymerkle stores leaves only (no interior nodes), so appending is hash + insert.
    batch = args.batch if args.batch > 0 else n
    t0 = time.perf_counter()
    for i in range(0, n, batch):
        size = tree.append_entries(lines[i : i + batch])
    append_s = time.perf_counter() - t0
    if size != n:
        fail(f"pymerkle tree has {size} leaves after appending {n}")
    emit("pymerkle", "append", entries=n, batch=batch, journal=journal, synchronous=synchronous,
         seconds=append_s, per_s=n / append_s)

    # Proofs: pymerkle computes each subtree root from leaf hashes read back from SQLite and keeps
    # those of width >= 128 in an in-memory LRU cache, so the first proofs warm the cache and the
    # rest mostly hit it. Attest instead stores perfect subtrees of level >= 4.
    rng = random.Random(7)
    k = args.proofs
    indexes = [rng.randint(1, n) for _ in range(k)]
    t0 = time.perf_counter()
    proofs = [tree.prove_inclusion(i, n) for i in indexes]
    s = time.perf_counter() - t0
    emit("pymerkle", "inclusion_proof", entries=n, count=k, seconds=s, per_s=k / s)

    priors = [rng.randint(1, n) for _ in range(k)]
    t0 = time.perf_counter()
    for p in priors:
        tree.prove_consistency(p, n)
    s = time.perf_counter() - t0
    emit("pymerkle", "consistency_proof", entries=n, count=k, seconds=s, per_s=k / s)

    # What a verifier holds (the leaf hash and the root) is fetched outside the timing: only the
    # verification itself is measured.
    root = tree.get_root(n)
    bases = [tree.get_leaf(i) for i in indexes]
    t0 = time.perf_counter()
    bad = 0
    for base, proof in zip(bases, proofs):
        try:
            verify_inclusion(base, root, proof)
        except InvalidProof:
            bad += 1
    s = time.perf_counter() - t0
    tree.close()
    if bad:
        fail(f"{bad} of {k} pymerkle inclusion proofs did not verify")
    emit("pymerkle", "inclusion_verify", entries=n, count=k, seconds=s, per_s=k / s)


# --- rsyslog -------------------------------------------------------------------------------------


def find_rsyslogd():
    # /usr/sbin is not on every user's PATH.
    path = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    return path if os.access(path, os.X_OK) else None


def ensure_rsyslogd():
    path = find_rsyslogd()
    if path:
        return path
    if os.geteuid() != 0:
        fail("rsyslogd is not installed and installing it needs root: apt-get install rsyslog")
    note("bench_peers: installing Debian's rsyslog package")
    # Where systemd runs, installing the package also starts the system's own rsyslog service;
    # this benchmark ignores it and runs a private instance on its own port.
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "rsyslog"]):
        if subprocess.run(cmd, env=env, stdout=sys.stderr).returncode != 0:
            fail(f"{' '.join(cmd)} failed")
    return find_rsyslogd() or fail("no rsyslogd after installing rsyslog")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rsyslog_config(workdir, port, out):
    # Only the TCP input is loaded: no imuxsock (/dev/log) or imklog, so the system's own logging
    # is untouched. The input is bound to its own ruleset so that rsyslogd's internal messages
    # ("start", warnings), which go to the default ruleset, land in internal.log, not in out.log.
    # Everything else is stock: default main queue, omfile without fsync (its `sync` is off).
    q = lambda p: p.replace("\\", "\\\\").replace('"', '\\"')
    return f"""\
global(workDirectory="{q(workdir)}" maxMessageSize="64k")
module(load="imtcp")
template(name="msgonly" type="string" string="%msg%\\n")
ruleset(name="bench") {{
    action(type="omfile" file="{q(out)}" template="msgonly")
}}
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="bench")
*.* action(type="omfile" file="{q(os.path.join(workdir, 'internal.log'))}")
"""


def count_lines(path, state):
    """Newlines in path, reading only what was added since the last call (state: [offset, count])."""
    try:
        with open(path, "rb") as f:
            f.seek(state[0])
            while chunk := f.read(1 << 20):
                state[0] += len(chunk)
                state[1] += chunk.count(b"\n")
    except FileNotFoundError:
        pass  # omfile creates it on the first message
    return state[1]


def cmd_rsyslog(args):
    rsyslogd = ensure_rsyslogd()
    lines = read_events(args.events)
    n, c = len(lines), args.connections
    if n == 0:
        fail("no events")
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, "out.log")
    for name in ("out.log", "internal.log", "rsyslogd.pid"):
        if os.path.exists(os.path.join(workdir, name)):
            os.remove(os.path.join(workdir, name))
    port = free_port()
    conf = os.path.join(workdir, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(rsyslog_config(workdir, port, out))
    # -N1 checks the config and exits: a typo fails here with rsyslogd's own words.
    check = subprocess.run([rsyslogd, "-N1", "-f", conf], capture_output=True, text=True)
    if check.returncode != 0:
        fail(f"rsyslogd rejected {conf}:\n{check.stdout}{check.stderr}")

    # RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG, one message per line (LF
    # framing, which imtcp accepts besides octet counting). Built before timing: the sender is
    # Python, and only rsyslogd is measured.
    ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    head = f"<14>1 {ts} {socket.gethostname() or '-'} attest-bench - - - ".encode()
    payloads = [b"".join(head + line + b"\n" for line in lines[i::c]) for i in range(c)]

    stderr_path = os.path.join(workdir, "rsyslogd.stderr")
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen([rsyslogd, "-n", "-f", conf, "-i", os.path.join(workdir, "rsyslogd.pid")],
                                stdin=subprocess.DEVNULL, stdout=err, stderr=err)

    def died():
        with open(stderr_path, errors="replace") as f:
            fail(f"rsyslogd exited with {proc.returncode}:\n{f.read()[-2000:]}")

    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                died()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    fail(f"rsyslogd did not accept on 127.0.0.1:{port} within 15 s")
                time.sleep(0.05)
        # That probe connection carried no message; rsyslogd just logs nothing for it.

        socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(c)]
        errors = []

        def send(sock, data):
            try:
                sock.sendall(data)  # releases the GIL: the connections really run in parallel
            except OSError as e:
                errors.append(e)
            finally:
                sock.close()

        threads = [threading.Thread(target=send, args=(s, p)) for s, p in zip(socks, payloads)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            fail(f"sending to rsyslogd failed: {errors[0]}")
        sent_s = time.perf_counter() - t0
        # Done when every message is in out.log (written, not fsynced: see durable=no below).
        state = [0, 0]
        while count_lines(out, state) < n:
            if proc.poll() is not None:
                died()
            if time.perf_counter() - t0 > args.timeout:
                fail(f"out.log holds {state[1]} of {n} lines after {args.timeout} s")
            time.sleep(0.01)
        s = time.perf_counter() - t0
        if state[1] != n:
            fail(f"out.log holds {state[1]} lines, {n} were sent")
        note(f"rsyslog: sent in {sent_s:.2f} s, all in out.log after {s:.2f} s")
        # omfile does not fsync per message by default (its sync="off"): nothing here is durable
        # when written, unlike Attest's append.
        emit("rsyslog", "tcp_to_file", events=n, connections=c, seconds=s, per_s=n / s, durable="no")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- PostgreSQL ----------------------------------------------------------------------------------


def cmd_postgres(args):
    import psycopg

    lines = read_events(args.events)
    n = len(lines)
    if n == 0:
        fail("no events")
    # Rows as Attest writes them (hash, event id, one received_at per batch, no client signature);
    # built before timing.
    received = int(time.time() * 1_000_000)
    rows = []
    for i, line in enumerate(lines):
        try:
            eid = str(json.loads(line).get("id") or f"e{i}")
        except (ValueError, AttributeError):
            eid = f"e{i}"
        rows.append((1, i, hashlib.sha256(line).digest(), eid, received, None, line))

    table = f"attest_peer_entries_{os.getpid()}"
    # The columns and primary key of attest.entries (Sources/AttestPostgres/PostgresSchema.swift),
    # as a plain table: Attest's is partitioned by month of received_at, which one batch never
    # crosses. No secondary index. A regular table, not TEMPORARY: temporary tables skip the WAL.
    ddl = f"""CREATE TABLE {table} (
        log_id bigint NOT NULL,
        seq bigint NOT NULL,
        hash bytea NOT NULL,
        event_id text NOT NULL,
        received_at bigint NOT NULL,
        sig bytea,
        entry bytea NOT NULL,
        PRIMARY KEY (log_id, seq, received_at))"""
    per = 1000
    values = lambda k: ",".join(["(%s,%s,%s,%s,%s,%s,%s)"] * k)

    # Autocommit: each INSERT is its own transaction, committed (and flushed to the WAL) before the
    # next is sent.
    with psycopg.connect(args.url, autocommit=True) as conn:
        info = conn.info
        note(f"postgres: {info.host}:{info.port}/{info.dbname} as {info.user}, server {info.server_version}")
        conn.execute("SET synchronous_commit = on")
        fsync = conn.execute("SHOW fsync").fetchone()[0]
        if fsync != "on":
            note(f"postgres: warning: the server runs with fsync={fsync}: commits are not durable")
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(ddl)
        try:
            head = f"INSERT INTO {table} (log_id, seq, hash, event_id, received_at, sig, entry) VALUES "
            full = head + values(per)
            t0 = time.perf_counter()
            for b in range(0, n, per):
                chunk = rows[b : b + per]
                sql = full if len(chunk) == per else head + values(len(chunk))
                # binary=True: bytea goes over the wire as raw bytes, not hex text; psycopg prepares
                # the statement itself after a few executions.
                conn.execute(sql, [v for row in chunk for v in row], binary=True)
            s = time.perf_counter() - t0
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if count != n:
                fail(f"{table} holds {count} rows, {n} were inserted")
            emit("postgres", "multirow_insert", rows=n, rows_per_statement=per, seconds=s, per_s=n / s)
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


# --- openssl -------------------------------------------------------------------------------------


def openssl_speed(*args):
    r = subprocess.run(["openssl", "speed", *args], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"openssl speed {' '.join(args)} failed:\n{r.stderr[-2000:]}")
    return r.stdout


NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def cmd_ed25519(args):
    out = openssl_speed("-seconds", str(args.seconds), "ed25519")
    # The table row reads like ` 253 bits EdDSA (Ed25519)   0.0000s   0.0001s  32369.4  13003.4`:
    # its last two plain numbers are sign/s and verify/s (the ones with an `s` are seconds each).
    for line in out.splitlines():
        if "Ed25519" in line:
            nums = [float(t) for t in line.split() if NUMBER.match(t)]
            if len(nums) >= 2:
                emit("openssl", "ed25519", sign_per_s=nums[-2], verify_per_s=nums[-1])
                return
    fail(f"no Ed25519 row in openssl speed output:\n{out}")


def cmd_sha256(args):
    out = openssl_speed("-seconds", str(args.seconds), "-bytes", "1024", "sha256")
    # `sha256  1361560.02k`: "The 'numbers' are in 1000s of bytes per second processed".
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "sha256":
            m = re.fullmatch(r"(\d+(?:\.\d+)?)(k?)", fields[-1])
            if m:
                emit("openssl", "sha256_1k", bytes_per_s=float(m.group(1)) * (1000 if m.group(2) else 1))
                return
    fail(f"no sha256 row in openssl speed output:\n{out}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pymerkle", help="pymerkle SqliteTree: append, proofs, verify")
    a.add_argument("events")
    a.add_argument("workdir")
    a.add_argument("--batch", type=int, default=1000, help="entries per append_entries call (0: all)")
    a.add_argument("--proofs", type=int, default=2000)
    a.set_defaults(func=cmd_pymerkle)
    a = sub.add_parser("rsyslog", help="rsyslogd: RFC 5424 over TCP to a file")
    a.add_argument("events")
    a.add_argument("workdir")
    a.add_argument("--connections", type=int, default=8)
    a.add_argument("--timeout", type=float, default=120, help="seconds to wait for out.log")
    a.set_defaults(func=cmd_rsyslog)
    a = sub.add_parser("postgres", help="raw multi-row INSERTs, durable commits")
    a.add_argument("events")
    # Empty: libpq's PGHOST, PGPORT, PGUSER, PGDATABASE (and PGPASSWORD) decide.
    a.add_argument("--url", default=os.environ.get("ATTEST_TEST_POSTGRES_URL", ""),
                   help="libpq URL (default: $ATTEST_TEST_POSTGRES_URL from scripts/pg-cluster's env, else the PG* variables)")
    a.set_defaults(func=cmd_postgres)
    for name, func in (("ed25519", cmd_ed25519), ("sha256", cmd_sha256)):
        a = sub.add_parser(name, help=f"openssl speed {name}")
        a.add_argument("--seconds", type=int, default=2)
        a.set_defaults(func=func)
    args = p.parse_args()
    if getattr(args, "connections", 1) < 1 or getattr(args, "proofs", 1) < 1:
        p.error("--connections and --proofs must be at least 1")
    args.func(args)


if __name__ == "__main__":
    main()
