-- One fixed GET (a list page, first or deep), path from BENCH_PATH.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
setup, done = common.setup, common.done
local req

function init()
  common.init()
  req = wrk.format("GET", os.getenv("BENCH_PATH"), common.headers())
end

function request() return req end
