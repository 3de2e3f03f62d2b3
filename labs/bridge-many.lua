-- Three namespaces on one bridge, built with ip: seed 004.
--
--   ip link add br0 type bridge; ip link set dev br0 up
--   for i in 0 1 2: ip netns add net$i; ip link add veth$i type veth peer name br-veth$i
--     ip link set veth$i netns net$i; ip netns exec net$i ip addr add 10.0.1.$((i+1))/24 dev veth$i
--     ip link set br-veth$i master br0; ip link set br-veth$i up; ...veth$i up
--   ip netns exec net0 ping -c 2 10.0.1.2
-- (The seed's FORWARD-drop pitfall belongs to the netfilter labs.)
lab "bridge-many: three namespaces on br0"

local nets, ends = {}, {}

section "The bridge"
step("ip link add br0 type bridge; ip link set dev br0 up", function()
  br0 = host:bridge("br0")
  br0:up()
end)

section "Three namespaces, each on a port of br0"
for i = 0, 2 do
  local mac = ("02:00:0a:00:01:%02x"):format(i + 1)
  step(("net%d: veth%d inside (%s), br-veth%d on br0, 10.0.1.%d/24"):format(i, i, mac, i, i + 1), function()
    local ns = netns.add("net" .. i)
    local inside, outside = host:veth("veth" .. i, "br-veth" .. i)
    inside:set_netns(ns)
    -- a MAC of its own, not a random one: the fdb step below names it, and
    -- so does the script `nslab explain` makes of this lab
    inside:set{ address = mac }
    inside:addr_add(("10.0.1.%d/24"):format(i + 1))
    br0:attach(outside)
    outside:up()
    inside:up()
    ns:link("lo"):up()
    nets[i], ends[i] = ns, inside
  end)
end
check.equal(br0:show().interfaces, { "br-veth0", "br-veth1", "br-veth2" }, "brctl show: br0 has the three ports")
-- both ends: the bridge forwards through a port once the kernel has seen
-- its carrier (the same work that makes it UP), which a loaded machine
-- does late
for i = 0, 2 do
  check.ok(ends[i]:wait("UP") and host:link("br-veth" .. i):wait("UP"), ("veth%d and br-veth%d are UP"):format(i, i))
end

section "Every pair reaches each other through br0"
for i = 0, 2 do
  local targets = {}
  for j = 0, 2 do if j ~= i then targets[#targets + 1] = ("10.0.1.%d"):format(j + 1) end end
  check.reachable(nets[i], targets)
end

section "The bridge learned where each MAC lives (brctl showmacs)"
local macs = br0:macs()
show(macs)
for i = 0, 2 do
  local mac = ends[i]:info().address
  local found
  for _, m in ipairs(macs) do
    if m.mac == mac and not m.is_local then found = m end
  end
  check.equal(found and found.port, "br-veth" .. i, ("net%d's MAC %s was learned on br-veth%d"):format(i, mac, i))
  check.ok(found and found.ageing < 60,
           ("and seen in the last minute (ageing timer %.2f s)"):format(found and found.ageing or -1))
end

section "On the wire: flooded before learning, one port after"
-- A capture on every port of br0, what the bridge sent to each namespace.
local function capture_ports()
  local caps = {}
  for i = 0, 2 do caps[i] = host:link("br-veth" .. i):capture{ filter = "icmp[icmptype] == icmp-echo" } end
  return caps
end
-- How many echo requests to 10.0.1.2 each port sent out, from caps.
local function sent_to(caps)
  local n = {}
  for i = 0, 2 do n[i + 1] = #caps[i]:find{ dir = "out", ip = { dst = "10.0.1.2" } } end
  return n
end
local mac1 = ends[1]:info().address
step(("bridge fdb del %s dev br-veth1 master (br0 forgets net1's MAC); net0 pings 10.0.1.2"):format(mac1),
     function()
  host:fdb_del("br-veth1", { mac = mac1 })
  flood = capture_ports()
  nets[0]:ping("10.0.1.2")
end)
show("on br-veth2, net2's port: " .. flood[2]:text())
check.equal(sent_to(flood), { 0, 1, 1 },
            "the echo request to an unknown MAC was flooded: out of br-veth1 and br-veth2 (not back out of br-veth0)")
for i = 0, 2 do flood[i]:stop() end
step("net0 pings 10.0.1.2 again, br0 having learned net1's MAC from the reply", function()
  unicast = capture_ports()
  nets[0]:ping("10.0.1.2")
end)
check.equal(sent_to(unicast), { 0, 1, 0 }, "now it left br0 on br-veth1 only: the one port behind which the MAC lives")
for i = 0, 2 do unicast[i]:stop() end
