-- bench/docker_arp.lua: the Docker model past the neighbour table
-- (nslab.docker_arp), measured.
--
--   bin/nslab lua bench/docker_arp.lua star 1000    -- docker-bridge-1000, c1 -> 999
--   bin/nslab lua bench/docker_arp.lua mesh 100     -- every container pings every other
--   bin/nslab lua bench/docker_arp.lua pairs 200    -- what all pairs at connect would cost
--
-- star: N containers with docker.run on docker0 (the model turns the
-- network static past docker_arp.BUDGET), then check.reachable from c1 to
-- every other one in one call: setup, check (the entries for the probed
-- pairs included, then the probe), failed probes, the entries added.
-- mesh: N containers, check.mesh: N (N - 1) probes.
-- pairs: N containers on a static network, then permanent entries for
-- every pair (N - 1 in each container, in one call each): the time and
-- the kernel memory (Slab in /proc/meminfo) per entry, to set against the
-- flat design's three requests per container. Dynamic ARP is never
-- measured at these sizes: the table is the whole machine's.
local docker = require("nslab.docker")
local check = require("nslab.check")
local core = require("nslab.core")

local mode = arg[1] or "star"
local n = math.tointeger(tonumber(arg[2] or (mode == "mesh" and 100 or 1000)))
assert(({ star = true, mesh = true, pairs = true })[mode], "mode: star, mesh or pairs")
assert(n and n >= 2 and n <= 1000, "N must be 2..1000")

local passed, failed, details = 0, 0, {}
local c = check.bind({ record = function(ok, _, detail)
  if ok then passed = passed + 1 else
    failed = failed + 1
    if #details < 5 then details[#details + 1] = detail end
  end
  return ok
end })

local function slab_kb()
  for line in io.lines("/proc/meminfo") do
    local kb = line:match("^Slab:%s+(%d+)")
    if kb then return tonumber(kb) end
  end
end

local function count_entries(containers)
  local total = 0
  for _, x in ipairs(containers) do total = total + #x.netns.handle:neigh_list{ family = "inet" } end
  return total
end

local t0 = core.clock()
local network = "bridge"
if mode == "pairs" then
  docker.network_create("pairs", { subnet = "10.77.0.0/16", arp = "static" })
  network = "pairs"
end
local containers = {}
for i = 1, n do containers[i] = docker.run{ name = "c" .. i, network = network } end
local setup = core.clock() - t0

if mode == "star" then
  local targets = {}
  for i = 2, n do targets[#targets + 1] = containers[i].ip end
  local t1 = core.clock()
  c.reachable(containers[1], targets, { count = 3, timeout = 5 })
  local took = core.clock() - t1
  local answered, lost = passed, failed
  -- the same probe again: the entries are there, only the probe is left
  local t2 = core.clock()
  c.reachable(containers[1], targets, { count = 3, timeout = 5 })
  local again = core.clock() - t2
  print(string.format("star N=%d: setup %.3f s (%.2f ms per container), check c1->%d %.3f s (again %.3f s), " ..
                      "%d answered, %d failed; %d IPv4 neighbour entries in the containers",
                      n, setup, setup * 1000 / n, n - 1, took, again, answered, failed,
                      count_entries(containers)))
elseif mode == "mesh" then
  local t1 = core.clock()
  local _, failures = c.mesh(containers, { count = 3, timeout = 5 })
  local took = core.clock() - t1
  print(string.format("mesh N=%d: setup %.3f s, check.mesh of %d probes %.3f s, %d failed; " ..
                      "%d IPv4 neighbour entries in the containers",
                      n, setup, n * (n - 1), took, #failures, count_entries(containers)))
else
  local before, t1 = slab_kb(), core.clock()
  for i, x in ipairs(containers) do
    local list = {}
    for j, y in ipairs(containers) do
      if i ~= j then list[#list + 1] = { dst = y.ip, lladdr = y.mac } end
    end
    x.netns.handle:neigh_add("eth0", list) -- the core's call: no trace line per entry
  end
  local took, grown = core.clock() - t1, slab_kb() - before
  local entries = n * (n - 1)
  print(string.format("all pairs N=%d: setup %.3f s (3 requests per container); %d entries in %.3f s " ..
                      "(%.2f us each), Slab +%d kB (%.0f bytes each); at N = 1000: %d entries, ~%.1f s, ~%.0f MB",
                      n, setup, entries, took, took * 1e6 / entries, grown, grown * 1024 / entries,
                      999000, took / entries * 999000, grown / entries * 999000 / 1024))
end
for _, d in ipairs(details) do print("  " .. d) end

local t3 = core.clock()
for i = 1, n do docker.rm("c" .. i, true) end
print(string.format("teardown %.3f s", core.clock() - t3))
os.exit(failed == 0 and 0 or 1)
