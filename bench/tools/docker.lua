-- bench/tools/docker.lua N [hold]: docker-bridge-N through nslab's Docker
-- model: docker.daemon() (docker0 172.17.0.1/16) and docker.run{} N
-- times; past 1000 containers a second network (docker network create
-- bench1 --subnet 172.18.0.0/16) takes the next 1000, as bench/layout.lua
-- numbers them. Past 500 containers the static neighbour and FDB entries
-- of layout.lua, unless the Docker model has turned the network static. Check:
-- c1 (and c1001) ping every other container of their network; teardown:
-- docker rm -f c1 ... cN, then the second network's bridge.
--
--   bin/nslab lua bench/tools/docker.lua 1000
local core = require("nslab.core")
local docker = require("nslab.docker")
local L = dofile((arg[0]:match("^(.*/)") or "./") .. "../layout.lua")

local n = math.tointeger(tonumber(arg[1] or 100))
assert(n and n >= 2, "N must be an integer >= 2")
local hold = arg[2] == "hold"

local clock = core.clock
local r = {}
local t = clock()
local daemon = docker.daemon()
local networks = { [0] = "bridge" }
for b = 1, L.bridges(n) - 1 do
  networks[b] = "bench" .. b
  daemon:network_create(networks[b], { subnet = string.format("172.%d.0.0/16", 17 + b) })
end
local cs = {}
for i = 1, n do cs[i] = daemon:run{ name = "c" .. i, network = networks[L.bridge_of(i)] } end
r.setup = clock() - t
for i = 1, n do assert(cs[i].ip == L.ip(i) and cs[i].mac == L.mac(i), "docker.run numbers differently") end

local probes = L.probes(n)
t = clock()
-- past what the neighbour table holds for dynamic ARP the Docker model
-- turns the network static itself (nslab.docker_arp): it pins the entries
-- of the pairs probed just before the probe, inside the check's time
if L.static(n) and not daemon:network("bridge").arp.static then
  L.pin(n, probes, function(i) return cs[i].netns end, require("nslab.netns").host(),
        function(i) return cs[i].veth end)
end
r.static = clock() - t
if hold then L.hold() end

t = clock()
r.answered, r.probes = 0, #probes
for b = 0, L.bridges(n) - 1 do
  local targets = {}
  for _, p in ipairs(probes) do
    if p.from == L.first(b) then targets[#targets + 1] = cs[p.to].ip end
  end
  r.answered = r.answered + L.answered(cs[L.first(b)].netns:ping(targets, { count = 3, replies = 1, timeout = 2 }))
end
r.check = clock() - t

t = clock()
local names = {}
for i = 1, n do names[i] = "c" .. i end
docker.rm(names, true) -- docker rm -f c1 ... cN
for b = 1, L.bridges(n) - 1 do daemon:network(networks[b]).bridge:delete() end
r.teardown = clock() - t
L.report(r)
