-- POST /api/v1/credits/usage/events with 1,000 events a request, each on a random one of bench-0 …
-- bench-999. Args: <run-tag>; event ids are unique: run tag, thread id, request counter, index.
-- An event answered "rejected" counts as an error, as a non-2xx answer does.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local EVENTS = 1000
local tag, counter, headers

function init(args)
  tag = args[1] or tostring(os.time())
  counter = 0
  headers = common.headers(true)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  counter = counter + 1
  local events = {}
  for i = 1, EVENTS do
    events[i] = string.format(
      '{"user_id":"bench-%d","event_id":"%s-%d-%d-%d","service":"bench","model":"m","input_tokens":100,"output_tokens":20,"cost":0.0001}',
      math.random(0, 999), tag, tid, counter, i)
  end
  return wrk.format("POST", "/api/v1/credits/usage/events", headers, '{"events":[' .. table.concat(events, ",") .. "]}")
end

function response(status, headers, body)
  common.response(status, headers, body)
  local _, rejected = body:gsub('"status":"rejected"', "")
  if rejected > 0 then common.error(rejected .. " events rejected, e.g. " .. tostring(body:match('"error":"[^"]*"')), rejected) end
end
