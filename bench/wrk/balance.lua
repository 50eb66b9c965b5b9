-- GET /api/v1/credits/balance for a random one of bench-0 … bench-999.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
response = common.response
done = common.done

local headers

function init(args)
  headers = common.headers(false)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  return wrk.format("GET", "/api/v1/credits/balance?user_id=bench-" .. math.random(0, 999), headers)
end
