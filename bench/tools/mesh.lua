-- bench/tools/mesh.lua [N]: a full mesh through nslab: N containers
-- (docker.run, default 100) on docker0, permanent neighbour entries for
-- every pair and static FDB entries (N*(N-1) dynamic entries would
-- overflow the machine-wide neighbour table), then one check.mesh: every
-- container pings every other one, N*(N-1) probes in one poll loop.
--
--   bin/nslab lua bench/tools/mesh.lua 100
local core = require("nslab.core")
local docker = require("nslab.docker")
local netns = require("nslab.netns")
local L = dofile((arg[0]:match("^(.*/)") or "./") .. "../layout.lua")

local n = math.tointeger(tonumber(arg[1] or 100))
assert(n and n >= 2 and n <= L.PER_BRIDGE, "N must be an integer 2..1000")

local clock = core.clock
local r = {}
local t = clock()
local cs = {}
for i = 1, n do cs[i] = docker.run{ name = "c" .. i } end
r.setup = clock() - t

t = clock()
local host = netns.host()
for i = 1, n do
  for j = 1, n do
    if i ~= j then cs[i].netns:neigh_add("eth0", { dst = cs[j].ip, lladdr = cs[j].mac, state = "permanent" }) end
  end
  host:fdb_add(cs[i].veth, { mac = cs[i].mac })
end
r.static = clock() - t

local check = require("nslab.check").bind{ record = function(ok) return ok end, host = netns.host }
t = clock()
local _, failures = check.mesh(cs)
r.check = clock() - t
r.probes = n * (n - 1)
r.answered = r.probes - #failures
L.report(r)
