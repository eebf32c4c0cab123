-- wrk script: POST batches of realistic events to /v1/events.
-- BATCH (events per request) and TOKEN come from the environment.
local batch = tonumber(os.getenv("BATCH") or "1")
local token = os.getenv("TOKEN")
local words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}

local function event(i)
  local cmd = {}
  for k = 1, 8 + (i % 20) do cmd[#cmd + 1] = words[(i + k) % #words + 1] end
  return string.format(
    '{"action":"command.execute","category":"tool_call","actor":{"type":"agent","id":"agent-%d","name":"Claude Code"},' ..
    '"on_behalf_of":{"id":"user-%d@example.com"},"agent":{"id":"claude-code","version":"2.1.0","model":"claude-opus-4"},' ..
    '"session":{"id":"sess-%d"},"resource":{"type":"repo","id":"repo-%d"},"outcome":{"status":"success"},' ..
    '"request":{"args":{"command":"%s"}},"attributes":{"duration_ms":%d.5,"tags":["a","b"]}}',
    i % 200, i % 1000, i % 5000, i % 300, table.concat(cmd, " "), i % 1000)
end

local parts = {}
for i = 1, batch do parts[#parts + 1] = event(i) end
wrk.method = "POST"
wrk.body = "[" .. table.concat(parts, ",") .. "]"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH batch=%d requests=%d errors=%d duration_s=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f\n",
    batch, summary.requests, errors, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
