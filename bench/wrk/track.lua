-- POST /api/v1/credits/usage/track. Args: <run-tag> [hot]: with "hot" every request charges bench-0,
-- otherwise a random one of bench-0 … bench-999. Event ids are unique: run tag, thread id, counter.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
response = common.response
done = common.done

local tag, hot, counter, headers

function init(args)
  tag = args[1] or tostring(os.time())
  hot = args[2] == "hot"
  counter = 0
  headers = common.headers(true)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  counter = counter + 1
  local user = hot and 0 or math.random(0, 999)
  local body = string.format(
    '{"user_id":"bench-%d","service":"bench","model":"m","input_tokens":100,"output_tokens":20,"cost":0.0001,"event_id":"%s-%d-%d"}',
    user, tag, tid, counter)
  return wrk.format("POST", "/api/v1/credits/usage/track", headers, body)
end
