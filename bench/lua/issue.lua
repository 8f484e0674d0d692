-- A CSO issuing citations: random known plate, random violation code from the schedule.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local plates = dofile(os.getenv("BENCH_PLATES"))
local codes = {}
for code in string.gmatch(os.getenv("BENCH_CODES"), "[^,]+") do codes[#codes + 1] = code end
setup, done = common.setup, common.done
local headers

function init()
  common.init()
  headers = common.headers({ ["Content-Type"] = "application/json" })
end

function request()
  local p = plates[math.random(#plates)]
  local body = string.format(
    '{"plate":"%s","plate_state":"%s","violation_code":"%s",' ..
    '"location":{"address":"%d W 5TH ST","beat":"%d"},' ..
    '"vehicle":{"make":"TOYT","body":"PASSENGER CAR","color":"SILVER"}}',
    p[1], p[2], codes[math.random(#codes)], math.random(100, 9900), math.random(111, 939))
  return wrk.format("POST", "/api/v1/citations", headers, body)
end
