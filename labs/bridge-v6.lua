-- The seeds' bridge steps (seed 001, and the nat and portmap labs) on a
-- dual-stack Docker network, in IPv6:
--
--   docker network create --ipv6 --subnet 172.18.0.0/16 --subnet fd00:db8::/64 v6
--   docker run --name test1 --network v6 -p 8080:80 ...; docker run --name test2 --network v6 ...
--   docker exec test1 ip -6 a     -> eth0 fd00:db8::2/64 (nodad), fe80::42:acff:fe12:2/64
--   docker network inspect v6     -> EnableIPv6, the IPv6 subnet, IPv6Address
--   docker exec test1 ping6 fd00:db8::3; ping6 fd00:db8::1
--   ip6 nat: MASQUERADE out of the host's uplink; -p 8080:80 as ip6 DNAT;
--   ip6 filter FORWARD: what Docker lets through
--
-- The "internet" uses documentation addresses (2001:db8::/32): the host's
-- uplink 2001:db8:1::2/64, the ISP 2001:db8:1::1, a server 2001:db8:ff::10
-- with no route back to the ULA fd00:db8::/64.
lab "bridge-v6: a dual-stack Docker network"

local json = require("dkjson")

-- `ip -j ARGS` in ns (a Netns or a container), decoded.
local function ip_json(ns, args)
  return json.decode(ns:exec("ip -j " .. args).stdout)
end

-- The inet6 addresses of a device as ip shows them: "ADDR/LEN" -> the entry.
local function inet6_of(ns, dev)
  local out = {}
  for _, l in ipairs(ip_json(ns, "-6 addr show dev " .. dev)) do
    for _, a in ipairs(l.addr_info) do out[a["local"] .. "/" .. a.prefixlen] = a end
  end
  return out
end

-- The rules of chain family/table/name in `nft -j list ruleset`, as
-- their JSON expressions (a null kept as json.null: {"masquerade": null}).
local function nft_rules(family, tbl, chain)
  local out = {}
  for _, item in ipairs(json.decode(host:exec("nft -j list ruleset").stdout, 1, json.null).nftables) do
    local r = item.rule
    if r and r.family == family and r.table == tbl and r.chain == chain then out[#out + 1] = r.expr end
  end
  return out
end

-- Does a rule's JSON hold a statement or match with this text anywhere?
local function mentions(expr, text)
  return json.encode(expr):find(text, 1, true) ~= nil
end

section "dockerd and a dual-stack network"
step("docker network create --ipv6 --subnet 172.18.0.0/16 --subnet fd00:db8::/64 v6", function()
  v6 = docker.network_create("v6", { subnet = "172.18.0.0/16", ipv6 = true, subnet6 = "fd00:db8::/64" })
end)
local br = v6.bridge_name
show(host:exec("ip -6 addr show dev " .. br).stdout)
check.ok(inet6_of(host, br)["fd00:db8::1/64"] ~= nil, "ip -j -6 addr: the bridge has the gateway fd00:db8::1/64")
check.equal(host:sysctl("net.ipv6.conf.all.forwarding"), "1", "net.ipv6.conf.all.forwarding = 1")

section "docker run --name test1 -p 8080:80, --name test2, on v6"
step("docker run --name test1 --network v6 -p 8080:80; docker run --name test2 --network v6", function()
  test1 = docker.run{ name = "test1", network = "v6", publish = "8080:80" }
  test2 = docker.run{ name = "test2", network = "v6" }
end)
show(test1:exec("ip -6 a").stdout)
local a1 = inet6_of(test1, "eth0")
check.equal(test1.ip6, "fd00:db8::2", "test1 gets fd00:db8::2, the first address after the gateway")
check.equal(test2.ip6, "fd00:db8::3", "test2 gets fd00:db8::3")
check.ok(a1["fd00:db8::2/64"] and a1["fd00:db8::2/64"].nodad,
         "ip -j -6 addr: eth0 has fd00:db8::2/64, nodad (as libnetwork adds it)")
check.ok(a1["fe80::42:acff:fe12:2/64"] ~= nil,
         "and the kernel's link-local fe80::42:acff:fe12:2/64, EUI-64 of its MAC 02:42:ac:12:00:02")
local default6
for _, r in ipairs(ip_json(test1, "-6 route show")) do
  if r.dst == "default" then default6 = r.gateway .. " dev " .. r.dev end
end
check.equal(default6, "fd00:db8::1 dev eth0", "ip -j -6 route: default via fd00:db8::1 dev eth0")
show(host:brctl_show())
check.equal(#v6.bridge:show().interfaces, 2, "brctl show: two veths on the network's bridge")

section "docker network inspect v6"
local inspect = docker.network_inspect("v6")
show(inspect)
check.equal(inspect.EnableIPv6, true, "EnableIPv6: true")
check.equal(inspect.IPAM.Config, { { Subnet = "172.18.0.0/16", Gateway = "172.18.0.1" },
                                   { Subnet = "fd00:db8::/64", Gateway = "fd00:db8::1" } },
            "IPAM: the IPv4 and the IPv6 subnet, each with its gateway")
check.equal(inspect.Containers[test1.id].IPv6Address, "fd00:db8::2/64", "test1's IPv6Address")

section "ping6: container to container, and to the gateway"
check.reachable(test1.netns, test2.ip6)
check.reachable(test2.netns, test1.ip6)
check.reachable(test1.netns, "fd00:db8::1")
check.equal(test1:exec("ping -6 -c 1 -W 2 " .. test2.ip6).status, 0, "and iputils' ping -6 agrees")

section "The internet, behind the host's uplink (2001:db8::/32)"
step("the internet namespace: the host's eth0 2001:db8:1::2/64, the ISP 2001:db8:1::1, a server 2001:db8:ff::10",
     function()
  internet = netns.add "internet"
  internet:link("lo"):up()
  -- nodad: the lab's own addresses, usable at once (as the containers'
  -- are, libnetwork adding them nodad), in the lab and in its explain script
  eth0, isp0 = host:veth("eth0", "isp0", { peer_netns = internet })
  eth0:addr_add("2001:db8:1::2/64", { nodad = true })
  isp0:addr_add("2001:db8:1::1/64", { nodad = true })
  internet:link("lo"):addr_add("2001:db8:ff::10/128")
  eth0:up()
  isp0:up()
  host:route_add{ dst = "default", via = "2001:db8:1::1" }
end)
check.ok(eth0:wait("UP") and isp0:wait("UP") and eth0:wait_ipv6() and isp0:wait_ipv6(), "the uplink is up")
check.reachable(host, "2001:db8:ff::10")

section "Out through the ip6 MASQUERADE"
local masq = nft_rules("ip6", "nat", "POSTROUTING")
check.ok(#masq == 1 and mentions(masq[1], '"masquerade"') and mentions(masq[1], '"fd00:db8::"'),
         "nft -j: ip6 nat POSTROUTING masquerades ip6 saddr fd00:db8::/64 (oifname != the bridge)")
check.reachable(test1.netns, "2001:db8:ff::10")
local server = internet:tcp_listen("2001:db8:ff::10", 80)
local out = test1.netns:tcp_connect("2001:db8:ff::10", 80, { timeout = 2 })
local conn, peer = server:accept(2)
check.equal(peer, "2001:db8:1::2", "the server sees the TCP connection come from the host's 2001:db8:1::2")
out:send("GET / HTTP/1.0\r\n\r\n")
check.equal(conn:recv(100, 2), "GET / HTTP/1.0\r\n\r\n", "and the request arrives")
conn:close(); out:close(); server:close()

section "-p 8080:80 over IPv6: [2001:db8:1::2]:8080 is test1's [::]:80"
local dnat = nft_rules("ip6", "nat", "DOCKER")
check.ok(#dnat == 2 and mentions(dnat[2], '"dnat"') and mentions(dnat[2], '"fd00:db8::2"'),
         "nft -j: ip6 nat DOCKER DNATs tcp dport 8080 to [fd00:db8::2]:80")
step("a TCP listener on [::]:80 in test1", function() web = test1.netns:tcp_listen("::", 80) end)
local c = internet:tcp_connect("2001:db8:1::2", 8080, { timeout = 2 })
local got, from = web:accept(2)
check.equal(from, "2001:db8:1::1", "test1 accepts the connection, from the client's own address")
c:send("hello")
check.equal(got:recv(100, 2), "hello", "data flows")
c:close(); got:close()

section "The FORWARD rules for IPv6"
step("a listener on [::]:81 in test1 too; the internet routes fd00:db8::/64 via the host", function()
  other = test1.netns:tcp_listen("::", 81)
  internet:route_add{ dst = "fd00:db8::/64", via = "2001:db8:1::2" }
end)
check.raises(function() internet:tcp_connect("2001:db8:1::2", 8081, { timeout = 1 }) end, "Connection refused",
             "[2001:db8:1::2]:8081: refused, nothing was published there")
check.unreachable(internet, test1.ip6, { timeout = 1 })
check.raises(function() internet:tcp_connect(test1.ip6, 81, { timeout = 1 }) end, "timed out",
             test1.ip6 .. ":81 directly: dropped by ip6 filter FORWARD (policy drop)")
local direct = internet:tcp_connect(test1.ip6, 80, { timeout = 2 })
check.ok(web:accept(2) ~= nil, test1.ip6 .. " port 80 directly: accepted by the ip6 filter DOCKER chain")
direct:close()
local forward = nft_rules("ip6", "filter", "DOCKER")
check.ok(#forward == 1 and mentions(forward[1], '"fd00:db8::2"') and mentions(forward[1], '"accept"'),
         "nft -j: ip6 filter DOCKER accepts ip6 daddr fd00:db8::2 tcp dport 80 into the bridge")

section "docker stop test2; docker start test2"
step("docker stop test2", function() docker.stop("test2") end)
check.equal(docker.network_inspect("v6").Containers[test2.id], nil, "inspect drops test2")
check.unreachable(test1.netns, "fd00:db8::3")
step("docker start test2", function() docker.start("test2") end)
check.equal(test2.ip6, "fd00:db8::3", "test2 gets fd00:db8::3 again (the free list)")
check.reachable(test1.netns, test2.ip6)
