-- tap devices moved into namespaces: seed 003 (netns tutorial).
--
--   ip tuntap add dev tap0 mode tap; ip tuntap add dev tap1 mode tap
--   ip link set tap0 up; ip link set tap1 up
--   ip addr add 10.0.0.1/24 dev tap0; ip addr add 10.0.0.2/24 dev tap1
--   ip netns add ns0; ip netns add ns1
--   ip link set tap0 netns ns0; ip link set tap1 netns ns1
lab "tap: tun/tap devices in namespaces"

section "Two tap devices in the host"
step("ip tuntap add dev tap0 mode tap; tap1 likewise", function()
  tap0 = host:tuntap("tap0", "tap")
  tap1 = host:tuntap("tap1", "tap")
end)
check.equal(tap0:info().kind, "tun", "tap0 is a tun/tap device")
check.equal(tap0:info().tun.type, "tap", "in tap mode (Ethernet frames)")
step("addresses 10.0.0.1/24 and 10.0.0.2/24", function()
  tap0:addr_add("10.0.0.1/24")
  tap1:addr_add("10.0.0.2/24")
end)

section "Into two namespaces"
step("ip netns add ns0, ns1; ip link set tap0 netns ns0; tap1 netns ns1", function()
  ns0, ns1 = netns.add "ns0", netns.add "ns1"
  tap0:set_netns(ns0)
  tap1:set_netns(ns1)
end)
check.equal(#host:links(), 1, "the host keeps only lo")
check.equal(ns0:link("tap0"):info().kind, "tun", "ns0 has tap0")
check.equal(ns1:link("tap1"):info().kind, "tun", "ns1 has tap1")
check.equal(tap0:addrs("inet"), {}, "moving a device to another namespace drops its addresses")

section "Isolated: a tap is a cable to a program, not to another tap"
step("addresses again, up", function()
  tap0:addr_add("10.0.0.1/24")
  tap1:addr_add("10.0.0.2/24")
  tap0:up()
  tap1:up()
  ns0:link("lo"):up()
end)
show(ns0:exec("ip a").stdout)
check.equal(tap0:info().operstate, "DOWN", "no program holds tap0, so it has no carrier (DOWN)")
check.reachable(ns0, "10.0.0.1")
check.unreachable(ns0, "10.0.0.2")
