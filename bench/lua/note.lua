-- A CAD bridge adding a note to a random call, each request with its own Idempotency-Key.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = dofile(os.getenv("BENCH_IDS"))
local next_key = common.keys("note")
setup, done = common.setup, common.done

function init() common.init() end

function request()
  local key = next_key()
  local body = string.format('{"text":"bench note %s"}', key)
  return common.keyed_post("/api/v1/calls/" .. ids[math.random(#ids)] .. "/notes", key, body)
end
