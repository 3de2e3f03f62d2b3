-- The FORWARD-drop pitfall: seed 004.
--
-- Three namespaces on br0 cannot ping each other: the host runs Docker,
-- which set the FORWARD policy of the filter table to DROP, and bridge
-- netfilter (bridge-nf-call-iptables = 1) sends bridged IPv4 packets
-- through that chain too. Fix 1: bridge-nf-call-iptables = 0. Fix 2:
-- iptables -A FORWARD -i br0 -j ACCEPT (here: nft insert rule ... iifname "br0" accept).
lab "forward-drop: Docker's FORWARD policy and a bridge"

local nets = {}

section "Three namespaces on br0"
step("br0 with net0, net1, net2 (10.0.1.1-3/24)", function()
  br0 = host:bridge("br0")
  br0:up()
  for i = 0, 2 do
    local ns = netns.add("net" .. i)
    local inside, outside = host:veth("veth" .. i, "br-veth" .. i)
    inside:set_netns(ns)
    inside:addr_add(("10.0.1.%d/24"):format(i + 1))
    br0:attach(outside)
    outside:up()
    inside:up()
    nets[i] = { ns = ns, link = inside }
  end
end)
for i = 0, 2 do check.ok(nets[i].link:wait("UP"), ("veth%d is UP"):format(i)) end
check.reachable(nets[0].ns, { "10.0.1.2", "10.0.1.3" })

section "What Docker did: FORWARD policy drop, with bridge netfilter on"
step("sysctl net.bridge.bridge-nf-call-iptables=1; table ip filter, chain FORWARD policy drop", function()
  host:sysctl("net.bridge.bridge-nf-call-iptables", 1)
  filter = host:nft_table("ip", "filter")
  forward = filter:chain("FORWARD", { type = "filter", hook = "forward", priority = "filter", policy = "drop" })
  forward:rule("counter") -- counts what falls through to the policy
end)
check.unreachable(nets[0].ns, { "10.0.1.2", "10.0.1.3" })
local report
step("why? check.why(net0, \"10.0.1.2\"): the route lookups, and a trace of the probe through nf_tables", function()
  report = check.why(nets[0].ns, "10.0.1.2")
  show(report)
end)
check.equal(report.cause, "dropped by the policy of chain ip filter FORWARD (policy drop) in host",
            "the diagnosis names the chain and its policy")
show(host:nft_ruleset())
local function dropped() return forward:rules()[#forward:rules()].packets end
check.ok(dropped() > 0, ("the chain counted %d packets falling through to policy drop"):format(dropped()))

section "Fix 1: bridge-nf-call-iptables = 0"
step("sysctl net.bridge.bridge-nf-call-iptables=0", function()
  host:sysctl("net.bridge.bridge-nf-call-iptables", 0)
end)
local before = dropped()
check.reachable(nets[0].ns, { "10.0.1.2", "10.0.1.3" })
check.equal(dropped(), before, "bridged packets no longer pass the FORWARD chain")

section "Fix 2: accept what comes in on br0"
step("back to bridge-nf-call-iptables=1: broken again", function()
  host:sysctl("net.bridge.bridge-nf-call-iptables", 1)
end)
check.unreachable(nets[1].ns, "10.0.1.3")
step('nft insert rule ip filter FORWARD iifname "br0" counter accept' ..
     '  (iptables -A FORWARD -i br0 -j ACCEPT)', function()
  forward:insert('iifname "br0" counter accept')
end)
check.reachable(nets[0].ns, { "10.0.1.2", "10.0.1.3" })
check.reachable(nets[1].ns, "10.0.1.3")
local accepted = forward:rules()[1]
check.equal(accepted.plain, 'iifname "br0" counter accept', "the first rule of FORWARD is the fix")
check.ok(accepted.packets > 0, ("and its counter shows %d packets accepted"):format(accepted.packets))
