-- A GET of one resource by id, a random id from BENCH_IDS per request; BENCH_PATH is the
-- path with "%s" where the id goes (e.g. /api/v1/citations/%s).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = dofile(os.getenv("BENCH_IDS"))
local path = os.getenv("BENCH_PATH")
setup, done = common.setup, common.done
local headers

function init()
  common.init()
  headers = common.headers()
end

function request()
  return wrk.format("GET", string.format(path, ids[math.random(#ids)]), headers)
end
