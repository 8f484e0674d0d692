-- The payment portal posting one-cent card payments to random open citations, each request
-- with its own Idempotency-Key.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = dofile(os.getenv("BENCH_IDS"))
local next_key = common.keys("pay")
setup, done = common.setup, common.done

function init() common.init() end

function request()
  local key = next_key()
  local body = string.format('{"amount_cents":1,"method":"card","reference":"%s"}', key)
  return common.keyed_post(
    "/api/v1/citations/" .. ids[math.random(#ids)] .. "/payments", key, body)
end
