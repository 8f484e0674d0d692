-- The payment portal posting one-cent card payments to random open citations, each request
-- with its own Idempotency-Key (BENCH_RUN and BENCH_NONCE keep keys apart between servers
-- and wrk runs).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = dofile(os.getenv("BENCH_IDS"))
local run = os.getenv("BENCH_RUN") .. "-" .. os.getenv("BENCH_NONCE")
setup, done = common.setup, common.done
local n = 0

function init() common.init() end

function request()
  n = n + 1
  local key = string.format("pay-%s-%d-%d", run, tid, n)
  local body = string.format('{"amount_cents":1,"method":"card","reference":"%s"}', key)
  return wrk.format("POST", "/api/v1/citations/" .. ids[math.random(#ids)] .. "/payments",
    common.headers({ ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }), body)
end
