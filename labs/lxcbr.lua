-- A container network built by hand: seed 002.
--
--   ip netns add ns1; ip netns exec ns1 ip link set dev lo up
--   ip link add veth-ns1 type veth peer name lxcbr0.1
--   ip link set veth-ns1 netns ns1; ip netns exec ns1 ip link set dev veth-ns1 name eth0
--   ip netns exec ns1 ifconfig eth0 192.168.10.11/24 up
--   brctl addbr lxcbr0; brctl stp lxcbr0 off; ifconfig lxcbr0 192.168.10.1/24 up
--   brctl addif lxcbr0 lxcbr0.1
--   ip netns exec ns1 ip route add default via 192.168.10.1
--   mkdir -p /etc/netns/ns1; echo "nameserver 8.8.8.8" > /etc/netns/ns1/resolv.conf
lab "lxcbr: a container network by hand"

section "ns1 and its cable"
step("ip netns add ns1; lo up", function()
  ns1 = netns.add "ns1"
  ns1:link("lo"):up()
end)
step("ip link add veth-ns1 type veth peer name lxcbr0.1", function()
  inner, outer = host:veth("veth-ns1", "lxcbr0.1")
end)
step("ip link set veth-ns1 netns ns1; rename it eth0", function()
  inner:set_netns(ns1)
  inner:rename("eth0")
end)
check.equal(ns1:link("eth0"):info().link_index, outer:info().ifindex, "ns1's eth0 is the peer of lxcbr0.1")
step("ifconfig eth0 192.168.10.11/24 up (in ns1)", function()
  inner:addr_add("192.168.10.11/24", { broadcast = true })
  inner:up()
end)

section "The bridge lxcbr0"
step("brctl addbr lxcbr0; brctl stp lxcbr0 off", function()
  lxcbr0 = host:bridge("lxcbr0", { stp = false })
end)
check.equal(lxcbr0:show().interfaces, {}, "brctl show: lxcbr0, no interfaces yet")
check.equal(lxcbr0:show().stp_enabled, "no", "STP enabled: no")
step("ifconfig lxcbr0 192.168.10.1/24 up", function()
  lxcbr0:addr_add("192.168.10.1/24", { broadcast = true })
  lxcbr0:up()
end)
step("brctl addif lxcbr0 lxcbr0.1; ip link set lxcbr0.1 up", function()
  lxcbr0:attach(outer)
  outer:up()
end)
check.equal(lxcbr0:show().interfaces, { "lxcbr0.1" }, "brctl show: lxcbr0 has lxcbr0.1")
check.ok(outer:wait("UP") and inner:wait("UP"), "both ends are UP")

section "Route and resolver"
step("ip netns exec ns1 ip route add default via 192.168.10.1", function()
  ns1:route_add{ dst = "default", via = "192.168.10.1" }
end)
local routes = {}
for _, r in ipairs(ns1:routes{ family = "inet" }) do
  routes[#routes + 1] = r.dst .. " " .. (r.gateway or r.scope) .. " " .. r.dev
end
check.equal(routes, { "default 192.168.10.1 eth0", "192.168.10.0/24 link eth0" }, "ip route in ns1 as in the tutorial")
step("nameserver for ns1 (documentation address, not 8.8.8.8)", function()
  ns1:resolv_conf{ "192.0.2.53" }
end)
check.equal(ns1:exec("cat /etc/resolv.conf").stdout, "nameserver 192.0.2.53\n",
            "ip netns exec ns1 sees /etc/netns/ns1/resolv.conf as /etc/resolv.conf")
check.ok(host:exec("cat /etc/resolv.conf").stdout ~= "nameserver 192.0.2.53\n", "the host's resolv.conf is its own")

section "ns1 reaches the bridge"
check.reachable(ns1, "192.168.10.1")
check.reachable(host, "192.168.10.11")
