-- bench/checks.lua WHAT [N]: what a container start and a check cost.
--
--   bin/nslab lua bench/checks.lua containers 1000   -- N container starts
--   bin/nslab lua bench/checks.lua containers 1000 20  -- the same, Lua state 20 MB heavier
--   bin/nslab lua bench/checks.lua netns 1000        -- the floor: N netns_create
--   bin/nslab lua bench/checks.lua docker 200        -- N docker.run{}
--   bin/nslab lua bench/checks.lua reachable         -- one check.reachable
--   bin/nslab lua bench/checks.lua mesh 100          -- full mesh, N*(N-1) probes
--
-- containers: N core.container_start{} (new net, uts, ipc; hostname), the
-- time of each start, printed per tenth (first, last) and in all; the
-- Lua state is made to weigh what a lab of N containers weighs (a table
-- per container), as docker.run's bookkeeping does.
--
-- reachable: two namespaces on a veth pair, check.reachable from one to
-- the other (IPv6 address generation off), the median of 20 calls.
--
-- mesh: N namespaces on a bridge, permanent neighbour entries on every
-- side and static FDB entries (the machine-wide neighbour table would be
-- exhausted by dynamic ARP); every namespace pings every other one: one
-- source after another (ns:ping, check.reachable), then all at once in one
-- poll loop (core.ping_many, check.mesh) where the core has it.
--
-- docker: N docker.run{} on docker0, the time per container per tenth.
local core = require("nslab.core")
local lan = dofile((arg[0]:match("^(.*/)") or "./") .. "lan.lua")

local what = arg[1] or "containers"
local n = tonumber(arg[2] or 100)
local ballast_mb = tonumber(arg[3] or 0)  -- containers: extra MB the Lua state holds

local function median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

local function ms(s) return string.format("%.3f ms", s * 1000) end

-- The mean of per[a..b].
local function mean(per, a, b)
  local sum = 0
  for i = a, b do sum = sum + per[i] end
  return sum / (b - a + 1)
end

-- What one start makes: a container process, or (the floor) only its
-- network namespace, as netns_create makes it in this process.
local function containers(floor)
  local held, per, weight = {}, {}, {}
  local ballast = {}
  for i = 1, ballast_mb * 16 do ballast[i] = string.rep(string.char(65 + i % 26), 65536 - 32) .. i end
  local t0, cpu0 = core.clock(), os.clock()
  for i = 1, n do
    local s = core.clock()
    if floor then held[i] = core.netns_create() else held[i] = core.container_start{ hostname = "c" .. i } end
    per[i] = core.clock() - s
    weight[i] = { name = "c" .. i, ip = "172.17.0." .. i, data = string.rep("x", 2000) }
  end
  local total, cpu = core.clock() - t0, os.clock() - cpu0
  local tenth = math.max(1, n // 10)
  local rss = io.open("/proc/self/status"):read("a"):match("VmRSS:%s*(%d+)")
  print(string.format("%s N=%d: %.3f s in all, %s per start (median %s; first tenth %s, last tenth %s), "
                      .. "CPU of this process %s per start, RSS %d kB", floor and "netns_create" or "container_start",
                      n, total, ms(total / n), ms(median(per)), ms(mean(per, 1, tenth)),
                      ms(mean(per, n - tenth + 1, n)), ms(cpu / n), tonumber(rss)))
  assert(#weight == n and #ballast == ballast_mb * 16)
  local s = core.clock()
  for i = 1, n do if floor then held[i]:close() else held[i]:stop("KILL") end end
  print(string.format("  stopping them: %.3f s", core.clock() - s))
end

local function lab()
  local netns = require("nslab.netns")
  local check_mod = require("nslab.check")
  local passed, failed = 0, 0
  local check = check_mod.bind{ record = function(ok)
    if ok then passed = passed + 1 else failed = failed + 1 end
    return ok
  end, host = function() return netns.host() end }
  return netns, check, function() return passed, failed end
end

local function reachable()
  local netns, check = lab()
  local a, b = netns.add("a"), netns.add("b")
  a:veth("va", "vb", { peer_netns = b })
  a:link("va"):addr_add("10.0.0.1/24")
  b:link("vb"):addr_add("10.0.0.2/24")
  a:link("va"):up()
  b:link("vb"):up()
  check.reachable(a, "10.0.0.2")  -- ARP resolved, links settled
  local times = {}
  for i = 1, 20 do
    local s = core.clock()
    assert(check.reachable(a, "10.0.0.2"), "not reachable")
    times[i] = core.clock() - s
  end
  local s = core.clock()
  check.unreachable(a, "10.0.0.99")
  local unreachable = core.clock() - s
  print(string.format("check.reachable to a live peer: median %s, max %s of 20; check.unreachable: %.3f s",
                      ms(median(times)), ms(times[#times]), unreachable))
end

local function mesh()
  local netns, check, counts = lab()
  local ip, mac = lan.ip, lan.mac
  local nss = lan.build(netns, n)
  for i = 1, n do
    for j = 1, n do
      if i ~= j then nss[i].handle:neigh_add("eth0", { dst = ip(j), lladdr = mac(j), state = "permanent" }) end
    end
  end
  local function targets_of(i)
    local targets = {}
    for j = 1, n do
      if i ~= j then targets[#targets + 1] = ip(j) end
    end
    return targets
  end
  local function answered(results)
    local k = 0
    for _, r in ipairs(results) do k = k + ((r.received or 0) > 0 and 1 or 0) end
    return k
  end
  local out = { string.format("mesh of %d (%d probes):", n, n * (n - 1)) }
  local function phase(text, fn)
    local s = core.clock()
    local got = fn()
    out[#out + 1] = string.format("  %s %.3f s, %s", text, core.clock() - s, got)
  end
  -- one source after another through the core, each ns:ping to all the others
  phase("ns:ping one source after another:", function()
    local k = 0
    for i = 1, n do k = k + answered(nss[i].handle:ping(targets_of(i), { count = 1, timeout = 2 })) end
    return k .. " answered"
  end)
  -- the lab's way without a mesh helper: check.reachable per source
  phase("check.reachable per source:", function()
    for i = 1, n do check.reachable(nss[i], targets_of(i)) end
    local passed, failed = counts()
    return string.format("%d checks passed, %d failed", passed, failed)
  end)
  if core.ping_many then  -- one poll loop over every source
    phase("core.ping_many:", function()
      local probes = {}
      for i = 1, n do
        for _, t in ipairs(targets_of(i)) do probes[#probes + 1] = { nss[i].handle, t } end
      end
      return answered(core.ping_many(probes, { count = 3, replies = 1, timeout = 2 })) .. " answered"
    end)
    phase("check.mesh:", function()
      local nodes = {}
      for i = 1, n do nodes[i] = { nss[i], ip(i) } end
      local passed, failures = check.mesh(nodes)
      return string.format("%s, %d failed probes", passed and "passed" or "failed", #failures)
    end)
  end
  print(table.concat(out, "\n"))
end

-- N docker.run{} on docker0: the path a lab takes (container process,
-- address, veth, bridge port), the time per container per tenth.
local function docker_runs()
  local docker = require("nslab.docker")
  local per = {}
  local t0, cpu0 = core.clock(), os.clock()
  for i = 1, n do
    local s = core.clock()
    docker.run{ name = "c" .. i }
    per[i] = core.clock() - s
  end
  local total, cpu = core.clock() - t0, os.clock() - cpu0
  local tenth = math.max(1, n // 10)
  print(string.format("docker.run N=%d: %.3f s in all, %s per container (first tenth %s, last tenth %s), "
                      .. "CPU of this process %s per container", n, total, ms(total / n), ms(mean(per, 1, tenth)),
                      ms(mean(per, n - tenth + 1, n)), ms(cpu / n)))
end

local run = { containers = containers, docker = docker_runs, netns = function() containers(true) end,
              reachable = reachable, mesh = mesh }
assert(run[what], "WHAT must be containers, netns, docker, reachable or mesh")
run[what]()
