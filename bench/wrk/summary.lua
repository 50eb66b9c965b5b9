-- GET /api/v1/credits/usage/summary (the default window: the last 30 days) of bench-million, the user
-- bench/run gives 1,000,000 usage events.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
response = common.response
done = common.done

local req

function init(args)
  req = wrk.format("GET", "/api/v1/credits/usage/summary?user_id=bench-million", common.headers(false))
end

function request()
  return req
end
