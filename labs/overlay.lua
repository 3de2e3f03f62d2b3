-- overlay: Docker's overlay network across two hosts, as the seeds' two
-- vagrant nodes run it (docker network create -d overlay).
--
--   node1 (192.0.2.1) ===== underlay0 (the real network) ===== node2 (192.0.2.2)
--     sandbox 1-ID: br0 10.0.9.1 + vxlan0 (VNI 4097)         sandbox 1-ID: br0 + vxlan0
--      |                                                       |
--     c1 (10.0.9.2)                                           c2 (10.0.9.3)
--
-- Each host's daemon gives the network a namespace of its own (the
-- sandbox) with a bridge and a VXLAN device whose UDP socket stays on the
-- host. No multicast and no learning: when a container joins, the driver
-- tells every other host where its MAC is (an FDB entry: MAC -> the
-- host's address) and what its IP's MAC is (a permanent neighbour entry
-- that vxlan0 answers ARP from).
lab "overlay: a Docker overlay network across two hosts"

local hosts = nslab.hosts
local overlay = require("nslab.docker_overlay")
local json = require("dkjson") -- to read ip -j and bridge -j

section "Two hosts on one network"
step("node1 and node2, each with eth0 on underlay0 (192.0.2.0/24) and its own dockerd", function()
  node1, node2 = hosts.add{ "node1", "node2", underlay = "192.0.2.0/24" }
end)
check.equal({ node1.address, node2.address }, { "192.0.2.1", "192.0.2.2" }, "node1 is 192.0.2.1, node2 192.0.2.2")
check.reachable(node1, "192.0.2.2", { description = "the hosts reach each other on the underlay" })
check.ok(node1.docker ~= node2.docker and node1:link("docker0") and node2:link("docker0"),
         "each host has its own daemon and its own docker0")

section "An overlay network on both"
step('docker network create -d overlay --subnet 10.0.9.0/24 ov (and ov2, 10.0.10.0/24)', function()
  ov = docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" }, { hosts = { node1, node2 } })
  ov2 = docker.network_create("ov2", { driver = "overlay", subnet = "10.0.10.0/24" }, { hosts = { node1, node2 } })
end)
local sb1, sb2 = overlay.sandbox(ov, node1), overlay.sandbox(ov, node2)
local vx = json.decode(sb1:exec("ip -j -d link show vxlan0").stdout)[1]
local d = vx.linkinfo.info_data
check.equal({ d.id, d.port, d.learning, d.proxy, vx.mtu, vx.master },
            { 4097, 4789, false, true, 1450, "br0" },
            "ip -j -d link: vxlan0 has VNI 4097, port 4789, nolearning, proxy, MTU 1450, on br0")
check.equal(json.decode(overlay.sandbox(ov2, node1):exec("ip -j -d link show vxlan0").stdout)[1]
              .linkinfo.info_data.id, 4098, "ov2 has a VNI of its own: 4098")
show(sb1:exec("ip -d link show vxlan0").stdout)

section "A container on each host"
step("docker run --network ov --name c1 on node1, --name c2 on node2", function()
  c1 = node1.docker:run{ name = "c1", network = "ov" }
  c2 = node2.docker:run{ name = "c2", network = "ov" }
end)
check.equal({ c1.ip, c2.ip, c2.mac }, { "10.0.9.2", "10.0.9.3", "02:42:0a:00:09:03" },
            "one pool for the network: c1 10.0.9.2, c2 10.0.9.3 (MAC from the address)")
local fdb = json.decode(sb1:exec("bridge -j fdb show dev vxlan0").stdout)
local entry
for _, e in ipairs(fdb) do if e.mac == c2.mac and e.dst then entry = e end end -- vxlan0's own (self)
check.equal(entry and { entry.dst, entry.state }, { "192.0.2.2", "permanent" },
            "bridge -j fdb on node1: c2's MAC is behind node2 (192.0.2.2), a permanent entry")
check.match(sb1:exec("ip neigh show dev vxlan0").stdout, "10.0.9.3 lladdr 02:42:0a:00:09:03 PERMANENT",
            "and vxlan0 answers ARP for 10.0.9.3 itself")
show(sb1:exec("bridge fdb show dev vxlan0").stdout)

section "Across the overlay, on the wire"
local capture = nslab.link.Link.capture
if capture then
  step("capture UDP 4789 on node1's eth0 while c1 pings c2", function()
    cap = node1.eth0:capture{ filter = "udp port 4789" }
  end)
end
check.reachable(c1.netns, "10.0.9.3", { description = "c1 on node1 reaches c2 on node2" })
check.reachable(c2.netns, "10.0.9.2", { description = "and c2 reaches c1" })
if capture then
  cap:wait(1)
  local echo = cap:find{ dir = "out", inner = { icmp = { type = 8 } } }[1]
  check.equal(echo and { echo.ip.src, echo.ip.dst, echo.udp.dport, echo.vxlan.vni,
                         echo.inner.ip.src, echo.inner.ip.dst },
              { "192.0.2.1", "192.0.2.2", 4789, 4097, "10.0.9.2", "10.0.9.3" },
              "on node1's eth0: UDP 192.0.2.1 -> 192.0.2.2:4789, VNI 4097, "
                .. "inside the echo request 10.0.9.2 -> 10.0.9.3")
  local arp = cap:find{ inner = { arp = {} } }
  local learned
  for _, e in ipairs(c1.netns:neigh("inet")) do if e.dst == c2.ip then learned = e.lladdr end end
  check.equal({ #arp, learned }, { 0, c2.mac },
              "c1 resolved 10.0.9.3 to c2's MAC, yet no ARP crossed the underlay: vxlan0 answered it (proxy)")
  show(cap:text())
  cap:stop()
else
  show("(no link:capture in this tree: the encapsulation on the wire is not shown)")
end

section "Another overlay network is another VNI"
step("docker run --network ov2 --name c3 on node2", function()
  c3 = node2.docker:run{ name = "c3", network = "ov2" }
end)
check.equal(c3.ip, "10.0.10.2", "c3 is 10.0.10.2 on ov2")
check.unreachable(c1.netns, "10.0.10.2", { description = "c1 on ov does not reach c3 on ov2" })
step("even with a route: ip route add 10.0.10.0/24 dev eth0 in c1", function()
  c1.netns:route_add{ dst = "10.0.10.0/24", dev = "eth0" }
end)
check.unreachable(c1.netns, "10.0.10.2",
                  { description = "still not: node1's ov sandbox has no entry for c3, "
                                  .. "and node2 gets VNI 4097 for ov only" })

section "A container leaving takes its entries with it"
step("docker rm -f c2", function() node2.docker:rm("c2", true) end)
local left = json.decode(sb1:exec("bridge -j fdb show dev vxlan0").stdout)
local still = false
for _, e in ipairs(left) do still = still or (e.mac == "02:42:0a:00:09:03" and e.dst ~= nil) end
check.ok(not still, "node1's vxlan0 no longer sends c2's MAC to node2 (what br0 learned ages out)")
check.equal(sb1:exec("ip neigh show dev vxlan0").stdout, "", "nor its neighbour entry")
check.unreachable(c1.netns, "10.0.9.3", { description = "and c1 no longer reaches 10.0.9.3" })
local _ = sb2
