-- bench/docker_arp.lua: the Docker model past the neighbour table
-- (nslab.docker_arp), measured.
--
--   bin/nslab lua bench/docker_arp.lua star 1000    -- docker-bridge-1000, c1 -> 999
--   bin/nslab lua bench/docker_arp.lua mesh 100     -- every container pings every other
--   bin/nslab lua bench/docker_arp.lua pairs 200    -- what all pairs at connect would cost
--   bin/nslab lua bench/docker_arp.lua cost 200     -- docker.run x N, arp dynamic vs static
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
-- cost: docker.run x N on a network with arp = "dynamic" and on one with
-- arp = "static" (nothing is probed: no entry is resolved), interleaved
-- four times: the price of the static entries at connect.
local docker = require("nslab.docker")
local check = require("nslab.check")
local core = require("nslab.core")

local mode = arg[1] or "star"
local n = math.tointeger(tonumber(arg[2] or (mode == "mesh" and 100 or 1000)))
assert(({ star = true, mesh = true, pairs = true, cost = true })[mode], "mode: star, mesh, pairs or cost")
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

if mode == "cost" then
  -- the time in the model's connect hook: what the static entries cost,
  -- without the noise of the rest of docker.run on a shared machine
  local arp, hook = require("nslab.docker_arp"), 0
  local connect = arp.connect
  arp.connect = function(...)
    local t = core.clock()
    connect(...)
    hook = hook + core.clock() - t
  end
  docker.network_create("dynamic", { subnet = "10.76.0.0/16", arp = "dynamic" })
  docker.network_create("static", { subnet = "10.77.0.0/16", arp = "static" })
  local times = { dynamic = {}, static = {} }
  for round = 1, 4 do
    for _, m in ipairs(round % 2 == 1 and { "dynamic", "static" } or { "static", "dynamic" }) do
      local t = core.clock()
      for i = 1, n do docker.run{ name = m .. round .. "-" .. i, network = m } end
      local times_m = times[m]
      times_m[#times_m + 1] = core.clock() - t
      for i = 1, n do docker.rm(m .. round .. "-" .. i, true) end
    end
  end
  local function median(t) table.sort(t) return (t[2] + t[3]) / 2 end
  local d, st = median(times.dynamic), median(times.static)
  print(string.format("docker.run x %d: arp dynamic %.3f s, static %.3f s (medians of 4, interleaved, %+.1f%%); " ..
                      "the static entries at connect: %.3f ms per container (%.1f%% of a docker.run)",
                      n, d, st, (st / d - 1) * 100, hook * 1000 / (4 * n), hook / (4 * n) / (st / n) * 100))
  os.exit(0)
end

-- the time the model spends adding entries before probes
local arp = require("nslab.docker_arp")
local installing, before_probe = 0, arp.before_probe
arp.before_probe = function(...)
  local t = core.clock()
  before_probe(...)
  installing = installing + core.clock() - t
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
  local answered = passed
  -- the same probe again: the entries are there, only the probe is left
  local t2 = core.clock()
  c.reachable(containers[1], targets, { count = 3, timeout = 5 })
  local again = core.clock() - t2
  print(string.format("star N=%d: setup %.3f s (%.2f ms per container), check c1->%d %.3f s (entries %.3f s; " ..
                      "again %.3f s), %d answered, %d failed; %d IPv4 neighbour entries in the containers",
                      n, setup, setup * 1000 / n, n - 1, took, installing, again, answered, failed,
                      count_entries(containers)))
elseif mode == "mesh" then
  local t1 = core.clock()
  local _, failures = c.mesh(containers, { count = 3, timeout = 5 })
  local took = core.clock() - t1
  local t2 = core.clock()
  local _, again = c.mesh(containers, { count = 3, timeout = 5 })
  print(string.format("mesh N=%d: setup %.3f s, check.mesh of %d probes %.3f s (entries %.3f s; again %.3f s), " ..
                      "%d failed (again %d); %d IPv4 neighbour entries in the containers",
                      n, setup, n * (n - 1), took, installing, core.clock() - t2, #failures, #again,
                      count_entries(containers)))
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
