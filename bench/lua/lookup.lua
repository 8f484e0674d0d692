-- Portal lookup by plate and state, a random known plate per request.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local plates = dofile(os.getenv("BENCH_PLATES"))
setup, done = common.setup, common.done

function init() common.init() end

function request()
  local p = plates[math.random(#plates)]
  return wrk.format("GET", "/api/v1/citations/lookup?plate=" .. p[1] .. "&plate_state=" .. p[2],
    common.headers())
end
