-- Holds, place then capture: POST /api/v1/credits/holds on a random one of bench-hold-0 … bench-hold-99
-- (enterprise tier: no call quota), then POST /api/v1/credits/holds/{id}/capture with a usage body.
-- wrk gives a thread's connections one script, so each thread keeps the holds it placed and the next
-- request of any of its connections captures one; with none waiting it places a new one.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local headers
local placed = {} -- ids of this thread's holds not captured yet

function init(args)
  headers = common.headers(true)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  local id = table.remove(placed)
  if id then
    return wrk.format("POST", "/api/v1/credits/holds/" .. id .. "/capture", headers,
      '{"service":"bench","model":"m","input_tokens":100,"output_tokens":20,"cost":0.0001}')
  end
  return wrk.format("POST", "/api/v1/credits/holds", headers,
    string.format('{"user_id":"bench-hold-%d","amount":0.01,"ttl_seconds":600}', math.random(0, 99)))
end

function response(status, headers, body)
  common.response(status, headers, body)
  if status == 201 then
    local id = body:match('"hold_id":(%d+)')
    if id then table.insert(placed, id) else common.error("no hold_id in " .. body) end
  end
end
