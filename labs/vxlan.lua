-- vxlan: an Ethernet overlay between two hosts over an IP underlay, as
-- Docker's overlay networks and Flannel build it.
--
--   hostA (192.0.2.1) ===== underlay (veth) ===== hostB (192.0.2.2)
--     br0 + vx0 (VNI 42)                             br0 + vx0 (VNI 42)
--      |                                               |
--     c1 (10.10.0.1)                                  c2 (10.10.0.2)
--
-- Each host bridges its containers with a VXLAN device; the VXLAN device
-- wraps every frame in UDP (port 4789) to the other host, whose VXLAN
-- device unwraps it onto its bridge. remote= names the one peer, so
-- unknown and broadcast frames (ARP) go to it: no multicast needed.
lab "vxlan: an overlay between two hosts"

local bridges = {} -- each host's br0

-- A container on a host: a namespace with eth0, the other end on br0.
local function container(h, name, addr)
  local c = netns.add(name)
  local outer, eth0 = h:veth("veth-" .. name, "eth0", { peer_netns = c })
  bridges[h]:attach(outer)
  eth0:addr_add(addr)
  outer:up()
  eth0:up()
  c:link("lo"):up()
  return c
end

section "Two hosts and the underlay between them"
step("ip netns add hostA, hostB; a veth ua-ub between them, 192.0.2.1 and 192.0.2.2", function()
  hostA, hostB = netns.add "hostA", netns.add "hostB"
  ua, ub = host:veth("ua", "ub", { netns = hostA, peer_netns = hostB })
  ua:addr_add("192.0.2.1/24")
  ub:addr_add("192.0.2.2/24")
  ua:up()
  ub:up()
  ua:wait("UP")
end)
check.reachable(hostA, "192.0.2.2", { description = "the hosts reach each other on the underlay" })

section "A VXLAN device and a bridge on each host"
step("vx0: VNI 42, UDP 4789, to the other host, over ua/ub; both on br0", function()
  for _, h in ipairs{ { hostA, "192.0.2.1", "192.0.2.2", "ua" }, { hostB, "192.0.2.2", "192.0.2.1", "ub" } } do
    local ns, me, peer, dev = table.unpack(h)
    local vx = ns:vxlan("vx0", { id = 42, dstport = 4789, ["local"] = me, remote = peer, dev = dev })
    local br = ns:bridge("br0")
    bridges[ns] = br
    br:attach(vx)
    vx:up()
    br:up()
  end
end)
local vx = hostA:link("vx0"):info()
check.equal({ vx.vxlan.id, vx.vxlan.remote, vx.vxlan.dstport }, { 42, "192.0.2.2", 4789 },
            "hostA's vx0: VNI 42 to 192.0.2.2, port 4789")
check.equal(vx.mtu, 1450, "50 bytes less than the underlay: room for the outer IP, UDP and VXLAN headers")
show(hostA:exec("ip -d link show vx0").stdout)

section "Containers on each host's bridge"
step("c1 (10.10.0.1) on hostA, c2 (10.10.0.2) on hostB", function()
  c1 = container(hostA, "c1", "10.10.0.1/24")
  c2 = container(hostB, "c2", "10.10.0.2/24")
  c1:link("eth0"):wait("UP")
  c2:link("eth0"):wait("UP")
end)
check.reachable(c1, "10.10.0.2", { description = "c1 reaches c2 across the overlay" })
check.reachable(c2, "10.10.0.1", { description = "and c2 reaches c1" })
check.unreachable(c1, "192.0.2.2", { description = "c1 does not see the underlay: it has only its overlay subnet" })
show(hostA:exec("bridge fdb show dev vx0").stdout)
local fdb = hostA:exec("bridge fdb show dev vx0").stdout
check.match(fdb, "00:00:00:00:00:00 dst 192.0.2.2", "the default entry: unknown MACs go to hostB")
check.match(fdb, c2:link("eth0"):info().address .. " dst 192.0.2.2",
            "c2's MAC learned, with the host it sits behind")

section "On the wire: the encapsulation on the underlay"
step("capture on hostA's ua (udp port 4789) while c1 pings c2", function()
  wire = ua:capture{ filter = "udp port 4789" }
  c1:ping("10.10.0.2")
  wire:wait(1)
end)
local sent = wire:find{ dir = "out", vxlan = { vni = 42 }, inner = { icmp = { type = 8 } } }[1]
check.ok(sent ~= nil, "the echo request left hostA's ua inside a VXLAN packet with VNI 42")
if sent then
  show(tostring(sent))
  check.equal({ sent.ip.src, sent.ip.dst, sent.udp.dport }, { "192.0.2.1", "192.0.2.2", 4789 },
              "outside: IP 192.0.2.1 > 192.0.2.2, UDP port 4789")
  check.equal({ sent.inner.ip.src, sent.inner.ip.dst, sent.inner.eth.src },
              { "10.10.0.1", "10.10.0.2", c1:link("eth0"):info().address },
              "inside: c1's own Ethernet frame, ICMP 10.10.0.1 > 10.10.0.2")
end
check.ok(#wire:find{ dir = "in", inner = { icmp = { type = 0 } } } >= 1,
         "and the echo reply came back the same way, from hostB")
wire:stop()

section "The overlay rides on the underlay"
step("ip -n hostA link set ua down", function() ua:down() end)
check.unreachable(c1, "10.10.0.2", { description = "with the underlay down, c1 no longer reaches c2" })
step("ip -n hostA link set ua up", function()
  ua:up()
  ua:wait("UP")
end)
check.reachable(c1, "10.10.0.2", { description = "and with it up again, it does" })

section "Another VNI is another network, on the same UDP port"
step("a second pair, vx1 with VNI 43, on br1 with c3 (10.10.0.3) on hostB", function()
  local vx1 = hostB:vxlan("vx1", { id = 43, dstport = 4789, ["local"] = "192.0.2.2", remote = "192.0.2.1", dev = "ub" })
  local br1 = hostB:bridge("br1")
  br1:attach(vx1)
  vx1:up()
  br1:up()
  local c = netns.add "c3"
  local outer, eth0 = hostB:veth("veth-c3", "eth0", { peer_netns = c })
  br1:attach(outer)
  eth0:addr_add("10.10.0.3/24")
  outer:up()
  eth0:up()
  eth0:wait("UP")
  c3 = c
end)
check.unreachable(c1, "10.10.0.3",
                  { description = "c1 does not reach c3: hostB gets c1's frames on VNI 42, and c3 is on VNI 43" })
