-- Shared by every scenario: per-thread seeds and a machine-readable summary line.
local M = {}
local threads = 0

function M.setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function M.init()
  math.randomseed(tid * 7919 + tonumber(os.getenv("BENCH_SEED") or "1"))
end

function M.headers(extra)
  local h = { ["Accept"] = "application/json" }
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then h["Authorization"] = "Bearer " .. token end
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

-- A write scenario's Idempotency-Keys: "<prefix>-<run>-<thread>-<n>", never the same twice
-- across wrk threads, wrk runs (BENCH_NONCE: wrk restarts a script's counters every run) or
-- the two servers of an A/B (BENCH_RUN). The bench finds the rows a run wrote by them.
function M.keys(prefix)
  local run = os.getenv("BENCH_RUN") .. "-" .. os.getenv("BENCH_NONCE")
  local n = 0
  return function()
    n = n + 1
    return string.format("%s-%s-%d-%d", prefix, run, tid, n)
  end
end

-- A JSON POST sent with its Idempotency-Key.
function M.keyed_post(path, key, body)
  return wrk.format("POST", path,
    M.headers({ ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }), body)
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end

return M
