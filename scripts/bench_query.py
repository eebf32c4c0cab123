"""Filtered query pages of 100 against a running `attest serve`: p50/p90/p99 per filter.

Sequential requests (one client), so the figures are latency, not throughput. Filters match the
events scripts/bench-assets/ingest.lua sends. Prints one BENCH line per filter.
    python3 scripts/bench_query.py URL TOKEN [REQUESTS]
"""

import statistics
import sys
import time

import requests

base, token = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
s = requests.Session()
s.headers["Authorization"] = f"Bearer {token}"
size = int(s.get(f"{base}/v1/checkpoint").text.split("\n")[1])
filters = {
    "newest": {},
    "actor": {"actor": "agent-17"},
    "on_behalf_of": {"on_behalf_of": "user-401@example.com"},
    "session": {"session": "sess-42"},
    "action_prefix": {"action": "command.*"},
    "resource": {"resource_type": "repo", "resource_id": "repo-42"},
    "time_range": {"from": "2020-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
}
for name, params in filters.items():
    times = []
    items = 0
    for i in range(n):
        t0 = time.perf_counter()
        r = s.get(f"{base}/v1/events", params={**params, "limit": 100})
        times.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        items = len(r.json()["items"])
    times.sort()
    q = statistics.quantiles(times, n=100)
    print(f"BENCH query filter={name} log_size={size} page_items={items} requests={n} "
          f"p50_ms={q[49]:.2f} p90_ms={q[89]:.2f} p99_ms={q[98]:.2f}")
