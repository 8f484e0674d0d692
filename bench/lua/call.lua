-- A CAD bridge creating calls, each with its own Idempotency-Key and incident number
-- (BENCH_RUN and BENCH_NONCE keep them apart between servers and wrk runs).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local types = {}
for code in string.gmatch(os.getenv("BENCH_CALL_TYPES"), "[^,]+") do types[#types + 1] = code end
local run = os.getenv("BENCH_RUN") .. "-" .. os.getenv("BENCH_NONCE")
setup, done = common.setup, common.done
local n = 0

function init() common.init() end

function request()
  n = n + 1
  local key = string.format("wrk-%s-%d-%d", run, tid, n)
  local body = string.format(
    '{"source":"cad","external_id":"%s","call_type":"%s","priority":%d,' ..
    '"location":{"address":"%d MARKET ST","beat":"%d"}}',
    key, types[math.random(#types)], math.random(1, 4), math.random(100, 9900),
    math.random(111, 939))
  return wrk.format("POST", "/api/v1/calls",
    common.headers({ ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }), body)
end
