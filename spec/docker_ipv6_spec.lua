-- docker IPv6: dual-stack bridge networks (nslab.docker_ipv6). What the
-- model claims is checked against the kernel with `ip -j -6` and `nft -j`
-- in the same world, and with real ICMPv6 and TCP across it.
local world = require("spec.support.world")
local docker = require("nslab.docker")
local v6 = require("nslab.docker_ipv6")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
local json = require("dkjson")

local V6 = { subnet = "172.18.0.0/16", ipv6 = true, subnet6 = "fd00:db8::/64" }

-- The inet6 entries ip shows on dev in ns (nil: the host), by "ADDR/LEN".
local function inet6(ns, dev)
  local out = {}
  for _, l in ipairs(world.ip_json(ns, "-6 addr show dev " .. dev)) do
    for _, a in ipairs(l.addr_info) do out[a["local"] .. "/" .. a.prefixlen] = a end
  end
  return out
end

-- The rules of family/table/chain in `nft -j list ruleset` (nulls kept),
-- each as its JSON text.
local function nft_rules(family, tbl, chain)
  local out = {}
  local doc = json.decode(world.sh(nil, "nft -j list ruleset"), 1, json.null)
  for _, item in ipairs(doc.nftables) do
    local r = item.rule
    if r and r.family == family and r.table == tbl and r.chain == chain then out[#out + 1] = json.encode(r.expr) end
  end
  return out
end

local function has_table(family, name)
  for _, item in ipairs(json.decode(world.sh(nil, "nft -j list tables")).nftables) do
    if item.table and item.table.family == family and item.table.name == name then return true end
  end
  return false
end

local function bridges()
  return world.pluck(world.ip_json(nil, "link show type bridge"), "ifname")
end

describe("docker IPv6", function()
  before_each(function()
    world.fresh()
    docker.reset()
  end)

  describe("addresses", function()
    it("parse and print as RFC 5952 (as the kernel prints them)", function()
      for text, want in pairs{ ["fd00:db8::"] = "fd00:db8::", ["::1"] = "::1", ["::"] = "::",
                               ["FD00:0DB8:0:0:0:0:0:2"] = "fd00:db8::2", ["1:0:0:1:0:0:0:1"] = "1:0:0:1::1",
                               ["1:0:0:0:1:0:0:1"] = "1::1:0:0:1", ["1:0:1:1:1:1:1:1"] = "1:0:1:1:1:1:1:1",
                               ["2001:db8:ff::10"] = "2001:db8:ff::10", ["ffff::ffff:ffff:ffff:ffff"] =
                               "ffff::ffff:ffff:ffff:ffff" } do
        assert.equal(want, v6.text(v6.parse(text)), text)
      end
      for _, bad in ipairs{ "1:::2", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", "g::1", "",
                            "1.2.3.4", ":1", "1:", "1:2:3:4:5:6:7::8" } do
        assert.is_nil(v6.parse(bad), bad)
      end
    end)

    it("gateway ::1 on the bridge, containers ::2, ::3 in order, nodad, the kernel's link-local", function()
      local net = docker.network_create("v6", V6)
      local a, b = docker.run{ name = "a", network = "v6" }, docker.run{ name = "b", network = "v6" }
      assert.same({ "fd00:db8::2", "fd00:db8::3" }, { a.ip6, b.ip6 })
      assert.same({ "172.18.0.2", "172.18.0.3" }, { a.ip, b.ip }) -- dual-stack: both families
      local br = inet6(nil, net.bridge_name)
      assert.is_not_nil(br["fd00:db8::1/64"], "the gateway on the bridge")
      assert.is_nil(br["fd00:db8::1/64"].nodad) -- dockerd adds it with DAD
      assert.is_nil(br["fd00:db8::1/64"].tentative) -- docker run waited for it
      local ll = 0
      for addr, e in pairs(br) do
        if addr:match("^fe80:") then
          ll = ll + 1
          assert.is_nil(e.tentative)
        end
      end
      assert.equal(1, ll, "the bridge's link-local address, done with DAD")
      local eth0 = inet6(a.netns, "eth0")
      assert.is_true(eth0["fd00:db8::2/64"].nodad)
      assert.is_not_nil(eth0["fe80::42:acff:fe12:2/64"], "EUI-64 of 02:42:ac:12:00:02")
      local link = world.ip_link(a.netns, "eth0")
      assert.equal("eui64", link.inet6_addr_gen_mode)
      local r = world.find(world.ip_json(a.netns, "-6 route"), "dst", "default")
      assert.same({ "fd00:db8::1", "eth0" }, { r.gateway, r.dev })
      assert.equal("1", world.sh(nil, "sysctl -n net.ipv6.conf.all.forwarding"):match("%d"))
    end)

    it("an IPv4-only network keeps its links quiet and has no IPv6 address", function()
      docker.network_create("v4", { subnet = "172.19.0.0/16" })
      local c = docker.run{ name = "c", network = "v4" }
      assert.is_nil(c.ip6)
      assert.same({}, inet6(c.netns, "eth0"))
      assert.equal("none", world.ip_link(c.netns, "eth0").inet6_addr_gen_mode)
    end)

    it("reuses released addresses, the lowest first, then goes on from the cursor", function()
      docker.network_create("v6", V6)
      for _, n in ipairs{ "a", "b", "c", "d" } do docker.run{ name = n, network = "v6" } end
      docker.stop("c")
      docker.stop("b")
      assert.is_nil(docker.container("b").ip6)
      local e = docker.run{ name = "e", network = "v6" }
      local f = docker.run{ name = "f", network = "v6" }
      local g = docker.run{ name = "g", network = "v6" }
      assert.same({ "fd00:db8::3", "fd00:db8::4", "fd00:db8::6" }, { e.ip6, f.ip6, g.ip6 })
      docker.rm("e", true)
      docker.start("b")
      assert.equal("fd00:db8::3", docker.container("b").ip6)
      assert.is_not_nil(inet6(docker.container("b").netns, "eth0")["fd00:db8::3/64"])
    end)

    it("a gateway6 of the lab's choice is skipped; a small subnet runs out", function()
      docker.network_create("v6", { subnet = "172.18.0.0/16", ipv6 = true, subnet6 = "fd00:db8:1::/126",
                                    gateway6 = "fd00:db8:1::2" })
      local names = {}
      for i = 1, 2 do names[i] = docker.run{ name = "c" .. i, network = "v6" }.ip6 end
      assert.same({ "fd00:db8:1::1", "fd00:db8:1::3" }, names)
      assert.has_error(function() docker.run{ name = "c3", network = "v6" } end,
                       "docker run c3: no free IPv6 address left in network v6")
      assert.is_nil(docker.daemon().containers["c3"]) -- (by name: "c3" is hex, an id prefix too)
      assert.is_not_nil(inet6(nil, docker.daemon():network("v6").bridge_name)["fd00:db8:1::2/126"])
    end)
  end)

  describe("inspect", function()
    it("EnableIPv6, both IPAM configs, each container's IPv6Address", function()
      docker.network_create("v6", V6)
      local a = docker.run{ name = "a", network = "v6" }
      local i = docker.network_inspect("v6")
      assert.is_true(i.EnableIPv6)
      assert.same({ { Subnet = "172.18.0.0/16", Gateway = "172.18.0.1" },
                    { Subnet = "fd00:db8::/64", Gateway = "fd00:db8::1" } }, i.IPAM.Config)
      assert.equal("fd00:db8::2/64", i.Containers[a.id].IPv6Address)
      assert.equal("172.18.0.2/16", i.Containers[a.id].IPv4Address)
      local b = docker.run{ name = "b" } -- the default bridge: IPv4 only
      local d = docker.network_inspect("bridge")
      assert.is_false(d.EnableIPv6)
      assert.equal(1, #d.IPAM.Config)
      assert.equal("", d.Containers[b.id].IPv6Address)
    end)
  end)

  describe("firewall", function()
    it("ip6 tables come with the first dual-stack network, with Docker's rules", function()
      docker.network_create("v4", { subnet = "172.19.0.0/16" })
      assert.is_false(has_table("ip6", "nat"))
      assert.is_false(has_table("ip6", "filter"))
      local net = docker.network_create("v6", V6)
      local br = net.bridge_name
      local nft = world.sh(nil, "nft list table ip6 nat") .. world.sh(nil, "nft list table ip6 filter")
      for _, line in ipairs{
        "type nat hook prerouting priority dstnat; policy accept;",
        "ip6 daddr != ::1 fib daddr type local jump DOCKER",
        ('ip6 saddr fd00:db8::/64 oifname != "%s" counter packets 0 bytes 0 masquerade'):format(br),
        "type filter hook forward priority filter; policy drop;",
        ('oifname "%s" ct state established,related accept'):format(br),
        ('iifname "%s" oifname != "%s" jump DOCKER-ISOLATION-STAGE-2'):format(br, br),
      } do
        assert.is_truthy(nft:find(line, 1, true), line)
      end
      -- the IPv4 network has no ip6 rules, the ip4 tables both
      assert.is_falsy(nft:find('"br-' .. docker.daemon():network("v4").id:sub(1, 12), 1, true))
      assert.equal(3, #nft_rules("ip", "nat", "POSTROUTING"))
      assert.equal(1, #nft_rules("ip6", "nat", "POSTROUTING"))
      -- a second dual-stack network joins the same tables
      docker.network_create("w6", { subnet = "172.20.0.0/16", ipv6 = true, subnet6 = "fd00:db9::/64" })
      local masq = nft_rules("ip6", "nat", "POSTROUTING")
      assert.equal(2, #masq)
      assert.is_truthy(masq[2]:find('"fd00:db9::"', 1, true))
      assert.is_truthy(masq[2]:find('"masquerade"', 1, true))
    end)

    it("-p publishes on both families; stop removes both", function()
      docker.network_create("v6", V6)
      local c = docker.run{ name = "web", network = "v6", publish = "8080:80" }
      local dnat6 = nft_rules("ip6", "nat", "DOCKER")
      assert.equal(2, #dnat6)
      local dnat = json.decode(dnat6[2])[3].dnat -- (the keys of an encoded table come in any order)
      assert.same({ addr = "fd00:db8::2", port = 80 }, dnat)
      assert.is_truthy(world.sh(nil, "nft list chain ip6 nat DOCKER"):find("tcp dport 8080 dnat to [fd00:db8::2]:80", 1,
                                                                           true))
      local accept6 = nft_rules("ip6", "filter", "DOCKER")
      assert.equal(1, #accept6)
      assert.is_truthy(accept6[1]:find('"right":"fd00:db8::2"', 1, true))
      assert.equal(1, #nft_rules("ip", "filter", "DOCKER"))
      assert.equal(c.ip, "172.18.0.2")
      docker.stop("web")
      assert.same({}, nft_rules("ip6", "filter", "DOCKER"))
      assert.equal(1, #nft_rules("ip6", "nat", "DOCKER")) -- the bridge's return
      assert.same({}, nft_rules("ip", "filter", "DOCKER"))
    end)
  end)

  describe("traffic", function()
    -- host eth0 2001:db8:1::2/64 -- isp0 2001:db8:1::1/64 in "internet",
    -- a server 2001:db8:ff::10 there; no route back to fd00:db8::/64.
    local function internet()
      local host = netns.host()
      local inet = netns.add("internet")
      inet:link("lo"):up()
      local eth0, isp0 = host:veth("eth0", "isp0", { peer_netns = inet })
      eth0:addr_add("2001:db8:1::2/64", { nodad = true })
      isp0:addr_add("2001:db8:1::1/64", { nodad = true })
      inet:link("lo"):addr_add("2001:db8:ff::10/128")
      eth0:up()
      isp0:up()
      assert(eth0:wait("UP") and isp0:wait("UP") and eth0:wait_ipv6() and isp0:wait_ipv6())
      host:route_add{ dst = "default", via = "2001:db8:1::1" }
      return inet
    end

    it("ICMPv6 and TCP between containers and to the gateway", function()
      docker.network_create("v6", V6)
      local a, b = docker.run{ name = "a", network = "v6" }, docker.run{ name = "b", network = "v6" }
      local r = a.netns:ping({ b.ip6, "fd00:db8::1" }, { count = 3, timeout = 2 })
      assert.is_true(r[1].received > 0, "a -> b")
      assert.is_true(r[2].received > 0, "a -> the gateway")
      assert.equal(0, b:exec("ping -6 -c 1 -W 2 fd00:db8::2").status)
      local l = b.netns:tcp_listen("::", 80)
      local c = a.netns:tcp_connect(b.ip6, 80, { timeout = 2 })
      local s, peer = l:accept(2)
      assert.equal("fd00:db8::2", peer)
      c:send("over v6")
      assert.equal("over v6", s:recv(100, 2))
      c:close(); s:close(); l:close()
    end)

    it("MASQUERADE out of the uplink, -p from outside over IPv6, FORWARD drops the rest", function()
      docker.network_create("v6", V6)
      local web = docker.run{ name = "web", network = "v6", publish = "8080:80" }
      local inet = internet()
      -- out: the server sees the host's uplink address
      local server = inet:tcp_listen("2001:db8:ff::10", 80)
      local out = web.netns:tcp_connect("2001:db8:ff::10", 80, { timeout = 2 })
      local conn, peer = server:accept(2)
      assert.equal("2001:db8:1::2", peer)
      conn:close(); out:close()
      local masq = world.sh(nil, "nft list chain ip6 nat POSTROUTING")
      assert.is_falsy(masq:find("counter packets 0 ", 1, true), "the masquerade rule counted it")
      -- without the ip6 MASQUERADE the reply has no way back (the internet has no route to the ULA)
      local fw6 = docker.daemon().firewall.v6
      for _, rule in ipairs(fw6.nat_postrouting:rules()) do fw6.nat_postrouting:delete_rule(rule.handle) end
      assert.has_error(function() web.netns:tcp_connect("2001:db8:ff::10", 80, { timeout = 1 }) end,
                       "tcp connect [2001:db8:ff::10]:80 in netns (anonymous): timed out after 1 s")
      -- in: [2001:db8:1::2]:8080 is the container's :80, from the client's own address
      local l80, l81 = web.netns:tcp_listen("::", 80), web.netns:tcp_listen("::", 81)
      local c = inet:tcp_connect("2001:db8:1::2", 8080, { timeout = 2 })
      local s, from = l80:accept(2)
      assert.equal("2001:db8:1::1", from)
      c:close(); s:close()
      -- routed straight to the container: only the published port passes FORWARD
      inet:route_add{ dst = "fd00:db8::/64", via = "2001:db8:1::2" }
      assert.has_error(function() inet:tcp_connect(web.ip6, 81, { timeout = 1 }) end)
      assert.equal(0, inet:ping(web.ip6, { count = 1, timeout = 1 }).received)
      local d = inet:tcp_connect(web.ip6, 80, { timeout = 2 })
      assert.is_not_nil(l80:accept(2))
      d:close(); l80:close(); l81:close()
    end)
  end)

  describe("trace", function()
    it("prints what docker run does for IPv6, as ip would", function()
      docker.network_create("v6", V6)
      trace.clear()
      docker.run{ name = "a", network = "v6" }
      local text = table.concat(trace.history, "\n")
      assert.is_truthy(text:find("addr add fd00:db8::2/64 dev eth0 nodad", 1, true), text)
      assert.is_truthy(text:find("route add default via fd00:db8::1", 1, true), text)
      assert.is_falsy(text:find("eth0 addrgenmode none", 1, true), text)
    end)

    -- What ip and nft say of a dual-stack network and one container on it
    -- (sh: a shell command in the host; inside: one in the container).
    local function state(sh, inside, bridge_name)
      local function v6addrs(doc)
        local out = {}
        for _, l in ipairs(json.decode(doc)) do
          for _, a in ipairs(l.addr_info) do
            if a["local"] then out[#out + 1] = a["local"] .. "/" .. a.prefixlen .. (a.nodad and " nodad" or "") end
          end
        end
        table.sort(out)
        return out
      end
      local routes = {}
      for _, r in ipairs(json.decode(inside("ip -j -6 route"))) do
        routes[#routes + 1] = r.dst .. " " .. (r.gateway or "")
      end
      table.sort(routes)
      local ruleset = sh("nft list table ip6 nat") .. sh("nft list table ip6 filter")
      return { bridge = v6addrs(sh("ip -j -6 addr show dev " .. bridge_name .. " scope global")),
               eth0 = v6addrs(inside("ip -j -6 addr show dev eth0")), routes = routes,
               mode = json.decode(inside("ip -j -d link show dev eth0"))[1].inet6_addr_gen_mode,
               ruleset = (ruleset:gsub("packets %d+ bytes %d+", "")),
               forwarding = sh("sysctl -n net.ipv6.conf.all.forwarding") }
    end

    it("replayed with ip, nft and sysctl, the commands build the same network and container", function()
      trace.clear()
      local net = docker.network_create("v6", V6)
      local c = docker.run{ name = "a", network = "v6", publish = "8080:80" }
      local commands = table.concat(trace.history, "\n")
      local mine = state(function(cmd) return world.sh(nil, cmd) end,
                         function(cmd) return world.sh(c.netns, cmd) end, net.bridge_name)
      world.fresh()
      docker.reset()
      -- the replay: one shell, its container process ($C_a) killed at the end
      local out = world.sh(nil, "set -e\n{\n" .. commands .. "\n} >/dev/null\n" ..
        "for cmd in 'ip -j -6 addr show dev eth0' 'ip -j -6 route' 'ip -j -d link show dev eth0'; do\n" ..
        "  nsenter -t $C_a -n $cmd; echo '%%'\ndone\nkill $C_a")
      local parts = {}
      for part in out:gmatch("(.-)%%%%\n") do parts[#parts + 1] = part end
      assert.equal(3, #parts, out)
      local replayed = { ["ip -j -6 addr show dev eth0"] = parts[1], ["ip -j -6 route"] = parts[2],
                         ["ip -j -d link show dev eth0"] = parts[3] }
      local theirs = state(function(cmd) return world.sh(nil, cmd) end,
                           function(cmd) return replayed[cmd] end, net.bridge_name)
      assert.same(mine, theirs)
      assert.same({ "fd00:db8::2/64 nodad" }, (function()
        local g = {}
        for _, a in ipairs(theirs.eth0) do if not a:match("^fe80") then g[#g + 1] = a end end
        return g
      end)())
    end)
  end)

  describe("bad input", function()
    local cases = {
      { { subnet6 = "fd00:db8::/200" }, 'invalid subnet6 "fd00:db8::/200" (an IPv6 prefix /16../126' },
      { { subnet6 = "fd00::/8" }, 'invalid subnet6 "fd00::/8"' },
      { { subnet6 = "fd00:db8::1/64" }, "invalid subnet fd00:db8::1/64: it should be fd00:db8::/64" },
      { { subnet6 = "zz::/64" }, 'invalid subnet6 "zz::/64"' },
      { { subnet6 = "172.18.0.0/16" }, 'invalid subnet6 "172.18.0.0/16"' },
      { { subnet6 = "fd00:db8::" }, 'invalid subnet6 "fd00:db8::"' },
      { { subnet6 = "ff00::/64" }, "invalid subnet6 ff00::/64: a multicast prefix (ff00::/8)" },
      { { subnet6 = "fd00:db8::/64", gateway6 = "fd00:db9::1" },
        "no matching subnet for gateway fd00:db9::1 (it is not in fd00:db8::/64)" },
      { { subnet6 = "fd00:db8::/64", gateway6 = "fd00:db8::" },
        "gateway fd00:db8:: is the subnet-router anycast address of fd00:db8::/64" },
      { { subnet6 = "fd00:db8::/64", gateway6 = "1.2.3.4" }, 'invalid gateway6 "1.2.3.4" (an IPv6 address)' },
      { { subnet6 = false }, "option 'subnet6' must be a string" },
      { {}, "could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the "
            .. "network" },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. json.encode(case[1]) .. " and makes nothing", function()
        docker.daemon()
        local before = bridges()
        local opts = { subnet = "172.18.0.0/16", ipv6 = true }
        for k, v in pairs(case[1]) do opts[k] = v end
        local ok, err = pcall(docker.network_create, "v6", opts)
        assert.is_false(ok)
        assert.is_truthy(tostring(err):find("docker network create v6", 1, true), err)
        assert.is_truthy(tostring(err):find(case[2], 1, true), err)
        assert.same(before, bridges())
        assert.has_error(function() docker.network_inspect("v6") end, "docker network inspect: network v6 not found")
        assert.is_false(has_table("ip6", "nat"))
      end)
    end

    it("refuses ipv6 = 'yes', and subnet6 without ipv6", function()
      assert.has_error(function() docker.network_create("v6", { subnet = "172.18.0.0/16", ipv6 = "yes" }) end)
      local ok, err = pcall(docker.network_create, "v6", { subnet = "172.18.0.0/16", subnet6 = "fd00:db8::/64" })
      assert.is_false(ok)
      assert.equal("docker network create v6: option 'subnet6' needs ipv6 = true (--ipv6)", err)
    end)

    it("refuses an overlapping IPv6 pool, naming the network it overlaps", function()
      docker.network_create("v6", V6)
      local before = bridges()
      for _, s6 in ipairs{ "fd00:db8::/64", "fd00:db8::/48", "fd00:db8:0:0:8000::/65" } do
        local ok, err = pcall(docker.network_create, "w6", { subnet = "172.20.0.0/16", ipv6 = true, subnet6 = s6 })
        assert.is_false(ok)
        assert.equal("docker network create w6: Pool overlaps with other one on this address space (v6)", err)
      end
      assert.same(before, bridges())
      docker.network_create("w6", { subnet = "172.20.0.0/16", ipv6 = true, subnet6 = "fd00:db8:0:1::/64" })
    end)
  end)
end)
