-- Shared by the bench scripts: the service key from the environment, a per-thread id, and a count of
-- non-2xx answers that done() prints as "bench_non2xx <n>" for bench/run to read.
local M = {}
local threads = {}
local next_id = 0

function M.setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  thread:set("non2xx", 0)
  table.insert(threads, thread)
end

function M.headers(json)
  local h = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }
  if json then h["Content-Type"] = "application/json" end
  return h
end

function M.response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = (non2xx or 0) + 1
    if non2xx <= 3 then io.stderr:write("non-2xx " .. status .. ": " .. tostring(body):sub(1, 300) .. "\n") end
  end
end

function M.done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("non2xx") or 0) end
  io.write(string.format("bench_non2xx %d\n", total))
end

return M
