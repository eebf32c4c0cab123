"""Continuous verification inside `attest serve`: a byte of an already verified entry is changed
in the SQLite file while the server runs; the next full pass names it in /readyz and /metrics,
logs it at critical, and records a `ledger.verification_failed` event in the log itself."""

from __future__ import annotations

import sqlite3

from conftest import clean_env, event, poll




def test_an_edit_is_caught_while_serving(servers, tmp_path):
    data = tmp_path / "d"
    env = clean_env(ATTEST_VERIFY_INTERVAL_SECONDS="1", ATTEST_VERIFY_FULL_INTERVAL_SECONDS="3")
    srv = servers(data, env=env)
    s = srv.session()
    r = s.post(f"{srv.base}/v1/events", json=[event(f"c-{i}") for i in range(30)], timeout=30)
    assert r.status_code == 201, r.text

    def verified():
        v = s.get(f"{srv.base}/readyz", timeout=10).json().get("verification", {})
        n = v.get("logs", {}).get("default", {}).get("verified_entries", 0)
        return v if v.get("status") == "ok" and n >= 30 else None

    poll(verified, 30, "the first pass to verify 30 entries")
    metrics = s.get(f"{srv.base}/metrics", timeout=10).text
    assert "attest_verified_entries" in metrics and "attest_verification_passes_total" in metrics

    # Someone with the file changes one byte of entry 12 (triggers dropped first).
    db = sqlite3.connect(data / "ledger.sqlite")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    (blob,) = db.execute("SELECT entry FROM entries WHERE seq = 12").fetchone()
    forged = bytes(blob).replace(b"c-12", b"c-99", 1)
    assert forged != bytes(blob)
    db.execute("UPDATE entries SET entry = ? WHERE seq = 12", (forged,))
    db.commit()
    db.close()

    def failed():
        v = s.get(f"{srv.base}/readyz", timeout=10)
        assert v.status_code == 200, "integrity is reported by /readyz, not used to refuse traffic"
        body = v.json()["verification"]
        return body if body["status"] == "failed" else None

    body = poll(failed, 30, "a full pass to find the edited entry")
    failure = body["logs"]["default"]["failure"]
    assert failure["code"] == "hash_mismatch" and failure["seq"] == 12, failure
    assert "attest_verification_failures_total 1" in s.get(f"{srv.base}/metrics", timeout=10).text
    poll(lambda: "LEDGER VERIFICATION FAILED" in srv.stderr(), 10, "the critical log line")

    def recorded():
        r = s.get(f"{srv.base}/v1/events", params={"action": "ledger.verification_failed"}, timeout=10)
        return r.json()["items"] if r.status_code == 200 and r.json()["items"] else None

    items = poll(recorded, 15, "the failure recorded in the log")
    assert items[0]["event"]["attributes"]["seq"] == 12
    assert items[0]["event"]["actor"] == {"id": "attest-verifier", "type": "system"}
    # Ingest goes on: nothing is refused because of the failure.
    r = s.post(f"{srv.base}/v1/events", json=[event("after-failure")], timeout=30)
    assert r.status_code == 201, r.text
