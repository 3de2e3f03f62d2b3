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
  step(("net%d: veth%d inside, br-veth%d on br0, 10.0.1.%d/24"):format(i, i, i, i + 1), function()
    local ns = netns.add("net" .. i)
    local inside, outside = host:veth("veth" .. i, "br-veth" .. i)
    inside:set_netns(ns)
    inside:addr_add(("10.0.1.%d/24"):format(i + 1))
    br0:attach(outside)
    outside:up()
    inside:up()
    ns:link("lo"):up()
    nets[i], ends[i] = ns, inside
  end)
end
check.equal(br0:show().interfaces, { "br-veth0", "br-veth1", "br-veth2" }, "brctl show: br0 has the three ports")
for i = 0, 2 do check.ok(ends[i]:wait("UP"), ("veth%d is UP"):format(i)) end

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
