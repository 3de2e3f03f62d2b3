-- Network namespaces: seeds 001 and 004.
--
--   ip netns add / list / delete; ip netns exec test1 ip a shows only lo,
--   DOWN; after `ip link set dev lo up` its state is UNKNOWN, not UP: a
--   loopback has no carrier to report.
lab "netns: add, list, exec, delete"

section "Add, list, delete"
step("ip netns add test3; ip netns list; ip netns delete test3", function()
  netns.add "test3"
  check.equal(netns.list(), { "test3" }, "ip netns list shows test3")
  netns.delete "test3"
end)
check.equal(netns.list(), {}, "after delete, ip netns list is empty")

step("ip netns add test1; ip netns add test2", function()
  test1 = netns.add "test1"
  test2 = netns.add "test2"
end)
check.equal(netns.list(), { "test1", "test2" }, "ip netns list shows test1 and test2")
check.ok(test1:inode() ~= test2:inode() and test1:inode() ~= host:inode(),
         "each namespace is its own (different inodes)")

section "Inside a new namespace: only lo, DOWN"
local lo = test1:link("lo"):info()
check.equal(#test1:links(), 1, "test1 has one device")
check.equal(lo.operstate, "DOWN", "lo is DOWN")
check.ok(not lo.flags[2], "lo has only the LOOPBACK flag")
local ip_a = test1:exec("ip a")
show(ip_a.stdout)
check.match(ip_a.stdout, "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN",
            "ip netns exec test1 ip a agrees")

section "lo up: UNKNOWN, not UP"
step("ip netns exec test1 ip link set dev lo up", function()
  test1:link("lo"):up()
end)
check.equal(test1:link("lo"):info().operstate, "UNKNOWN", "lo's state is UNKNOWN")
show(test1:exec("ip link").stdout)
check.match(test1:exec("ip link").stdout, "state UNKNOWN", "ip link agrees")
check.reachable(test1, "127.0.0.1")
check.unreachable(test2, "127.0.0.1")

section "exec without a prompt"
local hostname = test1:exec({ "sh", "-c", "echo $0 in test1", "hello" })
check.equal(hostname.stdout, "hello in test1\n", "a command runs in test1 and its output comes back")
check.equal(test1:exec({ "sh", "-c", "exit 3" }).status, 3, "its exit status comes back too")
check.equal(test1:exec({ "readlink", "/proc/self/ns/net" }).stdout,
            ("net:[%d]\n"):format(test1:inode()), "the command really runs in test1")
