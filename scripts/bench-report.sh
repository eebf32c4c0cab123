# Sourced by scripts/bench after a full or --quick run: writes docs/BENCHMARKS.md from the figures
# it collected (shell variables named in scripts/bench).
cat > docs/BENCHMARKS.md <<DOC
# Benchmarks

Produced by \`scripts/bench${1:+ $1}\` on $(date -u +%Y-%m-%d): $(nproc) cores ($cpu),
$(free -g | awk '/Mem:/ {print $2}') GiB memory, release build, SQLite WAL with \`synchronous=FULL\`.
Every load is driven by \`attest-load\` (Sources/attest-load: a fixed number of HTTP/1.1
connections, HdrHistogram percentiles) on the same machine, so the server, its indexer and the
client share the $(nproc) cores. The events are \`attest-load sample\`: $n events of 300 to 1500
bytes of JSON ($avg on average; varied actors, principals, agents, sessions and resources, nested
request arguments and attributes; a third of the shell commands quote an argument, with JSON's
escaped quotes). CLI figures are medians of $runs run(s); load runs are single
runs of ${secs} s after 1 s of warm-up. Figures move by about ±10% between runs on this machine, and the
OTLP and PostgreSQL load figures by up to ±30%: three full runs on 2026-12-02 gave 9.4k, 10.2k
and 7.0k OTLP records/s, and 6.2k, 5.7k and 7.3k events/s for PostgreSQL on 2 nodes, with nothing
on those paths changed between the last two. The machine's speed also drifts by 10–30% within an
hour (\`openssl speed\` SHA-256 measured 1.37 to 1.65 GB/s on 2026-12-02, the raw SQLite peer
121k to 192k rows/s): compare runs through the ratios to the limits and peers measured in the same
run, and read what a change of the code gained from the A/B measurements in
[PERFORMANCE.md](PERFORMANCE.md) (the
change and the code before it, alternately at the same moment), not from differences between runs.
CI runs \`scripts/bench --smoke\` on the debug build (the end of \`scripts/test\`): it fails when a
stage prints no figures or a load run gets an error, and its figures are thrown away.

${speed_note}

## Targets (issue 7)

| figure | target | measured | |
|---|---|---|---|
| REST ingest, batches of 100, 8 connections, SQLite, durable, chained, checkpoint-signed | ≥ 100,000 events/s | ${best_rest} events/s | $(met "$best_rest" ">=" 100000) |
| … as a share of a raw SQLite append of the same rows | ≥ 60% | $(pct "$best_rest" "$raw") of ${raw} rows/s | $(met "$(py 'print(float(sys.argv[1])/float(sys.argv[2])*100)' "$best_rest" "$raw")" ">=" 60) |
| single-event requests at ${rate_got} req/s (fixed schedule, 64 connections) | p99 ≤ 10 ms | p99 ${rate_p99} ms | $(met "$rate_p99" "<=" 10) |
| OTLP log records | ≥ 50,000 records/s | ${best_otlp} records/s | $(met "$best_otlp" ">=" 50000) |
| PostgreSQL, 2 nodes | ≥ 30,000 events/s | ${pg_two} events/s (1 node: ${pg_one}) | $(met "$pg_two" ">=" 30000) |
| full verification of a ${pg_bundle_n}-entry bundle | ≥ 500,000 entries/s | ${pg_bundle} entries/s | $(met "$pg_bundle" ">=" 500000) |
| inclusion proofs from the store at ${scale_size:-10M} entries | ≥ 100,000 proofs/s, ≥ 50× pymerkle | ${scale_store_incl:-not measured}/s from the SQLite store (2 callers; 1 caller: ${scale_store_incl1:--}/s; tiles read from disk: ${scale_cold_rate:--}/s), $(times "${scale_store_incl:-0}" "$pm_incl") pymerkle (${pm_incl}/s at ${n} leaves); over HTTP (8 connections): ${scale_http_incl:--}/s | $(met "${scale_store_incl:-}" ">=" 100000) |
| filtered query page of 100 at ${scale_size:-10M} entries (SQLite) | p99 ≤ 20 ms | worst filter p99 ${scale_query_p99_max:-not measured} ms (PostgreSQL at ${pg_query_size}: ${pg_query_p99_max} ms); right after the fill, while verification caught up: p99 ${scale_verifying_p99:-?} ms | $(met "${scale_query_p99_max:-}" "<=" 20) |
| memory during sustained ingest | RSS ≤ 250 MB, flat | after each bench-serve run: ${rss_series}MB; growing to ${scale_size:-10M} entries: at most ${scale_rss_max:--} MB (table below) | $(met "$( (tr ' ' '\n' <<<"$rss_series"; echo "${scale_rss_max:-0}") | sort -n | tail -1)" "<=" 250) (≤ 250 MB; whether it stays flat: the scale table) |

## The reference run (2026-12-02, AMD EPYC)

The targets were last read against a full run of c8e3332 on 2026-12-02, when this virtual
machine ran on an AMD EPYC host (SHA-256 of 1 KiB blocks 1,498,797/s, \`openssl speed ed25519\`
39,108 signatures/s, the raw SQLite append 157,270 rows/s). Since 2026-12-03 it runs on an Intel
Xeon host at about half that speed (the same limits: about 807,000 blocks/s, 13,000 signatures/s,
83,000 rows/s). That run's figures (docs/BENCHMARKS.md at c8e3332), beside the targets:

| figure | target | 2026-12-02, AMD EPYC | |
|---|---|---|---|
| REST ingest, batches of 100, 8 connections | ≥ 100,000 events/s, ≥ 60% of raw SQLite | 31,144 events/s, 20% of 157,270 rows/s | missed |
| single events at 5,000 req/s | p99 ≤ 10 ms | p99 37 ms | missed |
| OTLP log records | ≥ 50,000 records/s | 13,863 records/s | missed |
| PostgreSQL, 2 nodes | ≥ 30,000 events/s | 7,697 events/s (1 node: 11,828) | missed |
| full verification of a 1M-entry bundle | ≥ 500,000 entries/s | 685,000 entries/s | met |
| inclusion proofs from the store at 10M entries | ≥ 100,000/s, ≥ 50× pymerkle | 102,047/s, 72.7× | met |
| filtered query page of 100 at 10M entries | p99 ≤ 20 ms | worst filter p99 12.61 ms | met |
| memory during sustained ingest | RSS ≤ 250 MB, flat | at most 145 MB | met |

The ratios move far less than the absolute figures between the two hosts: REST batches of 100
were 20% of the raw SQLite append there and 21% here, the store's inclusion proofs 72.7× and
71.8× pymerkle (2026-12-03).

## The CLI (\`attest append\`, \`verify\`, \`export\`)

| what | time | rate | limit or peer | ratio |
|---|---|---|---|---|
| \`attest append\`, batches of 1000 (validate, canonicalize, hash, chain, Merkle nodes, sign a checkpoint per batch, fsync; then build the query index) | ${append_s} s | ${append_r} events/s | raw SQLite append of the same rows (Python \`sqlite3\`, WAL, \`synchronous=FULL\`, 1000 rows a transaction, rowid table, no secondary index): ${raw} rows/s | $(pct "$append_r" "$raw") |
| \`attest append\`, batches of 100 | ${append100_s} s | ${append100_r} events/s | pymerkle's SQLite tree appending the same events, 1000 a transaction: ${pm_append} leaves/s | $(times "$append100_r" "$pm_append") |
| \`attest verify --data-dir\` (every hash, chain link, node and checkpoint signature) | ${verify_s} s | ${verify_r} entries/s | SHA-256 of 1 KiB blocks (\`openssl speed\`): $(py 'print(round(float(sys.argv[1])/1024))' "$sha") blocks/s | $(pct "$verify_r" "$(py 'print(float(sys.argv[1])/1024)' "$sha")") |
| \`attest export\` | ${export_s} s | ${export_r} entries/s | | |
| \`attest verify BUNDLE --key\` | ${vbundle_s} s | ${vbundle_r} entries/s | | |

Peers on the same events: rsyslog from Debian receiving them over TCP (RFC 5424, LF framing,
8 connections) into a file, what many teams use today, wrote ${rsys} events/s, with no fsync, no
chain, no signature and no index (Attest's batches of 100 reach $(pct "$best_rest" "$rsys") of that).
pymerkle (7.0.0, SQLite, stores leaves only) generated ${pm_incl} inclusion proofs/s and ${pm_cons}
consistency proofs/s at ${n} leaves, and verified ${pm_verify} inclusion proofs/s.

## \`attest serve\` REST ingest (\`scripts/bench-serve ${secs}\`)

POSTs of JSON arrays to \`/v1/events\`; every acknowledged batch is durable (one fsync per commit)
and covered by a signed checkpoint, sensitive fields are HMACed, and the query index (its own
SQLite file and writer) follows at most 250 ms behind (the sequencer hands it each commit's index
columns, and it writes 250 ms of them in one transaction). ${serve_rss}; the RSS column is after each
run (the log grows from run to run). The CPU columns are percent of one core (the machine has
$(nproc) cores, so 100 × $(nproc) is all of it) over the whole run, warm-up included; "server µs per event"
is the server's CPU time (user and system, all its threads) divided by the events it took, the
figure that moves least with the machine's speed.

| events per request | connections | events/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | RSS MB | driver CPU % | server CPU % | server µs per event |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${serve_rows}

Single events on a fixed schedule (latency counted from when each request was due, so a stall is
not hidden by the client waiting):

| requests/s asked | connections | events/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |
|---|---|---|---|---|---|---|---|---|
${rate_rows}

Queries on that log (${serve_size} entries), one client, sequential pages of 100 (latency includes
HTTP, auth and the data-access audit record each query writes):

| filter | requests | pages/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |
|---|---|---|---|---|---|---|---|
${query_rows}

RFC 9162 proofs from the store over HTTP (\`GET /v1/proofs/inclusion|consistency\`, random entries
and earlier sizes of that log, 8 connections; each answer carries the signed checkpoint):

| kind | log size | connections | proofs/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |
|---|---|---|---|---|---|---|---|---|
${proof_rows}

![throughput against connections](bench/throughput.svg)

![latency percentiles](bench/latency.svg)

## The log at scale (\`scripts/bench-scale ${scale}\`)

\`attest serve\` (SQLite) grown over HTTP to ${scale_size:-?} entries with batches of 100 on 8
connections, in runs of up to 30 s: ${scale_fill_s:-?} s in all, ${scale_db_mb:-?} MB on disk (ledger,
query index and WAL). The server's resident memory after each run, as the log grows:

| log size | events/s in that run | RSS MB |
|---|---|---|
${scale_fill_rows}

Then one untimed query brought the query index up to date (${scale_catchup:-?} s). Continuous
verification (OPERATIONS.md) runs at nice 10 and takes what ingest leaves, so after the fill it was
still checking entries it had not kept up with: pages of the \`newest\` filter right then had a p50
of ${scale_verifying_p50:-?} ms and a p99 of ${scale_verifying_p99:-?} ms. ${scale_verify_text}, and
then, at that size: queries, one client, sequential pages of 100 (each also records a data-access
event, so the log keeps growing a little):

| filter | requests | pages/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |
|---|---|---|---|---|---|---|---|
${scale_query_rows}

RFC 9162 proofs of random entries at the log's size: over HTTP (\`attest-load proof\`, each answer
with the signed checkpoint and the leaf hash), and straight from the store without HTTP
(\`attest-load store-proof\`: the same \`SQLiteLedgerStore\` calls the server makes, in 1 or 2
tasks, after a 2 s warm-up in which the store's cache of level-4 tiles fills (STORE.md); one
proof in 64 checked against the signed root). Each proof reads one leaf tile (16 entry hashes),
which lives in the ledger file among the entries; the fill writes far more than the page cache
keeps, so the log's ${scale_tiles_n:-?} tiles (${scale_tiles_mb:-?} MB) were first read once, in
${scale_tiles_s:-?} s, as they are on a server that answers proofs. With the ledger file dropped
from the page cache (\`posix_fadvise\`), so that a proof whose tile was not read since costs a
random read of the disk, 2 callers made ${scale_cold_rate:-?} inclusion proofs/s (p50
${scale_cold_p50:-?} ms, p99 ${scale_cold_p99:-?} ms).

| where | kind | log size | callers | proofs/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |
|---|---|---|---|---|---|---|---|---|---|
${scale_proof_rows}

## OTLP/HTTP log ingest (\`scripts/bench-otlp ${secs}\`)

Binary OTLP \`ExportLogsServiceRequest\`s of Claude Code \`tool_result\` records (the attributes
Claude Code documents) to \`/v1/logs\`; each record becomes a \`tool_call\` event (risk-classified,
the whole record kept under \`attributes.otlp\`, about 2 KB of canonical JSON), answered once
durable and signed. ${otlp_rss}.

| records per request | connections | records/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | RSS MB | driver CPU % | server CPU % | server µs per record |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${otlp_rows}

## Checkpoint signing (\`attest keys bench --count 5000\`)

One checkpoint note signed and verified 5000 times per backend (SoftHSM2 over PKCS#11, a software
token, when installed). The machine's own Ed25519 rate, \`openssl speed ed25519\`: ${ed_sign}
signatures/s and ${ed_verify} verifications/s; Attest's software Ed25519 signs at
$(pct "$sw_sign" "$ed_sign") and verifies at $(pct "$sw_verify" "$ed_verify") of it (note
formatting and parsing included).

| backend | signatures/s | verifications/s |
|---|---|---|
${signing_rows}

## PostgreSQL (\`scripts/bench-postgres ${secs} ${pg_entries}\`)

A throwaway PostgreSQL cluster on loopback (\`scripts/pg-cluster\`, \`fsync=on\`,
\`synchronous_commit=on\`), \`attest db init\`, release nodes started from copies of one data
directory, attest-load POSTing batches of 100 events to every node at once, one tenant. The raw
peer, multi-row \`INSERT\`s of the same events (1000 rows a statement, one transaction each) into a
table shaped like the ledger's entries, no secondary index: ${pg_raw} rows/s. Then the log is
grown to ${pg_entries}+ entries with batches of 1000 (${pg_fill}events/s per round) and queries
are measured.

| nodes | connections per node | events per request | events/s (all nodes) |
|---|---|---|---|
${pg_ingest_rows}

Per node (the first row is the one-node run):

| node | events/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |
|---|---|---|---|---|---|---|
${pg_ingest_lat}

Queries, one client, sequential pages of 100, after one untimed query brought the query index up
to date with the fill (it took ${pg_catchup:-?} s: both nodes' indexers fall behind while the two
nodes fill flat out on the same 2 cores):

| filter | log size | requests | p50 ms | p90 ms | p99 ms | p99.9 ms | errors |
|---|---|---|---|---|---|---|---|
${pg_query_rows}

${pg_misc}

Full verification of that log (\`attest export\`, \`attest verify BUNDLE --key\`, and
\`attest verify --data-dir\` reading the PostgreSQL node directory):

| what | entries | seconds | entries/s |
|---|---|---|---|
${pg_verify_rows}

## Micro benchmarks (ordo-one/benchmark)

\`swift package --allow-writing-to-package-directory benchmark --target AttestBenchmarks\`
(Benchmarks/AttestBenchmarks, release, allocations counted by its malloc interposer). Throughput
is operations per second (the bundle benchmark's operation is a whole 10,000-entry bundle).

${micro}

## What bounds these figures

Each target this run missed, with its own figures. The profiles and A/B measurements behind
these lines, dated, and what was tried and not kept, are in [PERFORMANCE.md](PERFORMANCE.md).

- **PostgreSQL, 2 nodes** ($(met "$pg_two" ">=" 30000)): ${pg_two} events/s (1 node: ${pg_one}) against 30,000.
  The raw peer, multi-row INSERTs of the same events into one table with no index, chain or
  signature, made ${pg_raw} rows/s on the same machine; the nodes, their load drivers and
  PostgreSQL share the $(nproc) cores, and a second node on them adds hand-offs of the log's lock, not CPU.
- **REST ingest, batches of 100** ($(met "$(py 'print(float(sys.argv[1])/float(sys.argv[2])*100)' "$best_rest" "$raw")" ">=" 60)): ${best_rest} events/s, $(pct "$best_rest" "$raw") of the raw
  SQLite append (${raw} rows/s). 60% of that append ($(py 'print(round(0.6*float(sys.argv[1])))' "$raw") events/s) leaves
  $(py 'print(round(int(sys.argv[2])*1e6/(0.6*float(sys.argv[1]))))' "$raw" "$(nproc)") µs of the $(nproc) cores per event for HTTP, validation, redaction, canonical
  bytes, hashing, the append, the signed checkpoint and the eight query-index inserts; the index
  inserts alone cost about 29 µs a row (the issue's own measure: 35,000 rows/s with the
  indexes), and the server spent ${rest_us:-?} µs an event in all in this run. Not reachable on
  $(nproc) cores while the index follows the ledger within a second.
- **OTLP** ($(met "$best_otlp" ">=" 50000)): ${best_otlp} records/s against 50,000 ($(py 'print(round(int(sys.argv[1])*1e6/50000))' "$(nproc)") µs of the $(nproc) cores per
  record of about 2 KB of canonical JSON); the server spent ${otlp_us:-?} µs a record (the tree
  path, PERFORMANCE.md, "OTLP"). The request handlers take about 60% of the server's CPU:
  each record is decoded, mapped into a dictionary-based event tree, validated, redacted and
  written as canonical JSON; REST's byte path does not apply (it parses JSON text, and an OTLP
  event never is text), so what is left is writing canonical JSON straight from the protobuf.
- **Single events at 5,000 requests/s** ($(met "$rate_p99" "<=" 10)): ${rate_got} kept a second, p99 ${rate_p99} ms
  against 10 ms (p50 ${rate_p50:-?} ms), the server spending ${rate_us:-?} µs of CPU a request and the
  driver ${rate_client:-?}% of a core; the closed loop at 32 connections made ${closed32:-?} requests/s at
  ${closed32_us:-?} µs a request. The server ran at ${rate_server:-?}% of its $(( $(nproc) * 100 ))% and the
  driver at ${rate_client:-?}%: the tail is the two cores' contention, not the commit (mean 0.6 ms, fsync
  included); PERFORMANCE.md, "Single events".
- **Store proofs at ${scale_size:-10M}** ($(met "${scale_store_incl:-}" ">=" 100000)): ${scale_store_incl:-?}/s with 2 callers against 100,000
  ($(times "${scale_store_incl:-0}" "$pm_incl") pymerkle against 50×), $(py 'print(round(2e6/float(sys.argv[1])) if float(sys.argv[1]) else "?")' "${scale_store_incl:-0}") µs of a core a proof per caller with the
  tiles in the page cache; the reference machine made 85k–102k with the same code path.

DOC
