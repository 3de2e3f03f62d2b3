-- bench/layout.lua: the numbering of docker-bridge-N that every tool of
-- make bench follows (bench/tools/layout.sh and layout.py say the same).
--
-- Container i (1..N) is on bridge b = (i-1) // 1000 (a Linux bridge takes
-- at most 1023 ports, BR_MAX_PORTS): br0 172.17.0.1/16, br1 172.18.0.1/16;
-- its k-th member (k = 1..1000) has 172.(17+b).0.0 + k + 1 and Docker's MAC
-- for that address (02:42 and its four bytes). The check: the first member
-- of each bridge pings every other member of it.
--
-- Past STATIC_MIN containers, dynamic ARP would overflow the machine-wide
-- neighbour table (gc_thresh3 = 1024, PERFORMANCE.md), so every tool adds
-- the same static entries before its check: on the first member one
-- permanent neighbour per other member, on every other member one for the
-- first, and a static FDB entry per port (what Mininet's --arp amounts to).
--
-- BENCH_PER_BRIDGE=5 BENCH_STATIC_MIN=2 (environment, read by every tool)
-- try the many-bridge and static-entry paths at a small N.
local M = {}

M.PER_BRIDGE = tonumber(os.getenv("BENCH_PER_BRIDGE") or 1000) -- smaller: try the many-bridge path at small N
M.STATIC_MIN = tonumber(os.getenv("BENCH_STATIC_MIN") or 500)

function M.bridges(n) return (n + M.PER_BRIDGE - 1) // M.PER_BRIDGE end
function M.bridge_of(i) return (i - 1) // M.PER_BRIDGE end
function M.bridge_name(b) return "br" .. b end
function M.first(b) return b * M.PER_BRIDGE + 1 end
function M.gateway(b) return string.format("172.%d.0.1", 17 + b) end
function M.static(n) return n >= M.STATIC_MIN end

local function host_part(i) return (i - 1) % M.PER_BRIDGE + 2 end

function M.ip(i)
  local h = host_part(i)
  return string.format("172.%d.%d.%d", 17 + M.bridge_of(i), h >> 8, h & 255)
end

function M.mac(i)
  local h = host_part(i)
  return string.format("02:42:ac:%02x:%02x:%02x", 17 + M.bridge_of(i), h >> 8, h & 255)
end

-- The probes of the check: {from = i, to = j} for every member j of a
-- bridge other than its first member i.
function M.probes(n)
  local list = {}
  for b = 0, M.bridges(n) - 1 do
    local first = M.first(b)
    for j = first + 1, math.min(n, first + M.PER_BRIDGE - 1) do list[#list + 1] = { from = first, to = j } end
  end
  return list
end

-- The static entries (see the top): for every probe a permanent neighbour
-- on both sides, and a static FDB entry per port on host. ns_of(i) is
-- container i's namespace (a core handle or a Netns), port_of(i) the name
-- of its host end.
function M.pin(n, probes, ns_of, host, port_of)
  for _, p in ipairs(probes) do
    ns_of(p.from):neigh_add("eth0", { dst = M.ip(p.to), lladdr = M.mac(p.to), state = "permanent" })
    ns_of(p.to):neigh_add("eth0", { dst = M.ip(p.from), lladdr = M.mac(p.from), state = "permanent" })
  end
  for i = 1, n do host:fdb_add(port_of(i), { mac = M.mac(i) }) end
end

-- The one line make bench reads from a tool: "bench {json}" with the
-- phase times in seconds, the probe counts and the CPU of nslab's own
-- process (every thread, its reaped children apart: make bench's user and
-- sys count the whole tree, container processes too).
function M.report(r)
  local cpu = require("nslab.core").rusage()
  r.own_user, r.own_sys = cpu.user, cpu.sys
  local keys = { "setup", "static", "check", "teardown", "probes", "answered", "own_user", "own_sys" }
  local parts = {}
  for _, k in ipairs(keys) do
    if r[k] ~= nil then parts[#parts + 1] = string.format('"%s": %s', k, tostring(r[k])) end
  end
  io.write("bench {", table.concat(parts, ", "), "}\n")
  io.flush()
end

-- Count the results of core ping / ping_many that got a reply.
function M.answered(results)
  local k = 0
  for _, r in ipairs(results) do if (r.received or 0) > 0 then k = k + 1 end end
  return k
end

-- "hold" mode (bench/tools/afterlife.py): after setup say so and wait for
-- a line on stdin, then exit without any teardown of our own.
function M.hold()
  io.write("bench held\n")
  io.flush()
  io.read("l")
  os.exit(0)
end

return M
