-- Counts the answers of a wrk run by the status their body begins with.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init()
  up, degraded, down, other = 0, 0, 0, 0
end

function response(status, headers, body)
  local found = body:match('^{"status":"(%u+)"')
  if found == "UP" then up = up + 1
  elseif found == "DEGRADED" then degraded = degraded + 1
  elseif found == "DOWN" then down = down + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local u, g, d, o = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    u = u + thread:get("up")
    g = g + thread:get("degraded")
    d = d + thread:get("down")
    o = o + thread:get("other")
  end
  io.write(string.format("answers: UP %d, DEGRADED %d, DOWN %d, other %d\n", u, g, d, o))
end
