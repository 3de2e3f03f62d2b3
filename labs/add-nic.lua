-- Adding a NIC to a --net=none container: seeds 002 and 003.
--
--   docker run -itd --name centos-test --net=none centos
--   pid=$(docker inspect -f '{{.State.Pid}}' centos-test)
--   ip link add veth-host type veth peer name veth-c
--   ip link set veth-c netns $pid; (inside) ip link set veth-c name eth0
--   ip addr add 172.17.0.100/16 dev eth0; ip link set eth0 up
--   ip route add default via 172.17.0.1; ip link set veth-host master docker0 up
lab "add-nic: a network card for a --net=none container"

section "A container with no network"
step("docker run --name centos-test --net=none", function()
  c = docker.run{ name = "centos-test", network = "none" }
end)
check.equal(#c.netns:links(), 1, "only lo inside")
local pid = docker.pid("centos-test")

section "A veth pair; one end into the container, by PID"
step("ip link add veth-host type veth peer name veth-c", function()
  outer, inner = host:veth("veth-host", "veth-c")
end)
step(("ip link set veth-c netns %d"):format(pid), function()
  inner:set_netns(netns.open{ pid = pid })
end)
check.ok(not pcall(host.link, host, "veth-c"), "veth-c left the host")
step("inside: rename veth-c to eth0, 172.17.0.100/16, up, default via 172.17.0.1", function()
  inner:rename("eth0")
  inner:addr_add("172.17.0.100/16", { broadcast = true })
  inner:up()
  c.netns:route_add{ dst = "default", via = "172.17.0.1" }
end)
step("ip link set veth-host master docker0; ip link set veth-host up", function()
  docker.daemon().networks.bridge.bridge:attach(outer)
  outer:up()
end)
show(c:exec("ip a").stdout)
check.equal(#c.netns:links(), 2, "the container now has lo and eth0")
check.equal(c.netns:link("eth0"):addrs("inet")[1]["local"], "172.17.0.100", "eth0 has 172.17.0.100")
check.ok(inner:wait("UP") and outer:wait("UP"), "both ends are UP")

section "It is on the bridge now"
check.reachable(host, "172.17.0.100")
step("docker run --name test2 (on the default bridge)", function() test2 = docker.run{ name = "test2" } end)
check.reachable(c.netns, { "172.17.0.1", test2.ip })
