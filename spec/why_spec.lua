-- why: each world broken one way, and the diagnosis names the cause;
-- cross-checked with `ip route get` and `nft` run in the same world.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local why = require("nslab.why")
local json = require("dkjson")

-- a [a0 A] ---- [r0 R1] r [r1 R2] ---- [b0 B] b, routes both ways via r.
local function routed()
  local a, r, b = netns.add("a"), netns.add("r"), netns.add("b")
  local a0, r0 = a:veth("a0", "r0", { peer_netns = r })
  local r1, b0 = r:veth("r1", "b0", { peer_netns = b })
  a0:addr_add("10.0.1.2/24"); r0:addr_add("10.0.1.1/24")
  r1:addr_add("10.0.2.1/24"); b0:addr_add("10.0.2.2/24")
  for _, l in ipairs{ a0, r0, r1, b0 } do l:up() end
  for _, l in ipairs{ a0, r0, r1, b0 } do assert(l:wait("UP")) end
  a:route_add{ dst = "default", via = "10.0.1.1" }
  b:route_add{ dst = "default", via = "10.0.2.1" }
  r:sysctl("net.ipv4.ip_forward", 1)
  return a, r, b
end

local function has_cause(report, pattern)
  for _, c in ipairs(report.causes) do
    if c:find(pattern, 1, true) then return true end
  end
  return false, "no cause has " .. pattern .. " in:\n" .. report:text()
end

-- What `ip route get ...` says in ns: its stdout or stderr, and status.
local function ip_route_get(ns, words)
  local result = ns:exec("ip route get " .. words)
  return result.stdout .. result.stderr, result.status
end

local function tables_of(ns)
  local names = {}
  for _, item in ipairs(json.decode(ns:exec("nft -j list tables").stdout).nftables) do
    if item.table then names[#names + 1] = item.table.family .. " " .. item.table.name end
  end
  return names
end

-- Why the kernel cannot trace here (no nf_tables, no nftrace), or nil.
local function no_trace()
  local ok, tracer = pcall(netns.host().handle.nftrace_start, netns.host().handle, { addrs = { "192.0.2.1" } })
  if not ok then return "no nf_tables trace here: " .. tostring(tracer) end
  tracer:stop()
  return nil
end

describe("why", function()
  before_each(world.fresh)

  it("a missing route: no route to the address in the source", function()
    local a = netns.add("a")
    world.cable(a, netns.add("b"), "10.0.0.1/24", "10.0.0.2/24")
    local report = why.diagnose(a, "192.0.2.1", { timeout = 0.3 })
    assert.equal("no route to 192.0.2.1 in a (Network is unreachable)", report.cause)
    assert.equal("ENETUNREACH", report.path[1].errno)
    local said, status = ip_route_get(a, "192.0.2.1")
    assert.is_not.equal(0, status)
    assert.truthy(said:find("Network is unreachable", 1, true))
    assert.is_false(report.arrived)
  end)

  it("lo down in a new namespace: its own addresses and 127.0.0.1 (seed 000: ping 127.0.0.1 before lo up)", function()
    local a = netns.add("a")
    world.cable(a, netns.add("b"), "10.0.0.1/24", "10.0.0.2/24")
    local report = why.diagnose(a, "10.0.0.1", { timeout = 0.3 })
    assert.equal("lo in a is down (ip link set lo up): what a sends to its own address 10.0.0.1 (on veth-test1) "
                 .. "goes through lo", report.cause)
    report = why.diagnose(a, "127.0.0.1", { timeout = 0.3 })
    assert.equal("no route to 127.0.0.1 in a: lo in a is down (ip link set lo up), and a namespace's lo holds "
                 .. "127.0.0.1/8 only while it is up", report.cause)
    -- the witness: the real ping fails both, and works once lo is up
    assert.is_not.equal(0, a:exec("ping -c 1 -w 1 10.0.0.1").status)
    assert.truthy(a:exec("ping -c 1 -w 1 127.0.0.1").stderr:find("Network is unreachable", 1, true))
    a:link("lo"):up()
    assert.equal(0, a:exec("ping -c 1 -w 1 127.0.0.1").status)
    assert.is_nil(why.diagnose(a, "10.0.0.1", { timeout = 0.3 }).cause)
    assert.is_nil(why.diagnose(a, "127.0.0.1", { timeout = 0.3 }).cause)
  end)

  it("a destination that ignores echo requests (icmp_echo_ignore_all)", function()
    local a, b = netns.add("a"), netns.add("b")
    world.cable(a, b, "10.0.0.1/24", "10.0.0.2/24")
    b:sysctl("net.ipv4.icmp_echo_ignore_all", 1)
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.3 })
    assert.is_true(report.arrived)
    assert.equal("b ignores echo requests: net.ipv4.icmp_echo_ignore_all = 1 (10.0.0.2 gets them and sends no reply)",
                 report.cause)
    -- the witness: the real ping gets no reply either, and one once it is 0
    assert.is_not.equal(0, a:exec("ping -c 1 -w 1 10.0.0.2").status)
    b:sysctl("net.ipv4.icmp_echo_ignore_all", 0)
    assert.equal(0, a:exec("ping -c 1 -w 1 10.0.0.2").status)
    assert.is_nil(why.diagnose(a, "10.0.0.2", { timeout = 0.3 }).cause)
  end)

  it("a neighbour entry with a MAC address the next hop does not have", function()
    local a, b = netns.add("a"), netns.add("b")
    world.cable(a, b, "10.0.0.1/24", "10.0.0.2/24")
    a:neigh_add("veth-test1", { dst = "10.0.0.2", lladdr = "02:00:00:00:00:99" })
    local mac = world.ip_link(b, "veth-test2").address
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.3 })
    assert.equal("the neighbour entry for 10.0.0.2 on veth-test1 in a says 02:00:00:00:00:99 (PERMANENT), but "
                 .. "10.0.0.2 is veth-test2 in b (" .. mac .. "): its frames go to a MAC address it does not have",
                 report.cause)
    -- the witness: ip neigh shows the same entry, and the real ping gets no reply
    assert.truthy(world.sh(a, "ip neigh show 10.0.0.2"):find("lladdr 02:00:00:00:00:99 PERMANENT", 1, true))
    assert.is_not.equal(0, a:exec("ping -c 1 -w 1 10.0.0.2").status)
    -- the right MAC: nothing to say
    a:neigh_add("veth-test1", { dst = "10.0.0.2", lladdr = mac })
    assert.is_nil(why.diagnose(a, "10.0.0.2", { timeout = 0.3 }).cause)
  end)

  it("an address on lo: the veth's MAC is right, and the reply stays where the prefix makes it local", function()
    local a, b = netns.add("a"), netns.add("b")
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:addr_add("10.0.0.1/24")
    b:link("lo"):addr_add("10.0.0.2/24") -- on lo, not on vb: all of 10.0.0.0/24 is local in b
    for _, l in ipairs{ va, vb, b:link("lo") } do l:up() end
    assert(va:wait("UP"))
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.3 })
    -- b answers ARP for 10.0.0.2 with vb's MAC (arp_ignore 0): no wrong entry to blame
    assert.equal(world.ip_link(b, "vb").address, report.path[1].lladdr)
    assert.is_nil(report.path[1].wrong_lladdr)
    assert.equal("the reply has no way back: it stays in b: b takes 10.0.0.1 as its own: 10.0.0.2/24 on lo makes "
                 .. "the whole prefix local", report.cause)
    -- the witness: b's own lookup says local
    assert.truthy(ip_route_get(b, "10.0.0.1"):find("^local 10.0.0.1 dev lo"))
  end)

  it("a source that is the router's own address too: a martian, and why", function()
    local a, r = routed()
    r:link("lo"):up()
    r:link("lo"):addr_add("10.0.1.2/32")
    local report = why.diagnose(a, "10.0.2.2", { timeout = 0.3 })
    assert.equal("r drops the packet as a martian (a local source coming in on r0): 10.0.1.2 is r's own address too "
                 .. "(on lo)", report.cause)
    local said, status = ip_route_get(r, "10.0.2.2 from 10.0.1.2 iif r0")
    assert.is_not.equal(0, status, said)
  end)

  it("a netdev ingress chain that drops before any trace sees the packet", function()
    if no_trace() then return pending(no_trace()) end
    local a, b = netns.add("a"), netns.add("b")
    world.cable(a, b, "10.0.0.1/24", "10.0.0.2/24")
    world.sh(b, "nft add table netdev f && nft 'add chain netdev f in { type filter hook ingress device veth-test2 "
      .. "priority 0; policy accept; }' && nft add rule netdev f in ip protocol icmp drop")
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.3 })
    assert.equal("the request for 10.0.0.2 never reached b's IP layer: netdev chain f in on veth-test2 (hook ingress, "
                 .. "policy accept) comes first; its rules: ip protocol icmp drop", report.cause)
    assert.is_nil(report.trace.sources.b)
    -- the witness: the real ping dies there too, and gets through once the chain is gone
    assert.is_not.equal(0, a:exec("ping -c 1 -w 1 10.0.0.2").status)
    world.sh(b, "nft delete table netdev f")
    assert.equal(0, a:exec("ping -c 1 -w 1 10.0.0.2").status)
    assert.is_nil(why.diagnose(a, "10.0.0.2", { timeout = 0.3 }).cause)
  end)

  it("a netdev ingress rule on the reply's way, with a counter: named by its counter", function()
    if no_trace() then return pending(no_trace()) end
    local a, r = routed()
    world.sh(r, "nft add table netdev f && nft 'add chain netdev f in { type filter hook ingress device r1 "
      .. "priority 0; policy accept; }' && nft add rule netdev f in ip saddr 10.0.2.2 counter drop")
    local report = why.diagnose(a, "10.0.2.2", { timeout = 0.3 })
    assert.truthy(report.cause:find("^dropped by rule 1 %(handle %d+%) of chain netdev f in in r: "
                                    .. "ip saddr 10%.0%.2%.2 counter drop "
                                    .. "%(its counter moved by %d+ during the probe, its hook comes before any the "
                                    .. "trace sees%)$"), report.cause)
    assert.truthy(world.sh(r, "nft list chain netdev f in"):find("packets [1-9]"))
  end)

  it("a route that refuses: unreachable, blackhole, prohibit", function()
    local a = netns.add("a")
    a:route_add{ dst = "192.0.2.0/24", type = "unreachable" }
    a:route_add{ dst = "198.51.100.0/24", type = "blackhole" }
    a:route_add{ dst = "203.0.113.0/24", type = "prohibit" }
    assert.equal("an unreachable route in a refuses 192.0.2.1 (unreachable 192.0.2.0/24: No route to host)",
                 why.diagnose(a, "192.0.2.1", { trace = false }).cause)
    assert.equal("a blackhole route in a refuses 198.51.100.1 (blackhole 198.51.100.0/24: Invalid argument)",
                 why.diagnose(a, "198.51.100.1", { trace = false }).cause)
    assert.equal("a prohibit route in a refuses 203.0.113.1 (prohibit 203.0.113.0/24: Permission denied)",
                 why.diagnose(a, "203.0.113.1", { trace = false }).cause)
    assert.truthy(ip_route_get(a, "192.0.2.1"):find("No route to host", 1, true))
    -- a host route (ip -j prints its dst without a length) is the most
    -- specific, and beside it the /24 still answers for the rest
    a:route_add{ dst = "192.0.2.9", type = "blackhole" }
    assert.equal("a blackhole route in a refuses 192.0.2.9 (blackhole 192.0.2.9: Invalid argument)",
                 why.diagnose(a, "192.0.2.9", { trace = false }).cause)
    assert.equal("an unreachable route in a refuses 192.0.2.1 (unreachable 192.0.2.0/24: No route to host)",
                 why.diagnose(a, "192.0.2.1", { trace = false }).cause)
  end)

  it("a next hop nobody holds: nothing answers ARP for it", function()
    local a = netns.add("a")
    world.cable(a, netns.add("b"), "10.0.0.1/24", "10.0.0.2/24")
    local report = why.diagnose(a, "10.0.0.9", { timeout = 0.3 })
    assert.equal("nothing answers for 10.0.0.9: the other end of veth-test1, veth-test2 in b, and its namespace do "
                 .. "not hold it", report.cause)
    assert(has_cause(report, "no answer to ARP/ND for 10.0.0.9 on veth-test1 in a (neighbour INCOMPLETE)"))
  end)

  it("a link down: the source's device, and the peer's", function()
    local a, b = netns.add("a"), netns.add("b")
    local a0, b0 = world.cable(a, b, "10.0.0.1/24", "10.0.0.2/24")
    b0:down()
    assert(a0:wait("DOWN"))
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.3 })
    assert(has_cause(report, "veth-test1 in a has no carrier (operstate DOWN): its peer veth-test2 in b "
                     .. "is down"))
    assert.same({ "b", "veth-test2", false }, { report.path[1].peer.ns, report.path[1].peer.ifname,
                                                report.path[1].peer.state.up })
    a0:down()
    report = why.diagnose(a, "10.0.0.2", { timeout = 0.3 })
    assert.equal("no route to 10.0.0.2 in a: veth-test1 in a is down (ip link set veth-test1 up), "
                 .. "and it holds 10.0.0.1/24", report.cause)
    assert.truthy(ip_route_get(a, "10.0.0.2"):find("Network is unreachable", 1, true))
  end)

  it("a bridge port that does not forward yet (STP on: listening for the forward delay)", function()
    local host = netns.host()
    local br0 = host:bridge("br0", { stp = true })
    br0:up()
    local nets = {}
    for i = 0, 1 do
      nets[i] = netns.add("net" .. i)
      local inside, outside = host:veth("veth" .. i, "br-veth" .. i)
      inside:set_netns(nets[i])
      inside:addr_add(("10.0.1.%d/24"):format(i + 1))
      br0:attach(outside)
      outside:up()
      inside:up()
      assert(inside:wait("UP"))
    end
    local report = why.diagnose(nets[0], "10.0.1.2", { trace = false })
    assert.equal("bridge port br-veth0 in host is listening, not forwarding", report.cause, report:text())
    assert.equal("listening", world.ip_json(host, "-d link show br-veth0")[1].linkinfo.info_slave_data.state)
  end)

  it("across a bridge: the far container's end down, then the bridge itself down", function()
    local host = netns.host()
    local br0 = host:bridge("br0")
    br0:up()
    local nets, ends = {}, {}
    for i = 0, 1 do
      nets[i] = netns.add("net" .. i)
      local port, inside = host:veth("br-veth" .. i, "eth0", { peer_netns = nets[i] })
      inside:addr_add(("10.0.1.%d/24"):format(i + 1))
      br0:attach(port)
      port:up()
      inside:up()
      assert(inside:wait("UP"))
      ends[i] = inside
    end
    ends[1]:down()
    local report = why.diagnose(nets[0], "10.0.1.2", { trace = false })
    assert.equal("br-veth1 in host has no carrier (operstate DOWN): its peer eth0 in net1 is down", report.cause,
                 report:text())
    ends[1]:up()
    br0:down()
    report = why.diagnose(nets[0], "10.0.1.2", { trace = false })
    assert.equal("br0 in host is down (ip link set br0 up)", report.cause, report:text())
    assert.equal("disabled", world.ip_json(host, "-d link show br-veth0")[1].linkinfo.info_slave_data.state)
  end)

  it("ip_forward 0 in a router: the router does not forward", function()
    local a, r = routed()
    assert.equal(0, #why.diagnose(a, "10.0.2.2", { timeout = 0.5 }).causes) -- it works first
    r:sysctl("net.ipv4.ip_forward", 0)
    local report = why.diagnose(a, "10.0.2.2", { timeout = 0.3 })
    assert(has_cause(report, "r does not forward: net.ipv4.ip_forward = 0"))
    local hop = report.path[2]
    assert.same({ "r", "r0", "EHOSTUNREACH" }, { hop.ns, hop.iif, hop.errno })
    assert.equal("ip route get 10.0.2.2 from 10.0.1.2 iif r0", hop.query)
    -- the kernel says the same to ip
    assert.truthy(ip_route_get(r, "10.0.2.2 from 10.0.1.2 iif r0"):find("No route to host", 1, true))
    -- on for the router, off for the device it comes in on
    r:sysctl("net.ipv4.ip_forward", 1)
    r:sysctl("net.ipv4.conf.r0.forwarding", 0)
    report = why.diagnose(a, "10.0.2.2", { timeout = 0.3 })
    assert.equal("r does not forward what comes in on r0: net.ipv4.conf.r0.forwarding = 0 (net.ipv4.ip_forward = 1 "
                 .. "sets every device once; this one was set apart), so a packet for 10.0.2.2 coming in on r0 is "
                 .. "refused", report.cause)
  end)

  it("IPv6: forwarding 0 in a router (the kernel's lookup does not say; the sysctl does)", function()
    local a, r, b = netns.add("a"), netns.add("r"), netns.add("b")
    local a0, r0 = a:veth("a0", "r0", { peer_netns = r })
    local r1, b0 = r:veth("r1", "b0", { peer_netns = b })
    a0:addr_add("fd00:1::2/64", { nodad = true }); r0:addr_add("fd00:1::1/64", { nodad = true })
    r1:addr_add("fd00:2::1/64", { nodad = true }); b0:addr_add("fd00:2::2/64", { nodad = true })
    for _, l in ipairs{ a0, r0, r1, b0 } do l:up() end
    for _, l in ipairs{ a0, r0, r1, b0 } do assert(l:wait("UP")) end
    a:route_add{ dst = "default", via = "fd00:1::1" }
    b:route_add{ dst = "default", via = "fd00:2::1" }
    r:sysctl("net.ipv6.conf.all.forwarding", 0)
    local report = why.diagnose(a, "fd00:2::2", { timeout = 0.3 })
    assert.equal("r does not forward: net.ipv6.conf.all.forwarding = 0, so a packet for fd00:2::2 coming in on r0 "
                 .. "is dropped", report.cause)
    -- ip's lookup in r finds the route all the same
    local said, status = ip_route_get(r, "fd00:2::2 from fd00:1::2 iif r0")
    assert.equal(0, status, said)
    assert.truthy(said:find("dev r1", 1, true))
  end)

  it("seed 004: the FORWARD policy drop with bridge netfilter names the chain and its policy", function()
    if no_trace() then return pending(no_trace()) end
    local host = netns.host()
    local ok = pcall(host.sysctl, host, "net.bridge.bridge-nf-call-iptables")
    if not ok then
      pending("net.bridge.bridge-nf-call-iptables is missing here (no br_netfilter): bridged packets pass no "
              .. "FORWARD chain")
      return
    end
    local br0 = host:bridge("br0")
    br0:up()
    local nets = {}
    for i = 0, 1 do
      nets[i] = netns.add("net" .. i)
      local inside, outside = host:veth("veth" .. i, "br-veth" .. i)
      inside:set_netns(nets[i])
      inside:addr_add(("10.0.1.%d/24"):format(i + 1))
      br0:attach(outside)
      outside:up()
      inside:up()
      assert(inside:wait("UP"))
    end
    host:sysctl("net.bridge.bridge-nf-call-iptables", 1)
    local forward = host:nft_table("ip", "filter"):chain("FORWARD", { type = "filter", hook = "forward",
                                                                      priority = "filter", policy = "drop" })
    forward:rule("counter")
    -- nft's own monitor sees the same trace events
    local file = os.tmpname()
    local pid = world.sh(host, "stdbuf -oL nft monitor trace > " .. file .. " 2>&1 & echo $!"):match("%d+")
    require("nslab.core").sleep(0.3)
    local report = why.diagnose(nets[0], "10.0.1.2", { timeout = 0.5 })
    world.sh(host, "kill " .. pid)
    local f = assert(io.open(file))
    local monitor = f:read("a")
    f:close()
    os.remove(file)
    assert.truthy(monitor:find("ip filter FORWARD policy drop", 1, true), monitor)
    assert.equal("dropped by the policy of chain ip filter FORWARD (policy drop) in host", report.cause)
    local step = report.trace.steps[1]
    assert.same({ "host", "filter", "FORWARD", "forward", "policy", "drop", "icmp echo-request 10.0.1.1 > 10.0.1.2" },
                { step.ns, step.table, step.chain, step.hook, step.type, step.verdict, step.packet })
    -- the route lookups themselves are fine: it crossed br0 and arrived
    assert.is_true(report.arrived)
    assert.same({ "br0", "host", "br-veth1", 1 }, { report.path[1].bridge.name, report.path[1].bridge.ns,
                                                    report.path[1].bridge.port_out,
                                                    report.path[1].bridge.nf_call_iptables })
    -- the counter of the rule before the policy moved during the probe
    assert.same({ "FORWARD", "counter" }, { report.trace.counters[1].chain, report.trace.counters[1].rule })
    assert.is_true(report.trace.counters[1].packets >= 1)
    -- the temporary table is gone, in every namespace
    for _, ns in ipairs{ host, nets[0], nets[1] } do
      for _, t in ipairs(tables_of(ns)) do assert.is_not.equal("inet nslab-why", t) end
    end
    -- with the fix, the same diagnosis finds nothing in the way
    forward:insert('iifname "br0" counter accept')
    report = why.diagnose(nets[0], "10.0.1.2", { timeout = 0.5 })
    assert.is_nil(report.cause)
    assert.equal(2, report.trace.probe.received)
  end)

  it("a missing MASQUERADE: the far side has no route back to the private source", function()
    if no_trace() then return pending(no_trace()) end
    local host = netns.host()
    local lan, internet = netns.add("lan"), netns.add("internet")
    local c0, d0 = lan:veth("eth0", "docker0", { peer_netns = host })
    local e0, isp0 = host:veth("eth0", "isp0", { peer_netns = internet })
    c0:addr_add("172.17.0.2/16"); d0:addr_add("172.17.0.1/16")
    e0:addr_add("198.51.100.2/24"); isp0:addr_add("198.51.100.1/24")
    internet:link("lo"):up()
    internet:link("lo"):addr_add("203.0.113.10/32")
    for _, l in ipairs{ c0, d0, e0, isp0 } do l:up() end
    for _, l in ipairs{ c0, d0, e0, isp0 } do assert(l:wait("UP")) end
    lan:route_add{ dst = "default", via = "172.17.0.1" }
    host:route_add{ dst = "default", via = "198.51.100.1" }
    host:sysctl("net.ipv4.ip_forward", 1)
    local report = why.diagnose(lan, "203.0.113.10", { timeout = 0.5 })
    assert.is_true(report.arrived) -- the request gets there
    assert(has_cause(report, "the reply has no way back: no route to 172.17.0.2 in internet"))
    assert(has_cause(report, "; no NAT rewrote the private source 172.17.0.2: host forwards it out eth0 as it is "
                     .. "(a masquerade or snat rule there would give the reply a way back)"))
    local back = report.back[1]
    assert.same({ "internet", "ip route get 172.17.0.2", "ENETUNREACH" }, { back.ns, back.query, back.errno })
    assert.truthy(ip_route_get(internet, "172.17.0.2 from 203.0.113.10"):find("Network is unreachable", 1, true))
    -- with the masquerade rule the way back is the host's address, and it works
    local nat = host:nft_table("ip", "nat")
    nat:chain("POSTROUTING", { type = "nat", hook = "postrouting", priority = "srcnat", policy = "accept" })
      :rule('ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade')
    assert.equal(1, lan:ping("203.0.113.10", { count = 1, timeout = 1 }).received)
    report = why.diagnose(lan, "203.0.113.10", { timeout = 0.5 })
    assert.is_nil(report.cause, report:text())
    assert.equal("198.51.100.2", report.translated) -- as the internet saw it, from the trace
    assert.same({ "internet", "ip route get 198.51.100.2", true },
                { report.back[1].ns, report.back[1].query, report.back[#report.back].arrived })
  end)

  it("a rule that drops: names the rule and its counter", function()
    if no_trace() then return pending(no_trace()) end
    local a, b = netns.add("a"), netns.add("b")
    world.cable(a, b, "10.0.0.1/24", "10.0.0.2/24")
    local input = b:nft_table("ip", "filter"):chain("INPUT", { type = "filter", hook = "input",
                                                               priority = "filter", policy = "accept" })
    input:rule("ip saddr 10.0.0.1 counter drop")
    local handle = input:rules()[1].handle
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.5 })
    assert.equal(("dropped by rule 1 (handle %d) of chain ip filter INPUT in b: ip saddr 10.0.0.1 counter drop")
                 :format(handle),
                 report.cause)
    local c = report.trace.counters[1]
    assert.same({ "b", "INPUT", handle }, { c.ns, c.chain, c.handle })
    assert.equal(report.trace.probe.sent, c.packets)
    -- as data: the JSON says the same, and so does the view show() prints
    local data = json.decode(report:json())
    assert.equal(report.cause, data.cause)
    assert.equal("drop", data.trace.steps[1].verdict)
    local view = require("nslab.view")
    assert.equal(report:text() .. "\n", view.render(report))
    assert.same(data, json.decode(view.render(report, { json = true })))
  end)

  it("a rule that rejects: named as a reject, and the probe says what came back", function()
    if no_trace() then return pending(no_trace()) end
    local a, b = netns.add("a"), netns.add("b")
    world.cable(a, b, "10.0.0.1/24", "10.0.0.2/24")
    local input = b:nft_table("inet", "filter"):chain("input", { type = "filter", hook = "input", priority = 0 })
    input:rule("ip protocol icmp reject")
    local handle = input:rules()[1].handle
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.5 })
    assert.equal(("rejected by rule 1 (handle %d) of chain inet filter input in b: ip protocol icmp reject")
                 :format(handle),
                 report.cause)
    assert.equal("From 10.0.0.2 icmp_seq=1 Destination Port Unreachable", a:ping("10.0.0.2").error)
  end)

  it("a bridge-family rule that drops the ARP request: named by its counter (the trace follows ICMP only)", function()
    if no_trace() then return pending(no_trace()) end
    local sw = netns.add("sw")
    local br = sw:bridge("br0")
    br:up()
    local a, b = netns.add("a"), netns.add("b")
    local ea, pa = a:veth("ea", "pa", { peer_netns = sw })
    local eb, pb = b:veth("eb", "pb", { peer_netns = sw })
    ea:addr_add("10.0.0.1/24")
    eb:addr_add("10.0.0.2/24")
    for _, l in ipairs{ pa, pb } do br:attach(l) end
    for _, l in ipairs{ ea, pa, eb, pb } do l:up() end
    for _, l in ipairs{ ea, eb } do assert(l:wait("UP")) end
    local forward = sw:nft_table("bridge", "bf"):chain("forward", { type = "filter", hook = "forward", priority = 0 })
    forward:rule('oifname "pb" counter drop')
    local handle = forward:rules()[1].handle
    local report = why.diagnose(a, "10.0.0.2", { timeout = 0.5 })
    assert.equal(('dropped by rule 1 (handle %d) of chain bridge bf forward in sw: oifname "pb" counter drop '
                  .. '(its counter moved '
                  .. "by %d during the probe, for packets the trace does not follow, as ARP)")
                 :format(handle, report.trace.counters[1].packets), report.cause)
    -- the witness: nft's own counter moved too
    assert.truthy(world.sh(sw, "nft list chain bridge bf forward"):find("packets [1-9]"))
  end)

  -- The bridge forwards by its table, not by who owns the address: a
  -- static entry (or one learned before a move) elsewhere sends the frame
  -- there.
  it("a bridge whose forwarding entry sends the target's MAC out another port", function()
    local sw = netns.add("sw")
    local br = sw:bridge("br0")
    br:up()
    local a, b, c = netns.add("a"), netns.add("b"), netns.add("c")
    local ea, pa = a:veth("ea", "pa", { peer_netns = sw })
    local eb, pb = b:veth("eb", "pb", { peer_netns = sw })
    local ec, pc = c:veth("ec", "pc", { peer_netns = sw })
    ea:addr_add("10.0.0.1/24")
    eb:addr_add("10.0.0.2/24")
    for _, l in ipairs{ pa, pb, pc } do br:attach(l) end
    for _, l in ipairs{ ea, pa, eb, pb, ec, pc } do l:up() end
    -- a knows b already (no ARP that b's reply would correct: the bridge
    -- learns a MAC again where it comes from, static or not)
    assert.equal(1, a:ping("10.0.0.2", { timeout = 2 }).received)
    local mac = eb:info().address
    world.sh(sw, "bridge fdb replace " .. mac .. " dev pc master static")
    local report = why.diagnose(a, "10.0.0.2", { trace = false })
    assert.equal(("bridge br0 in sw sends %s (eb in b, which holds 10.0.0.2) out pc, not pb: its forwarding entry "
                  .. "says so (static; bridge fdb del %s dev pc master)"):format(mac, mac), report.cause)
    -- the witness: the probe is lost indeed, and found once the entry goes
    assert.equal(0, a:ping("10.0.0.2", { timeout = 0.5 }).received)
    world.sh(sw, "bridge fdb del " .. mac .. " dev pc master")
    assert.is_nil(why.diagnose(a, "10.0.0.2", { trace = false }).cause)
  end)

  it("rp_filter: the source fails the router's reverse path check", function()
    local a, r = routed()
    -- the router's way back to 10.0.1.2 leaves through r1: asymmetric
    r:route_add{ dst = "10.0.1.2", via = "10.0.2.2" }
    r:sysctl("net.ipv4.conf.all.rp_filter", 1)
    r:sysctl("net.ipv4.conf.r0.rp_filter", 1)
    local report = why.diagnose(a, "10.0.2.2", { timeout = 0.3 })
    assert(has_cause(report, "r's reverse path filter drops it: the source 10.0.1.2 coming in on r0"))
    assert(has_cause(report, "would be routed back through r1 (rp_filter = 1)"))
    -- EXDEV before kernel 6.13, EINVAL (as any martian) since
    assert.truthy(report.path[2].errno == "EXDEV" or report.path[2].errno == "EINVAL", report.path[2].errno)
    assert.equal(1, report.path[2].rp_filter)
    local _, status = ip_route_get(r, "10.0.2.2 from 10.0.1.2 iif r0")
    assert.is_not.equal(0, status)
    -- the same lookup without rp_filter passes
    r:sysctl("net.ipv4.conf.all.rp_filter", 0)
    r:sysctl("net.ipv4.conf.r0.rp_filter", 0)
    assert.equal(0, select(2, ip_route_get(r, "10.0.2.2 from 10.0.1.2 iif r0")))
    assert.is_nil(why.diagnose(a, "10.0.2.2", { trace = false }).path[2].errno)
  end)

  it("rp_filter at the source against an asymmetric reply: the cause before the ARP it leaves unanswered", function()
    local a, _, b = routed()
    local a1, b1 = a:veth("a1", "b1", { peer_netns = b }) -- a direct link the reply takes
    a1:addr_add("10.0.3.1/24")
    b1:addr_add("10.0.3.2/24")
    a1:up()
    b1:up()
    b:route_del{ dst = "default" }
    b:route_add{ dst = "10.0.1.0/24", via = "10.0.3.1" }
    a:sysctl("net.ipv4.conf.all.rp_filter", 1)
    a:sysctl("net.ipv4.conf.a1.rp_filter", 1)
    local report = why.diagnose(a, "10.0.2.2", { timeout = 0.3 })
    assert.equal("the reply has no way back: a's reverse path filter drops it: the source 10.0.2.2 coming in on a1 "
                 .. "would be routed back through a0 (rp_filter = 1)", report.cause)
    -- (the ARP request of the reply's way, which the filter refuses too, is a symptom: after it, if at all)
    a:sysctl("net.ipv4.conf.all.rp_filter", 0)
    a:sysctl("net.ipv4.conf.a1.rp_filter", 0)
    assert.equal(0, a:exec("ping -c 1 -w 1 10.0.2.2").status)
  end)

  it("prints under the FAIL line, returns the reports, and traces none of its own commands", function()
    if no_trace() then return pending(no_trace()) end
    local out = {}
    local code = [[
      lab "why"
      a, b = netns.add("a"), netns.add("b")
      local x, y = a:veth("x0", "y0", { peer_netns = b })
      x:addr_add("10.0.0.1/24"); y:addr_add("10.0.0.2/24"); x:up(); y:up()
      check.ok(x:wait("UP") and y:wait("UP"), "up")
      b:nft_table("ip", "filter"):chain("INPUT", { type = "filter", hook = "input", priority = 0, policy = "drop" })
      passed, reports = check.reachable(a, "10.0.0.2", { count = 1, timeout = 0.3 })
      check.unreachable(a, "10.0.0.2", { timeout = 0.3 }) -- passes: no diagnosis
    ]]
    local trace = require("nslab.trace")
    local before = trace.count
    local _, env = require("nslab.lab").run_string(code, "why", { writer = function(t) out[#out + 1] = t end })
    local text = table.concat(out)
    assert.truthy(text:find("ping 10.0.0.2 from a: 0/1 replies — no reply within 0.3 s\n"
                            .. "    why: dropped by the policy of chain ip filter INPUT (policy drop) in b\n", 1, true),
                  text)
    assert.is_false(env.passed)
    assert.equal("dropped by the policy of chain ip filter INPUT (policy drop) in b", env.reports[1].cause)
    -- printed (a prompt prints what a call returns) as the causes alone
    assert.equal("1 failed probe, diagnosed above: dropped by the policy of chain ip filter INPUT (policy drop) in b",
                 tostring(env.reports))
    assert.truthy(text:find("PASS ping 10.0.0.2 from a: no reply within 0.3 s", 1, true))
    for i = before + 1, trace.count do
      local cmd = trace.history[#trace.history - (trace.count - i)]
      assert.is_nil(cmd and cmd:find("nslab-why", 1, true), cmd)
    end
    assert.falsy(text:find("nslab-why", 1, true))
    -- a JSON run's check event carries the diagnosis as data
    world.fresh()
    local lines = {}
    require("nslab.lab").run_string(code, "why", { format = "json", writer = function(t) lines[#lines + 1] = t end })
    local failed
    for line in table.concat(lines):gmatch("[^\n]+") do
      local e = json.decode(line)
      if e.event == "check" and e.passed == false then failed = e end
    end
    assert.equal("dropped by the policy of chain ip filter INPUT (policy drop) in b", failed.why.cause)
    assert.equal("b", failed.why.trace.steps[1].ns)
  end)

  it("an unreachable check that got a reply: the diagnosis finds nothing in the way", function()
    if no_trace() then return pending(no_trace()) end
    local a = netns.add("a")
    world.cable(a, netns.add("b"), "10.0.0.1/24", "10.0.0.2/24")
    local seen = {}
    local check = require("nslab.check").bind({
      record = function(passed, _, detail, report) seen = { passed, detail, report } return passed end })
    -- (a reply ends it at once: a long timeout costs nothing, and a loaded
    -- machine may take more than 0.3 s for ARP and the first echo)
    local passed, reports = check.unreachable(a, "10.0.0.2", { timeout = 3 })
    assert.is_false(passed)
    assert.equal(seen[3], reports[1])
    assert.truthy(seen[2]:find("^expected none, got 1/1 replies"), seen[2])
    assert.is_true(reports[1].arrived)
    assert.is_nil(reports[1].cause)
    assert.truthy(reports[1]:text():find("^why: nothing is in the way: the probe sent again got %d/%d replies"),
                  reports[1]:text())
  end)

  it("the trace table is owned by its socket: gone when stopped or collected", function()
    if no_trace() then return pending(no_trace()) end
    local a = netns.add("a")
    local t = a.handle:nftrace_start{ addrs = { "10.0.0.1", "fd00::1" } }
    local listed = world.sh(a, "nft list table inet nslab-why")
    assert.truthy(listed:find("flags owner", 1, true), listed)
    assert.truthy(listed:find("ip6 saddr fd00::1 meta nftrace set 1", 1, true), listed)
    assert.truthy(listed:find("type filter hook prerouting priority -2147483648", 1, true), listed)
    t:stop()
    t:stop() -- twice is fine
    assert.same({}, tables_of(a))
    assert.has_error(function() t:events() end, "nftrace events: tracer stopped")
    t = a.handle:nftrace_start{ addrs = { "10.0.0.1" } } -- luacheck: ignore
    t = nil
    collectgarbage()
    collectgarbage()
    assert.same({}, tables_of(a))
    assert.has_error(function() a.handle:nftrace_start{ addrs = {} } end,
                     "nftrace start a: option 'addrs' must hold 1..8 addresses, got 0")
    assert.has_error(function() a.handle:nftrace_start{ addrs = { "10.0.0.300" } } end)
    assert.same({}, tables_of(a))
  end)

  it("refuses bad arguments in the words of check.why", function()
    local a = netns.add("a")
    assert.has_error(function() why.diagnose(a, "10.0.0.1", { timout = 1 }) end, "check.why: invalid option 'timout'")
    assert.has_error(function() why.diagnose(42, "10.0.0.1") end,
                     "check.why: argument 1 (ns) must be a netns or a container, got number")
    assert.has_error(function() why.diagnose(a, nil) end)
    assert.has_error(function() why.diagnose(a, "10.0.0.1", nil, 1) end)
  end)
end)
