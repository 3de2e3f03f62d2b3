-- bench/lan.lua: N namespaces m1..mN on one bridge of the world's host,
-- the LAN of the check benches (bench/checks.lua mesh, bench/matrix.lua).
-- Node i has eth0 (a veth whose peer p<i> is on br0) with 10.1.x.y/16 and
-- a MAC of its number, lo up, IPv6 address generation off, and a static
-- FDB entry for its MAC on its port, so no probe waits for the bridge to
-- learn.
--
--   local lan = dofile(dir .. "lan.lua")
--   local nss = lan.build(netns, 100)   -- Netns objects, nss[i] node i
--   nss[1]:ping(lan.ip(2))
local M = {}

function M.ip(i) return string.format("10.1.%d.%d", i // 256, i % 256) end
function M.mac(i) return string.format("02:00:00:00:%02x:%02x", i // 256, i % 256) end

-- netns: the nslab.netns module of the lab.
function M.build(netns, n)
  local host = netns.host().handle
  host:link_add{ name = "br0", kind = "bridge" }
  host:link_set("br0", { up = true, addrgenmode = "none" })
  local nss = {}
  for i = 1, n do
    local ns = netns.add("m" .. i)
    local port = "p" .. i
    host:link_add{ name = port, kind = "veth", peer = "eth0", peer_netns = ns.handle }
    ns.handle:link_set("eth0", { addrgenmode = "none", address = M.mac(i) })
    host:link_set(port, { addrgenmode = "none", master = "br0" })
    ns.handle:addr_add("eth0", M.ip(i) .. "/16")
    ns.handle:link_set("eth0", { up = true })
    ns.handle:link_set("lo", { up = true })
    host:link_set(port, { up = true })
    host:fdb_add(port, { mac = M.mac(i) })
    nss[i] = ns
  end
  return nss
end

return M
