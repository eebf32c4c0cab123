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
run, and read what a change of the code gained from the A/B measurements in "What bounds" (the
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

Profiled with \`perf record --call-graph dwarf\` on \`attest serve\` under batches of 100 at 8
connections (2026-12-02), and with \`strace\` and \`/proc/PID/io\` for the bytes written.

**The targets missed in this run, in short** (its own figures; the analysis is from the
measurements dated in the bullets below):

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
  path, "OTLP" below).
- **Single events at 5,000 requests/s** ($(met "$rate_p99" "<=" 10)): ${rate_got} kept a second, p99 ${rate_p99} ms
  against 10 ms (p50 ${rate_p50:-?} ms), the server spending ${rate_us:-?} µs of CPU a request and the
  driver ${rate_client:-?}% of a core; the closed loop at 32 connections made ${closed32:-?} requests/s at
  ${closed32_us:-?} µs a request. Where the tail is: "Single events: where the tail is" below.
- **Store proofs at ${scale_size:-10M}** ($(met "${scale_store_incl:-}" ">=" 100000)): ${scale_store_incl:-?}/s with 2 callers against 100,000
  ($(times "${scale_store_incl:-0}" "$pm_incl") pymerkle against 50×), $(py 'print(round(2e6/float(sys.argv[1])) if float(sys.argv[1]) else "?")' "${scale_store_incl:-0}") µs of a core a proof per caller with the
  tiles in the page cache; the reference machine made 85k–102k with the same code path.

- **The query index shares the CPU with the ledger.** Since the byte path, the handlers and the
  ledger writer can outrun the indexer (nine B-tree inserts per event, about 30% of the server's
  CPU with batches of 100, mostly SQLite's B-tree descent): a first full run reached 34.6k
  events/s while the index fell 266 s behind at 10M. The sequencer waits for the indexer when it
  is more than 60,000 entries behind (STORE.md, "The query index"), so the figures above are what
  the ledger and its index sustain together. An index transaction costs mostly the pages it
  dirties (the session and on-behalf-of indexes dirty about one per distinct value), so the
  indexer now writes up to 50,000 rows a transaction (was 10,000, with a 20,000 bound): A/B at
  one moment, batches of 100 at 8 connections for 30 s 24.6k → 36.2k events/s, p99 431 → 222 ms;
  in two full runs of this code, the fill to 10M took 454 s and 522 s instead of 681 s, and the
  index caught up in 0.05–0.07 s instead of 0.57 s. Queries do not wait for the index any more: they read the entries it has not
  reached from the rows the indexer still holds (a query during full-speed ingest about 70 ms end
  to end with curl, was 0.4–0.5 s). The fixed schedule of single events starts once
  \`attest_index_lag_entries\` is 0 again (a run before started while the index caught up with the
  batches of 100, and measured that: p99 643 ms).
- **CPU, not the disk.** The two cores run about 80% busy, and the same run with
  \`synchronous=OFF\` is no faster: fsync (about 0.4 ms for 4 KB here) is not the bound. About
  55 µs of server CPU goes into each 900-byte event (90 µs before the byte path below). Of the
  server's CPU with batches of 100 at 8 connections (perf, 2026-12-02, after the byte path): the
  query indexer about 27% (eight B-tree inserts per event, in its own file, 250 ms behind), the
  request handler about 29% (the byte path 27%: parsing 4%, the schema 4%, the redaction walk
  and secret scanning 6%, canonical bytes 4%, allocation 5%), the ledger writer about 16% (entry
  insert, hashing, Merkle nodes, tiles), commits about 16% (half of it WAL checkpoints, which
  have since moved to a thread of their own: "WAL checkpoints" below), and HTTP the rest. The micro benchmarks above give each step alone.
- **Fixed on 2026-12-03** (counted with valgrind's cachegrind, whose instruction counts do not
  move with the machine: a harness normalizing the micro benchmark's 100-event batches 20 and 60
  times, the difference divided by 4,000 events): the byte path made a \`String\` of every member's
  key to look it up in the schema's dictionary and to match it against the redaction policy's
  names, hashing it each time (about 15% of its instructions). The schema is now also held with its
  field names as bytes (built once from the same \`EventSchema\`), the key-name matcher reads the
  key's bytes and makes a \`String\` only for a name its Bloom filter lets through, and a string's
  last word jumps to its first special byte (the scanner's fix under "Verification"): 146.5k →
  124k instructions per event (−15%). The differential tests catch a schema lookup by length only
  and a required-member count that is not checked.
- **Fixed on 2026-12-02** (batches of 100 at 8 connections, measured one at a time: 11.5k →
  16.4k events/s; at 32 connections 13.4k → 19.2k):
  - the indexer read every entry back and parsed it again; the sequencer now hands it the index
    columns of each commit, and it gathers 250 ms of commits per index transaction (server CPU
    per event 141 → 89 µs);
  - the \`entries\` table was \`WITHOUT ROWID\`: with ~1 KB rows its B-tree carried rows in
    interior pages, the file was 3.4× the data and an append wrote ~10 KB per event (a raw
    Python test of the two layouts: 36k against 102k rows/s). It is a rowid table now
    (migration \`v6-entries-rowid\`): 1.6 KB per event on disk, about 6 KB written per event
    (WAL, checkpoint, the index file);
  - the canonical bytes of each event are made on the request's task, not in the single writer;
  - SQLite queries with only ranges (\`time_range\`, an action prefix) read and sorted every
    match; they now scan the entries where the page starts first (STORE.md).
- **Fixed later on 2026-12-02** (each measured against the code before it, alternately at the
  same moment, batches of 100 at 8 connections unless said):
  - **the byte path** (SECURITY.md, "How ingest reads each event"): the events of a request are
    checked against the schema, redacted and written as RFC 8785 bytes from one flat parse over
    the body, without building dictionary-based \`JSONValue\` trees (parse, three walks and the
    freeing of the trees had taken about 40% of the server's CPU). It takes only batches it is
    certain about and leaves the rest, and every batch with a problem, to the tree path; tests
    compare the two byte for byte. 23.3k, 21.3k, 17.1k → 29.7k, 30.0k, 24.0k events/s;
  - short reads (the token and log lookups of every request, proofs) run in one transaction
    begun and committed by cached statements (GRDB's savepoint prepared its statements anew each
    time), the index columns of each event are computed on the request's task instead of by
    ten dictionary lookups in the sequencer, and the tree is handed from the parsed batch to the
    stored event without copies: together 17.8k → 20.0k events/s, and single events at 32
    connections 4.6k → 5.5k requests/s;
  - **OTLP** (batches of 100 at 32 connections): the usage points of log records and spans were
    written in a transaction of their own per request, which outnumbered the ledger's commits 30
    to 1; they are now written 250 ms behind, many requests at once (OTLP.md, "Usage analytics").
    The redaction policy was compiled once per record, and the mapper copied every object of
    every record to cut long strings. About 8.7k → 11k records/s, then +15–25%. Later: an
    event's id hashed its mapped event's canonical JSON, a second serialization of every record
    (about 9% of the server's CPU); it now hashes the request body's SHA-256 and the record's
    position (OTLP.md): A/B 12.7k, 14.0k, 14.1k → 13.6k, 14.7k, 14.9k records/s. The fallback
    action was built a \`Character\` at a time for every record, matched or not (1.3%); +1–3%;
  - server-assigned event ids (UUIDv7) made two \`getrandom\` system calls each; they now read
    256 random bytes at a time: 2.2% → 0.6% of the server's CPU with batches of 100 (perf).
- **Proofs from the disk** (2026-12-04). The full run of bafa2e1 measured 4,303 (1 caller) and
  9,070 (2 callers) store inclusion proofs/s at 10M entries, p50 0.05–0.08 ms but p99 2.8–3.3 ms,
  where the runs before it measured 20,000–40,000/s: the 19 GB fill had pushed the leaf tiles
  (16 entry hashes a row, 326 MB at 10M, stored among the entries) out of the page cache, so a
  proof whose tile was not cached waited for a random read of the disk (a 2.16M-entry store
  after dropping the caches, one caller: 20,022/s, then 34,449 and 35,667/s in the next runs).
  scripts/bench-scale now reads the tiles once before the proofs (2.82 s for 669,396 tiles at
  10M) and measures the other case on its own, with the ledger file dropped from the page cache
  (posix_fadvise): 19,116/s with 2 callers in the run of 0ba9340, against 82,115 cached.
- **Proofs** (2026-12-02). A proof from the SQLite store cost about 160 µs for one caller: GRDB's
  async read (two thread hops) and about 25 single-row queries (nodes of levels 4 and up, 16 entry
  rows for the levels below). Now (STORE.md, "How a proof is read"): short reads run on the calling
  thread through their own read-only connections, which never wait (an earlier attempt through
  GRDB's pool hung the server under concurrent proofs); levels 8 and up come from memory; levels
  0–7 from two proof tiles (one row of 16 leaf hashes, one of 16 level-4 hashes); the tree's right
  edge from the checkpoint's stored frontier. Later the same day: \`Hash256\` holds its 32 bytes
  inline instead of in an array, the proof plan and the nodes are resolved on arrays in plan order
  instead of dictionaries, and the log and its size come from one statement (a generic byte-by-byte
  \`Hash256(bytes:)\` from \`Data\` had cost more than the proof). On a 1M-entry store at one moment:
  30.7k proofs/s for one caller, 56.5k for two; at 10M entries in the full run, 42.0k/s for two
  callers (32.7k in the run before these changes) and 16.8k for one. Later still: the read transaction
  around a proof is begun and committed by cached statements (GRDB's savepoint had cost about 18%
  of a proof), the log's id and a size it has reached are kept in memory (a log's id never
  changes and its size only grows), and the subtrees inside a tile are hashed straight from the
  row's bytes. On a 1M-entry store at one moment: 31.7k → 54k proofs/s for one caller, 69k →
  92–109k for two. Then the two tile reads were about 40% of a proof and hashing inside the tiles
  about 19%. Since 2026-12-02 (late): a level-4 tile read once stays in memory with its levels
  5–7 already hashed (STORE.md; about 1 KB per 256 entries, 40 MB at 10M, bounded at 64 MiB), so a
  proof reads one row and hashes at most 7 nodes. A/B at 10M entries, alternating, warm-up 2 s:
  two callers 83.6k, 70.1k → 114.3k, 107.3k proofs/s; one caller 44.2k, 41.4k → 54.7k, 51.2k; in
  the first 2 s of a cold start (the cache filling) 86.4k → 102.6k. What is left per proof: the
  leaf tile read (SQLite's B-tree descent and a \`pread\` of each page not in its cache, from a
  19 GB file at 10M), up to 7 SHA-256, the WAL read lock (a system call per transaction), the
  plan, allocation and reference counting. The store proofs are measured
  with the server stopped (until this run its background verification of the grown log shared the
  cores). Over HTTP the load driver itself takes about 0.7 of the 2 cores (\`client_cpu_pct\`), and
  each answer is JSON with the signed checkpoint.
- **The raw SQLite peer** is a plain rowid table without secondary indexes, as the issue defines
  it. Until 2026-12-02 it used the ledger's old \`WITHOUT ROWID\` layout and measured about
  56k rows/s; that is why the ratio above dropped.
- **WAL checkpoints** ran inside the writer's commits (SQLite's \`wal_autocheckpoint\`: the
  commit that takes the WAL past 1,000 pages copies about 4 MB into the database and fsyncs it;
  a larger threshold had gained about 5% and doubled the p99). Since 2026-12-02 (late) they run on
  a thread of their own (STORE.md, "Durability"). A/B on a fresh server, alternating, after 15 s of
  batches of 100: single events at 5,000 requests/s for 20 s, p99 216 and 130 ms → 68 and 50 ms
  (max 307, 203 → 107, 84 ms); batches of 100 at 8 connections unchanged (32.1k, 35.0k → 31.3k,
  33.3k events/s: the copy still costs the same CPU, now beside the writer); OTLP batches of
  100 at 8 connections, where the writer is the bound, 12.9k, 12.5k → 14.0k, 15.6k records/s.
  The query index's database got its own checkpoint thread too: sustained batches of 100 at 8
  connections for 45 s on a fresh server (the index bounds them), 27.1k, 27.4k → 32.3k, 32.0k
  events/s, p99 369, 333 → 208, 180 ms.
- **What is left** for ingest: the eight query indexes (now the largest part), and in the byte
  path allocation and the secret scan of every string. Events with fractions or non-ASCII keys
  take the tree path. String values with escapes (a third of the workload's commands quote an
  argument, \`git commit -m \\"…\\"\`) are taken since 2026-12-03: the tree path's own parser decodes
  each such string into a side buffer. The micro benchmarks "Ingest of a batch of 100 events"
  give both paths on the same batches (2026-12-03, on the slowed machine: 3.62 ms against 6.41
  ms a batch, 2,168 against 4,834 allocations).
- **OTLP** (perf, batches of 100 at 32 connections, 2026-12-02): the server uses about 1.8 of
  the 2 cores. Each record becomes a dictionary-based event tree of about 2 KB of canonical JSON
  (the whole record is kept under \`attributes.otlp\`): decoding the protobuf about 5% of the
  CPU, mapping into the tree 22%, validation, redaction and canonical bytes 15%, freeing the
  trees about 5%; the ledger writer about 30% (2 KB rows, WAL checkpoints, since moved off it,
  the query index, usage points). The writer is busy nearly all the time, about a third of it waiting for a core
  the request handlers hold. A byte path from protobuf to canonical bytes, like REST's, is what
  is left. Profiled again later on 2026-12-02 (batches of 100 at 8 connections, after the WAL
  checkpoints moved off the writer): the ledger writer is no longer the bound (about 15% of a
  core); the request handlers take about 62% of the server's samples (mapping 18%, validation,
  redaction and canonical bytes 20%, decoding 5%, the rest reference counting, allocation and
  freeing of the trees). An experiment that left \`attributes.otlp\` out of the events gained
  only 22% (7.8–8.0k against 6.2–6.7k records/s, alternately, on a slow moment of the machine):
  writing that part straight from the protobuf would gain at most that, so the typed part of the
  event (the mapping rules) needs the byte path as well.
  Tried on 2026-12-03 and not kept: each record's \`attributes.otlp\` written as JSON text straight
  from the protobuf, the rules' members as a small tree, and the whole event sent through REST's
  byte path (\`FastEventPath\`). It gave exactly the tree path's events (a differential test on
  generated requests) but cost more: 117 µs of CPU a record against 65 µs for the tree path
  (micro benchmark, both paths in one run, a request of 100 of the load driver's records; the
  table above is of a slower moment of the machine), because REST's byte path
  parses JSON text, about 25 ns a byte, and an OTLP event is about 2 KB, while the tree path
  never parses (its tree comes from the decoded protobuf). A byte path for OTLP would have to
  redact and write canonical JSON from the protobuf directly. The micro benchmark "OTLP logs, a
  request of 100 records" measures what the route does per request before the ledger; in a
  server run (perf, b100@8, 2026-12-03) that is well under half of the server's 230–280 µs a
  record: the rest is protobuf decoding, the ledger and index writes of 2 KB events, usage
  points, HTTP, and allocation.
- **PostgreSQL:** one tenant's appends are serialized across nodes by the log's advisory lock (one
  chain per tenant), so a second node on the same 2 cores adds contention, not throughput; each
  batch costs six round trips and PostgreSQL maintains the query index behind it.
  **Fixed on 2026-12-02 (late):** the idempotency check of every append asked for
  \`event_id = ANY(ids)\`, and on a database not yet analyzed (the benchmark's, for its first
  minute; any new installation) PostgreSQL read all of the log's \`event_ids\` and filtered them,
  inside the log's lock (\`EXPLAIN ANALYZE\` at 300,000 rows: 129 ms against 3 ms by index; perf
  showed the appending backend in \`ExecEvalHashedScalarArrayOp\` and bitmap heap scans, and
  each run slower than the one before, 7.9k, 5.2k, 4.6k events/s, until autovacuum analyzed the
  table). Every lookup by a list of keys is now one index probe per key, whatever the statistics
  (POSTGRES.md, "Lookups by a list of keys"), and a node's indexer reads back only the entries
  other nodes committed, not the whole range. A/B on a fresh database, alternately: 1 node 7.5k,
  7.9k → 9.6k, 10.4k events/s; 2 nodes 4.5k, 5.8k → 8.2k, 7.5k. What bounds it now is the CPU:
  with 2 nodes (perf of the whole machine, a fast moment: 14.2k events/s together) PostgreSQL
  takes 43% of the machine and the two servers and their load drivers 41%, 8% is idle; the
  backend that maintains the ten query indexes alone about 31 µs of CPU per event, the appending
  backends about 21 µs. 30k events/s on 2 nodes needs about half the CPU per event on this
  machine, or nodes and PostgreSQL on machines of their own.
- **The load driver** runs on the same 2 cores; each BENCH line records its own share
  (\`client_cpu_pct\`, percent of one core), and, since 2026-12-02 (late), the server's
  (\`server_cpu_pct\`, read from \`/proc/PID/stat\`) and the server's CPU time per event
  (\`server_us_per_item\`, the REST and OTLP tables' last columns).
  Since 2026-12-03 each connection is a SwiftNIO channel (NIOHTTP1's encoder and decoder) driven
  from its event loop, with no task or connection pool per request; through AsyncHTTPClient the
  driver had taken about 250–300 µs of CPU per request, 0.6–0.8 of a core for single events,
  which the server then did not have. Same server binary, one run each (2026-12-03): single
  events at 8 connections 1,900 → 2,608 requests/s (driver 58% → 24% of a core), at 32
  connections 2,966 → 3,751 (69% → 29%); on the schedule of 5,000/s, 3,212 → 4,375 kept (p99
  4.4 → 1.2 s); at 3,500/s the server kept up, p99 27 ms. Batches of 100 unchanged (18.8k/18.6k
  events/s; the driver was 12% → 5%).
  A full \`scripts/bench\` of 1a108f1 (all of the above, 2026-12-03) ran at about half this
  machine's usual speed (\`openssl speed ed25519\` 9,820 signatures/s against 20,334 at the start of
  the run of 9b6a977, SHA-256 at 49% of the reference, 13% of the busy time taken by the hypervisor)
  and is not published for that reason; even so, the schedule of 5,000 single-event requests/s
  kept 4,685/s (p99 714 ms) where the run of 9b6a977 kept 3,585/s (p99 3.9 s), and proofs over
  HTTP at 514,206 entries reached 3,221 and 3,556/s (2,744 and 2,776 in the run of 9b6a977).
- **The writers bind rows through SQLite's C API** (2026-12-02, late): the entry, Merkle node and
  query index rows of every event were inserted with GRDB's \`execute(arguments:)\`, which boxes
  every argument and copies every blob first; \`RawInsert\` (Sources/AttestStore) binds them
  straight from the values. A/B, batches of 100 at 8 connections, alternately on a slow moment of
  the machine: 14.1k, 14.9k, 15.0k → 15.4k, 16.1k, 15.2k events/s; server CPU per event 119,
  117, 115 → 113, 109, 112 µs.
- **Single events:** the server's capacity for them is close to the schedule's 5,000 requests/s,
  so the p99 follows the machine's speed at the moment: closed loops at 32 connections reached
  4,853 requests/s in one full run of 2026-12-02 (the schedule then kept 4,551/s with p99 1 s)
  and 5,188 in a later one (4,994/s kept, p99 29 ms, max 43 ms; server-assigned ids no longer
  cost two system calls each by then); the load driver itself takes about 0.6 of a core at
  5,000 requests/s. At 3,000 requests/s for 30 s, p99 was 15.6 ms, max 30 ms. Per request (perf, batches of 1 at 32
  connections): HTTP and NIO about 25% of the server's CPU, the append 12.5%, malloc 9%, the
  byte path 8.5%, the indexer 8%, checkpoint signing 5%: no single hot spot; meeting p99 ≤ 10 ms
  at 5,000/s needs roughly twice the capacity. Moving WAL checkpoints off the writer (below) cut
  the p99 in an A/B on a fresh server (216, 130 → 68, 50 ms), but the full run after it measured
  p99 37 ms (4,988/s kept): what is left is capacity.
  On the Xeon host (2026-12-03) the closed loop at 32 connections reaches only 2,060–2,600
  requests/s with the server at 120–130% of its 200% CPU: there the bound is the serial commit
  cycle, not CPU. The sequencer is in \`store.append\` 95% of the time, about 3.2 ms a commit of
  ~9 events, of which (a probe, not kept) the hop into GRDB's writer queue 0.3 ms, the
  transaction body 0.55 ms, and COMMIT with its fsync and the way back 2.0–2.15 ms: each commit
  writes a median of 20 WAL frames (page 1 for the file size, entry leaves, both entry indexes,
  the checkpoint row with its frontier, interior pages on splits), whatever its size. Preparing
  what can be prepared (hashes, Merkle, the note body) while the previous commit syncs is the
  next step there.
  Each commit also made its checkpoint's signer anew (deriving the Ed25519 public key from the
  seed); since 2026-12-03 it is made once per log: A/B, 4 pairs at 32 connections, 2,204 → 2,295
  events/s, within the machine's noise.
  Per request, the fixed cost outweighs the event: at one connection the server spent about
  1,000–1,450 µs of CPU per single-event request against about 100 µs per event in batches of
  100 (perf and strace, 2026-12-03: about 55 system calls a request, among them 20 \`pwrite\`s,
  12 \`fcntl\` locks and 7 \`pread\`s; HTTP and NIO 17% of the CPU, the append 12%, the byte path 8%,
  reads of the token and the tenant's log 6%). Since then (each an A/B of the code before it,
  alternately, 5–6 s runs): the tenant's log and origin are kept in memory after the first read
  (an ingest request had read the \`logs\` table in two read transactions of its own), writes are
  begun and committed with cached statements instead of GRDB's \`BEGIN\`/\`COMMIT\` parsed each time,
  and the signer's verifier key is made once: server CPU per event at 1 connection 1,080, 916 →
  804, 676 µs (733, 836 → 937, 1,105 requests/s), at 8 connections 481, 544 → 462, 380 µs. Then
  a token found is kept for one second (OPERATIONS.md, "Secrets and logs"): 734, 561 → 604,
  511 µs at 1 connection, 8 connections within noise (427, 335 → 328, 338 µs).
- **Single events: where the tail is** (2026-12-04, AMD EPYC host; nothing kept). On a fresh
  server filled for 10 s with batches of 100, then single events at 5,000/s for 10 s (64
  connections, continuous verification off), the p99 moves between 10 and 36 ms from run to run
  with the same binary. A first set of runs pointed at the query index: with the indexer held
  back for the 10 s (its rows kept for later) p99 4.9, 5.9, 5.9 ms against 9.9, 10.9, 18.1 ms
  with it, alternately; a second set half an hour later, on a slower moment, did not repeat it
  (17.1 and 13.1 ms held back, 20.8 and 11.5 ms with the index). Tried on the index without a
  change beyond that noise (2–3 alternating pairs each): its transactions on a thread of their
  own at nice 0, 10 or 19; its database and checkpoints without fsync; its checkpoints every
  10,000 WAL pages instead of 1,000; SQLite's global memory statistics (and their mutex) off;
  commits gathered for 50 ms instead of 250 ms before each index transaction (p99 18–21 ms).
  Measured inside the server (a probe, not kept): of 55,000 requests in such a run, the time from
  entering the sequencer's queue to being answered exceeded 5 ms for 7,419 and 10 ms for 658
  (1.2%) while the client's p99 was 20.8 ms; the commits themselves (9,995, \`store.append\`
  only) exceeded 5 ms 105 times and 10 ms 6 times. The scheduler's run-queue delay for the
  server's threads (perf sched) averaged 0.1–0.2 ms and peaked at 5 ms. So about half of the
  p99 is spent in the sequencer, mostly waiting for the commit cycle rather than in the commit's
  SQLite work, and the other half before and after it (HTTP, normalization, the answer, the
  driver on the same cores). A second probe timed the cycle: over a run of 11 s (p99 23.2 ms)
  the sequencer made 9,660 commits of 5.7 events on average and spent 10.5 s of the 11 s inside
  \`store.append\` (1.08 ms a commit: the hop into GRDB's writer, the transaction, COMMIT with
  its fsync, the way back); handing the index rows over and resuming the requests took 0.026 ms
  a commit. The serial commit loop is about 95% busy at 5,000 requests/s, so requests queue for
  it: the figure to lower is the 1.08 ms a commit (fsync alone about 0.4 ms here), or the
  cycle must overlap one commit's fsync with the next one's work (one SQLite connection cannot).
- **Single events: the commit cycle** (2026-12-04, later; same host and A/B method as above,
  \`/metrics\` read before and after each 10 s run for the commits' count and mean time).
  **Kept: WAL checkpoints once per 1,000 new pages.** Counting \`fdatasync\` and \`pwrite\` per file
  descriptor (\`perf record -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64\`) at
  2,500 single-event requests/s: the ledger's commits made 1,284 fsyncs a second, and the WAL
  checkpoint thread another 1,090 (632 WAL and 458 database fsyncs) with 6,200 page writes.
  Steady commits rarely leave the WAL fully copied when the next one begins, so the WAL was not
  restarted, stayed past 1,000 pages, and the hook woke the thread after nearly every commit.
  Now it counts pages written since the last checkpoint began (STORE.md): 15 checkpoint fsyncs
  a second and 1,640 page writes at the same rate. New test: with a reader holding an old
  snapshot, 300 single-event commits ran 241 checkpoints before and at most 2 now. At 5,000
  requests/s the mean commit went from 0.74 ms (3.9 events) to 0.56–0.68 ms (2.9–3.6 events).
  **Tried, not kept:** (a) the commit loop on a thread of its own entering GRDB's writer queue
  synchronously (no hop to a queue thread and back): mean commit 0.36–0.51 ms (2.1–2.9 events),
  but it picked requests up so fast that a test relying on requests queueing behind a commit
  (429 from a queue of one event) stopped seeing any; (b) a minimum time between commit starts,
  so commits are fewer and larger: at 1 ms, 7,954 commits of 6.9 events instead of 22,855 of 2.4,
  server CPU 128% instead of 143%, p99 13.2 against 12.3 ms; at 2 ms, 4,581 commits of 12
  events, 122%, p99 16.5 ms. **The client's p99 did not follow the commit time**: 11.2 ms before,
  13.4, 12.2, 8.8 ms with the checkpoint change, 15.4, 10.5, 12.5, 11.2 ms with (a) as well, in
  alternating runs. The loop stays 96–106% busy whatever a commit costs (a cheaper commit makes
  more and smaller ones), the server's CPU stays at about 140% of its 200% (at 2,500 requests/s
  still 113–126%), and with the driver's 35% the machine is ~88% busy: the tail is set by that,
  outside the commit cycle, and what would lower it is less CPU per request in the server
  (HTTP, normalization, the answer, the indexer's rows). The full run of c7baf9b (the checkpoint
  change) measured the closed loop at 32 connections at 9,624 requests/s and the fixed schedule's
  p99 at 12.3 ms; the two runs before it 5,724 and 8,893 requests/s, 22.2 and 24.7 ms, but on
  slower moments of the machine (raw SQLite 80% of the reference then, 107% now), so only the
  A/B above speaks for the change.
- **Action prefixes behind other actions** (2026-12-04). The run of 0ba9340 measured
  action_prefix pages at 10M at p50 203 ms, p99 313 ms (4.4 and 7.9 ms in the run before): the
  filters before it had written about 17,500 audit.query records, so the newest 20,000 entries
  held less than a page of each prefix, and the fallback asked the action index for the whole
  prefix range (millions of rows) and sorted it by seq. Now a prefix without an equality filter
  walks its distinct actions (one seek of the action index each, up to 64) and merges the first
  page of each, whose rows are already in seq order (STORE.md, "The query index"). A/B on a 2.16M-entry
  store with 20,000 audit.query records on top, alternately: p50 51, 79 → 3.6, 4.4 ms; p99 93,
  127 → 6.1, 6.4 ms. The first full run with it (e65b5db, 2026-12-04) measured action_prefix
  pages at 10M at p50 2.89 ms, p99 5.54 ms.
- **Query pages** (2026-12-03, on the Xeon host). With one client paging through a 1M-entry log,
  the server spent 7–13 ms of CPU per page of 100 (perf): parsing each entry into a
  dictionary-based tree (about 19% of its samples), serializing the page again (15%) and freeing
  the trees (about 9%), and 10% in the cursor, whose filter fingerprint hashed Swift's
  reflection-based description of the query. Pages are now written as bytes around each stored
  event (already its own RFC 8785 form; the entry is checked in one pass by the verifiers'
  scanner and anything unusual takes the full parse, STORE.md), and the cursor fingerprints a
  length-prefixed encoding of the filters (\`v1\` cursors still read). A/B on that log, alternately,
  with continuous verification off (its first pass after a restart covers the whole log and
  shared the cores): server CPU per page 7.1–12.5 → 4.5–6.4 ms, median page about a third
  faster; then the cursor 5–15% less again. What is left per page: the entry reads
  (SQLite and \`pread\`), the one-pass check of each entry, HTTP, and the data-access event
  every query appends (a commit, its checkpoint signature and its index row, behind the answer).
  In the full run of 9e96d46 (2026-12-03) at 10M entries the median page took 3.2–6.0 ms (the
  run before: 7.8–15.4 ms) and the p99 6.3–25.5 ms, except the first filter measured after the
  fill (\`newest\`, p99 43 ms with p90 7.6 ms): continuous verification was then still checking
  the fill's last entries, in chunks of 4,096 without suspending, on one of the two threads of
  Swift's cooperative pool, where the request handlers run.
  Since 2026-12-03 (after that run) the passes run on a thread of their own at nice 10
  (\`BackgroundExecutor\`, now \`ThreadExecutor.background\`, OPERATIONS.md): on a 1M-entry log with 3,000 events/s arriving and a
  pass every 5 s, verification on the cooperative pool had raised a query's p99 from about 17.5 to
  21.5 ms (2 pairs); the A/B of the change under load was within the machine's noise at the time
  (p99 120, 143, 104 → 92, 90, 122 ms at 6,000 events/s).
  The next full run (of df0a9e2, 2026-12-03, a faster moment of the machine) still had the same
  tail on the first filter after the fill (\`newest\`: p50 4.4 ms, p99 35 ms; every other filter
  p99 8.4–17.1 ms): moving verification off the pool did not remove it. Reproduced on a
  1.7M-entry log (fill of 100 s, then 5 s of pages, 2026-12-03): p99 19 ms (max 74) right after the
  fill with verification on, 7.3 ms (max 21) with it off, and 4–5 ms 20 s later either way. So it is
  verification catching up after the fill: at nice 10 it still shares the two cores and the page
  cache with the query. Running that thread under \`SCHED_IDLE\` instead was tried and not kept:
  alternate runs after 60 s fills (p99 7.2, 10.6 ms at nice 10 against 6.1, 13.3 ms) were within
  the machine's noise, and under sustained load it would let verification fall further behind.
  Since then \`scripts/bench-scale\` measures one run of \`newest\` right after the fill, waits until
  verification has caught up (the wait is reported), and times every filter after that: the
  target's figure is the steady state, and the figure during catch-up is printed beside it.
- **Memory.** glibc's malloc gave each thread that met a locked arena a new one (up to 8 per
  core), and memory freed in one arena is not reused by another: in 60 s of batches of 100 at 8
  connections the server's RSS grew 137 → 192 MB with the default, 120 → 141 MB with one arena per
  core, which \`attest serve\` now sets (\`mallopt(M_ARENA_MAX)\`; the \`MALLOC_ARENA_MAX\`
  environment variable wins). Before that, growing a log to 10M entries took the RSS to 342 MB.
  Growing a log to 10M entries with this setting (2026-12-02), the RSS stayed near 150 MB up to
  6.4M entries, then rose to 194–209 MB by 10M in two runs. In the run above, with ingest held to
  what the query index sustains, it stayed at 122–135 MB from 1.2M to 10M entries (scale table):
  the late growth came with an indexer that lagged (its waiting rows, and the entries read back
  and parsed when more than 50,000 waited). As the log grows, the sustained fill rate falls from
  about 22k to 12–13k events/s: the index's B-trees deepen, and ingest waits for them.
  What remains grows with connections × batch size (request bodies in flight and the group-commit
  queue) and with SQLite's page caches (the index writer keeps 32 MB).
- **Verification** (2026-12-02). Each line was parsed into the dictionary-based \`JSONValue\` and
  serialized again to check its canonical form: 43.5k entries/s for a bundle. Lines are now read by
  a one-pass scanner that checks the canonical spelling and finds the entry's members without a
  tree (SECURITY.md, "How the verifiers read each line"); anything it is not certain about takes the
  full parse. Then the rest of the per-line cost went (measured on a 1M-entry, 1.25 GB bundle at one
  moment: 4.8 s → 1.5–1.7 s, about 600k entries/s): \`Hash256\` inline (it was an array, allocated
  several times per entry), hex digits and \`received_at\` checked on the bytes, no per-line arrays
  or copies, the chain appended in place (a copy of the chain copied its compact range on every
  entry), each 1 MiB of lines scanned and hashed on both cores, and the next 1 MiB read and split on
  a third thread (\`LineChunks\`). SHA-256 is now about a quarter of the CPU and the scanner about a
  third; the chain and tree, applied in order, are the part that stays sequential. The same machine
  took 2.2–3.2 s for the same bundle an hour later (\`openssl speed\` 13% slower too), so the
  figure above moves with the machine. \`verify --data-dir\` reads the next 4096 entries while it
  checks these and scans them on every core (1M entries: about 6.7 s → 3.4 s); the server's
  continuous verification stays on one core, so it does not take the cores from ingest.
  On the Xeon host (2026-12-03, perf of \`attest verify\` on a 1.03M-entry, 1.31 GB bundle) the
  scanner's strings were 34% of the CPU: a word of eight bytes that held a special byte (the closing
  quote of every string) was then stepped through byte by byte, re-reading the word after each
  byte; it now jumps to the first special byte (the lowest flagged byte of the word, exact because
  borrows only run upwards), which halved the scanner's instructions (valgrind: 24,109 → 11,718 a
  line). The chain and tree are applied while the next chunk is scanned and hashed (they had left a
  core idle for about 8% of the time), chunks are split into 16 parts per core instead of 4 (the
  last parts of a chunk left a core idle), and \`LineChunks\` reads into uninitialized memory instead of
  zero-filling each 1 MiB first. Alternating runs at one moment: 3.94/4.00 s → 2.52/2.64 s
  (1.55× faster, about 400k entries/s); with 16 parts per core, alternating runs 2.77/3.02/3.24 s →
  2.60/2.68/2.71 s (both cores busy 1.9 of 2). What is left: SHA-256 about 30%
  of the CPU, the scanner about a third, the kernel copying the file about 5%.
DOC
