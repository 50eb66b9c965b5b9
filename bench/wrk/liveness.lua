-- GET /actuator/health/liveness: the HTTP stack alone, with the same Authorization header.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
response = common.response
done = common.done

local req

function init(args)
  req = wrk.format("GET", "/actuator/health/liveness", common.headers(false))
end

function request()
  return req
end
