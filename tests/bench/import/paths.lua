-- paths.lua - the wrk script of the import benchmark (tests/bench/import/run.sh): every
-- request takes the next path from the file named by BENCH_PATHS (one "/page.html?c=N" a
-- line: the URLs the importers fetch), cycling. Each wrk thread has its own Lua state and
-- starts at its own random offset.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  paths[#paths + 1] = line
end
local i = 0

function init(args)
  i = math.random(#paths) - 1
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
