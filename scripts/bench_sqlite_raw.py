"""Raw SQLite append of entry-sized rows: the limit `attest append` is compared with.

Same journal mode and durability as the ledger (WAL, synchronous=FULL), 1000 rows per
transaction, a plain rowid table (rows in insertion order), no secondary index: the issue's
"raw append". The ledger's own table is a rowid table too, with two unique indexes. Prints rows/s.
"""
import sqlite3
import sys
import time

events, path = sys.argv[1], sys.argv[2]
rows = [line.rstrip("\n").encode() for line in open(events, encoding="utf-8")]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE entries (log_id INTEGER, seq INTEGER, hash BLOB, event_id TEXT, entry BLOB)")
h = b"\x00" * 32
start = time.perf_counter()
for b in range(0, len(rows), 1000):
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO entries VALUES (1, ?, ?, ?, ?)",
        ((b + i, h, f"e{b + i}", r) for i, r in enumerate(rows[b : b + 1000])),
    )
    db.execute("COMMIT")
elapsed = time.perf_counter() - start
print(f"{len(rows) / elapsed:,.0f}")
