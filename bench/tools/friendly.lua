-- bench/tools/friendly.lua N: docker-bridge-N (bench/layout.lua) written
-- with nslab's friendly API the way a lab writes it: netns.add, ns:veth
-- with peer_netns, eth0's MAC, addr_add, up, route_add, bridge:attach.
-- IPv6 is left as the API leaves it. Check: ns:ping from the first member
-- of each bridge; teardown: netns.delete each, then the bridges.
--
--   bin/nslab lua bench/tools/friendly.lua 1000
local core = require("nslab.core")
local netns = require("nslab.netns")
local L = dofile((arg[0]:match("^(.*/)") or "./") .. "../layout.lua")

local n = math.tointeger(tonumber(arg[1] or 100))
assert(n and n >= 2, "N must be an integer >= 2")

local clock = core.clock
local host = netns.host()
local r = {}
local t = clock()
local bridges = {}
for b = 0, L.bridges(n) - 1 do
  bridges[b] = host:bridge(L.bridge_name(b))
  bridges[b]:addr_add(L.gateway(b) .. "/16")
  bridges[b]:up()
end
local nss = {}
for i = 1, n do
  local b = L.bridge_of(i)
  local ns = netns.add("c" .. i)
  local port, eth0 = host:veth("v" .. i, "eth0", { peer_netns = ns })
  eth0:set{ address = L.mac(i) }
  eth0:addr_add(L.ip(i) .. "/16")
  ns:link("lo"):up()
  eth0:up()
  ns:route_add{ dst = "default", via = L.gateway(b) }
  bridges[b]:attach(port)
  port:up()
  nss[i] = ns
end
r.setup = clock() - t

local probes = L.probes(n)
t = clock()
if L.static(n) then
  L.pin(n, probes, function(i) return nss[i] end, host, function(i) return "v" .. i end)
end
r.static = clock() - t

t = clock()
r.answered, r.probes = 0, #probes
for b = 0, L.bridges(n) - 1 do
  local targets = {}
  for _, p in ipairs(probes) do
    if p.from == L.first(b) then targets[#targets + 1] = L.ip(p.to) end
  end
  r.answered = r.answered + L.answered(nss[L.first(b)]:ping(targets, { count = 3, replies = 1, timeout = 2 }))
end
r.check = clock() - t

t = clock()
for i = 1, n do netns.delete(nss[i]) end
for b = 0, L.bridges(n) - 1 do bridges[b]:delete() end
r.teardown = clock() - t
L.report(r)
