-- macvlan: several devices with MAC addresses of their own on one
-- parent's wire, the way containers get "their own NIC" on a LAN.
--
--   ip link add eth0 type veth peer name lan0 netns lan   (the wire)
--   ip link add mva link eth0 netns a type macvlan mode bridge
--   ip link add mvb link eth0 netns b type macvlan mode bridge
--
-- In bridge mode the macvlans of one parent reach each other directly,
-- inside the kernel, and reach whatever is on the wire; but never the
-- parent itself: a frame from a macvlan to its parent does not cross
-- (give the host a macvlan of its own to talk to them). In private mode
-- the macvlans do not even reach each other.
lab "macvlan: devices of their own on one parent"

section "A wire, with a machine at the other end"
step("ip netns add lan; a veth eth0 here, lan0 there; 10.0.0.1 and 10.0.0.254", function()
  lan = netns.add "lan"
  eth0 = host:veth("eth0", "lan0", { peer_netns = lan })
  eth0:addr_add("10.0.0.1/24")
  lan:link("lan0"):addr_add("10.0.0.254/24")
  eth0:up()
  lan:link("lan0"):up()
end)

section "Two namespaces on macvlans of eth0, in bridge mode"
step("ip netns add a, b; macvlan mva in a, mvb in b, parent eth0", function()
  a, b = netns.add "a", netns.add "b"
  mva = host:macvlan("mva", { link = eth0, mode = "bridge", netns = a })
  mvb = host:macvlan("mvb", { link = eth0, mode = "bridge", netns = b })
end)
check.equal(mva:info().macvlan.mode, "bridge", "mva is a macvlan in bridge mode")
check.equal(mva:info().linkinfo.info_kind, "macvlan", "ip -d link calls it macvlan")
check.ok(mva:info().address ~= eth0:info().address and mva:info().address ~= mvb:info().address,
         "each has a MAC address of its own")
step("addresses 10.0.0.2 (a) and 10.0.0.3 (b), up", function()
  mva:addr_add("10.0.0.2/24")
  mvb:addr_add("10.0.0.3/24")
  mva:up()
  mvb:up()
  mva:wait("UP")
  mvb:wait("UP")
end)
show(a:exec("ip -d link show mva").stdout)

section "Whom they reach"
check.reachable(a, "10.0.0.3", { description = "a reaches b: bridge mode switches between macvlans" })
check.reachable(b, "10.0.0.2", { description = "and b reaches a" })
check.reachable(a, "10.0.0.254", { description = "a reaches the machine on the wire" })
check.unreachable(a, "10.0.0.1", { description = "a does not reach its parent eth0 (10.0.0.1)" })
check.unreachable(host, "10.0.0.2", { description = "nor the host a" })

section "Private mode: on the wire, but alone"
step("macvlans mvc in c and mvd in d, mode private: 10.0.0.4, 10.0.0.5", function()
  c, d = netns.add "c", netns.add "d"
  mvc = host:macvlan("mvc", { link = eth0, mode = "private", netns = c })
  mvd = host:macvlan("mvd", { link = eth0, mode = "private", netns = d })
  mvc:addr_add("10.0.0.4/24")
  mvd:addr_add("10.0.0.5/24")
  mvc:up()
  mvd:up()
  mvc:wait("UP")
  mvd:wait("UP")
end)
check.reachable(c, "10.0.0.254", { description = "c reaches the machine on the wire" })
check.unreachable(c, "10.0.0.5", { description = "c does not reach d: private macvlans do not talk" })
check.unreachable(c, "10.0.0.2", { description = "nor a bridge-mode macvlan of the same parent" })
