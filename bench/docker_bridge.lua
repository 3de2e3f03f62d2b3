-- bench/docker_bridge.lua N [static]: PERFORMANCE.md's docker-bridge-N.
-- Bridge br0 172.17.0.1/16; N namespaces each with eth0 (a veth whose
-- peer is born inside, one queue each way), an address, lo up and a
-- default route via .1; host ends on br0, brought up last; IPv6 address
-- generation off. Check: c1 pings every other container in one call.
--
--   bin/nslab lua bench/docker_bridge.lua 200
--   bin/nslab lua bench/docker_bridge.lua 1000 static
--
-- Without "static" the check runs only for N <= 400: dynamic ARP costs two
-- neighbour entries per ping and the table limit (gc_thresh3 = 1024) is
-- shared with the real host. With "static", c1 and every target get
-- permanent neighbour entries (not counted against that limit) and br0
-- static FDB entries, as Mininet's --arp does.
local core = require("nslab.core")
local host = require("nslab.netns").host().handle

local n = tonumber(arg[1] or 100)
local static = arg[2] == "static"
assert(n >= 2 and n <= 1000, "N must be 2..1000")

local function ip(i) return string.format("172.17.%d.%d", (i + 1) // 256, (i + 1) % 256) end
local function mac(i) return string.format("02:42:ac:11:%02x:%02x", (i + 1) // 256, (i + 1) % 256) end

local t0 = core.clock()
host:link_add{ name = "br0", kind = "bridge" }
host:addr_add("br0", "172.17.0.1/16")
host:link_set("br0", { up = true })
local nss = {}
for i = 1, n do
  local ns = core.netns_create()
  local port = "v" .. i
  host:link_add{ name = port, kind = "veth", peer = "eth0", peer_netns = ns }
  ns:link_set("eth0", { addrgenmode = "none", address = mac(i) })
  host:link_set(port, { addrgenmode = "none", master = "br0" })
  ns:addr_add("eth0", ip(i) .. "/16")
  ns:link_set("lo", { up = true })
  ns:link_set("eth0", { up = true })
  ns:route_add{ dst = "default", via = "172.17.0.1" }
  host:link_set(port, { up = true })
  nss[i] = ns
end
local t1 = core.clock()
if static then
  for i = 2, n do
    nss[1]:neigh_add("eth0", { dst = ip(i), lladdr = mac(i), state = "permanent" })
    nss[i]:neigh_add("eth0", { dst = ip(1), lladdr = mac(1), state = "permanent" })
    host:fdb_add("v" .. i, { mac = mac(i) })
  end
  host:fdb_add("v1", { mac = mac(1) })
end
local t2 = core.clock()
if n > 400 and not static then
  print(string.format("docker-bridge N=%d: setup %.3f s, check skipped (N > 400 needs 'static')", n, t1 - t0))
  os.exit(0)
end
local targets = {}
for i = 2, n do targets[#targets + 1] = ip(i) end
local results = nss[1]:ping(targets, { count = 1, timeout = 5 })
local t3 = core.clock()
local answered = 0
for _, r in ipairs(results) do if r.received > 0 then answered = answered + 1 end end
print(string.format("docker-bridge N=%d%s: setup %.3f s%s, check %.3f s, %d/%d answered",
                    n, static and " static" or "", t1 - t0,
                    static and string.format(" (+ %.3f s static entries)", t2 - t1) or "",
                    t3 - t2, answered, n - 1))
os.exit(answered == n - 1 and 0 or 1)
