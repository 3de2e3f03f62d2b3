-- A veth pair as the cable between two namespaces: seeds 000, 001 and 004.
--
--   ip netns add test1; ip netns add test2
--   ip link add veth-test1 type veth peer name veth-test2
--   ip link set veth-test1 netns test1; ip link set veth-test2 netns test2
--   ip netns exec test1 ip addr add 192.168.1.1/24 dev veth-test1 (and .2)
--   ip netns exec test1 ping 192.168.1.2: nothing until both ends are up
lab "veth: a cable between two namespaces"

section "Two namespaces"
step("ip netns add test1, test2", function()
  test1 = netns.add "test1"
  test2 = netns.add "test2"
end)
check.equal(netns.list(), { "test1", "test2" }, "ip netns list shows test1 and test2")
check.equal(test1:link_names(), { "lo" }, "test1 has only lo")

section "The cable: a veth pair, both ends in the host"
step("ip link add veth-test1 type veth peer name veth-test2", function()
  end1, end2 = host:veth("veth-test1", "veth-test2")
end)
local info1 = end1:info()
check.equal(info1.kind, "veth", "veth-test1 is a veth")
check.equal(info1.link, "veth-test2", "its peer is veth-test2 (veth-test1@veth-test2)")
check.equal(info1.operstate, "DOWN", "a new veth is DOWN")

section "Plug each end into its namespace"
step("ip link set veth-test1 netns test1; ip link set veth-test2 netns test2", function()
  end1:set_netns(test1)
  end2:set_netns(test2)
end)
check.equal(host:link_names(), { "lo" }, "the host no longer has them")
check.equal(test1:link_names(), { "lo", "veth-test1" }, "test1 now has veth-test1")
check.equal(test2:link_names(), { "lo", "veth-test2" }, "test2 now has veth-test2")
check.ok(end1:info().link_netnsid ~= nil, "veth-test1's peer is in another namespace (veth-test1@ifN)")

section "Addresses"
step("ip addr add 192.168.1.1/24 dev veth-test1 (in test1), .2 in test2", function()
  end1:addr_add "192.168.1.1/24"
  end2:addr_add "192.168.1.2/24"
end)
check.equal(end1:addrs("inet")[1]["local"], "192.168.1.1", "test1 has 192.168.1.1")
check.equal(end2:addrs("inet")[1].prefixlen, 24, "test2's address is a /24")

section "Both ends down: no packet crosses"
check.unreachable(test1, "192.168.1.2")

section "Bring the ends up"
step("ip link set dev veth-test1 up; ip link set dev veth-test2 up", function()
  end1:up()
  end2:up()
end)
check.ok(end1:wait("UP") and end2:wait("UP"), "both ends are UP once both are up")
show(test1:exec("ip a").stdout)
check.reachable(test1, "192.168.1.2")
check.reachable(test2, "192.168.1.1")
