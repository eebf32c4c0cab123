-- wrk script: POST OTLP/HTTP protobuf log batches (scripts/bench_otlp_body.py) to /v1/logs.
-- BODY (file), BATCH (records per request) and TOKEN come from the environment. Each request gets
-- its own 16-character marker, so every request appends new events.
local batch = tonumber(os.getenv("BATCH") or "100")
local token = os.getenv("TOKEN")
local f = assert(io.open(os.getenv("BODY"), "rb"))
local template = f:read("*a")
f:close()
local counter = 0
local thread_id = 0
local next_id = 0

setup = function(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
end

request = function()
  counter = counter + 1
  local marker = string.format("t%02d%013d", thread_id, counter)
  local body = template:gsub("UNIQUEUNIQUEUNIQ", marker)
  return wrk.format("POST", "/v1/logs", {
    ["Content-Type"] = "application/x-protobuf",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH otlp batch=%d requests=%d errors=%d duration_s=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f\n",
    batch, summary.requests, errors, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
