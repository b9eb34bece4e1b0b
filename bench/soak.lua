-- wrk script for bench/soak.sh (run with -t1): alternates the derived report
-- and the registry, and stops after `wrk ... -- <requests> <flag file>`
-- answers, creating the flag file: wrk itself waits out its duration unless
-- interrupted, so the script interrupts it then.
local paths = { "/derived/health", "/registry/health" }
local sent = 0
local answered = 0
local limit = 0
local flag = nil

function init(args)
  limit = tonumber(args[1])
  flag = args[2]
end

function request()
  sent = sent + 1
  return wrk.format("GET", paths[sent % 2 + 1])
end

function response(status, headers, body)
  answered = answered + 1
  if answered == limit then
    wrk.thread:stop()
    io.open(flag, "w"):close()
  end
end
