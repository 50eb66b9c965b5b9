-- Shared by the bench scripts: the service key from the environment, a per-thread id, and a count of
-- errors (non-2xx answers, and what a script adds itself) that done() prints as "bench_errors <n>" for
-- bench/run to read.
local M = {}
local threads = {}
local next_id = 0

function M.setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  thread:set("errors", 0)
  table.insert(threads, thread)
end

function M.headers(json)
  local h = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }
  if json then h["Content-Type"] = "application/json" end
  return h
end

-- Counts n errors (default 1) and prints the first few, with what was answered.
function M.error(what, n)
  errors = (errors or 0) + (n or 1)
  if errors <= 3 then io.stderr:write(tostring(what):sub(1, 300) .. "\n") end
end

function M.response(status, headers, body)
  if status < 200 or status > 299 then M.error("non-2xx " .. status .. ": " .. tostring(body)) end
end

function M.done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("errors") or 0) end
  io.write(string.format("bench_errors %d\n", total))
end

return M
