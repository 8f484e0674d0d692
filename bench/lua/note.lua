-- A CAD bridge adding a note to a random call, each request with its own Idempotency-Key
-- (BENCH_RUN and BENCH_NONCE keep keys apart between servers and wrk runs).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = dofile(os.getenv("BENCH_IDS"))
local run = os.getenv("BENCH_RUN") .. "-" .. os.getenv("BENCH_NONCE")
setup, done = common.setup, common.done
local n = 0

function init() common.init() end

function request()
  n = n + 1
  local key = string.format("note-%s-%d-%d", run, tid, n)
  local body = string.format('{"text":"bench note %s"}', key)
  return wrk.format("POST", "/api/v1/calls/" .. ids[math.random(#ids)] .. "/notes",
    common.headers({ ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }), body)
end
