-- A CAD bridge creating calls, each with its own Idempotency-Key, which is also its
-- incident number.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local types = {}
for code in string.gmatch(os.getenv("BENCH_CALL_TYPES"), "[^,]+") do types[#types + 1] = code end
local next_key = common.keys("wrk")
setup, done = common.setup, common.done

function init() common.init() end

function request()
  local key = next_key()
  local body = string.format(
    '{"source":"cad","external_id":"%s","call_type":"%s","priority":%d,' ..
    '"location":{"address":"%d MARKET ST","beat":"%d"}}',
    key, types[math.random(#types)], math.random(1, 4), math.random(100, 9900),
    math.random(111, 939))
  return common.keyed_post("/api/v1/calls", key, body)
end
