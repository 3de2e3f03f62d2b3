-- bench/docker_bridge.lua N [hold]: PERFORMANCE.md's docker-bridge-N through
-- nslab's raw core (the make bench tool "raw", the one the others are
-- compared with).
--
-- One bridge per 1000 containers (bench/layout.lua): br0 172.17.0.1/16,
-- br1 172.18.0.1/16. Each container: a namespace with eth0 (a veth whose
-- peer is born inside, one queue each way), Docker's MAC, an address, lo
-- up and a default route via the gateway; the host end on the bridge,
-- brought up last; IPv6 address generation off on both ends. Past 500
-- containers the static neighbour and FDB entries of layout.lua. Check:
-- the first member of each bridge pings every other member, all in one
-- poll loop. Teardown: the namespaces closed, the bridges deleted.
--
--   bin/nslab lua bench/docker_bridge.lua 1000
--   bin/nslab lua bench/docker_bridge.lua 1000 hold   -- for afterlife.py
--   bin/nslab lua bench/docker_bridge.lua --containers 1000
--
-- --containers (the make bench tool "rawc"): the kernel work docker.run
-- has on top: each namespace is a container process's (net, uts and ipc
-- namespaces and a hostname, core.container_start), and teardown kills
-- the processes and waits until the kernel has removed every host end,
-- as docker.rm({...}, true) does. What docker.run costs beyond this is
-- nslab's Lua, not the kernel's.
--
-- Prints "bench {setup, static, check, teardown, probes, answered}".
local core = require("nslab.core")
local L = dofile((arg[0]:match("^(.*/)") or "./") .. "layout.lua")
local host = require("nslab.netns").host().handle

local containers = arg[1] == "--containers"
if containers then table.remove(arg, 1) end
local n = math.tointeger(tonumber(arg[1] or 100))
assert(n and n >= 2, "N must be an integer >= 2")
local hold = arg[2] == "hold"
local procs = {}

local clock = core.clock
local r = {}
local t = clock()
for b = 0, L.bridges(n) - 1 do
  local br = L.bridge_name(b)
  host:link_add{ name = br, kind = "bridge" }
  host:addr_add(br, L.gateway(b) .. "/16")
  host:link_set(br, { up = true })
end
local nss = {}
for i = 1, n do
  local ns
  if containers then
    procs[i] = core.container_start{ hostname = string.format("%012x", i) }
    ns = core.netns_open_pid(procs[i]:pid())
  else
    ns = core.netns_create()
  end
  local port = "v" .. i
  host:link_add{ name = port, kind = "veth", peer = "eth0", peer_netns = ns }
  ns:link_set("eth0", { addrgenmode = "none", address = L.mac(i) })
  host:link_set(port, { addrgenmode = "none", master = L.bridge_name(L.bridge_of(i)) })
  ns:addr_add("eth0", L.ip(i) .. "/16")
  ns:link_set("lo", { up = true })
  ns:link_set("eth0", { up = true })
  ns:route_add{ dst = "default", via = L.gateway(L.bridge_of(i)) }
  host:link_set(port, { up = true })
  nss[i] = ns
end
r.setup = clock() - t

local probes = L.probes(n)
t = clock()
if L.static(n) then
  L.pin(n, probes, function(i) return nss[i] end, host, function(i) return "v" .. i end)
end
r.static = clock() - t
if hold then L.hold() end

t = clock()
local list = {}
for k, p in ipairs(probes) do list[k] = { nss[p.from], L.ip(p.to) } end
-- up to 3 echoes each, a target done at its first reply
r.answered = L.answered(core.ping_many(list, { count = 3, replies = 1, timeout = 2 }))
r.probes = #probes
r.check = clock() - t

t = clock()
for i = 1, n do nss[i]:close() end
if containers then
  for i = 1, n do procs[i]:stop() end
  for i = 1, n do -- the kernel removes the pairs with the namespaces
    while host:link_get("v" .. i) do core.sleep(0.002) end
  end
end
for b = 0, L.bridges(n) - 1 do host:link_del(L.bridge_name(b)) end
r.teardown = clock() - t
L.report(r)
