-- addr: IPv4 (with broadcast) and IPv6 addresses, cross-checked with
-- `ip -j addr` and the connected route the kernel makes.
local world = require("spec.support.world")
local netns = require("nslab.netns")

local function ip_addrs(ns, dev)
  local link = world.find(world.ip_json(ns, "addr show dev " .. dev), "ifname", dev)
  return link and link.addr_info or {}
end

describe("addr", function()
  local ns, eth0
  before_each(function()
    world.fresh()
    ns = netns.add("test1")
    eth0 = select(2, netns.host():veth("veth0", "eth0", { peer_netns = ns }))
  end)

  it("adds an IPv4 address with a broadcast, and the kernel adds the connected route", function()
    eth0:addr_add("172.17.0.2/16", { broadcast = true })
    local a = world.find(ip_addrs(ns, "eth0"), "family", "inet")
    assert.same({ "172.17.0.2", 16, "172.17.255.255", "global" }, { a["local"], a.prefixlen, a.broadcast, a.scope })
    local mine = eth0:addrs("inet")[1]
    assert.same({ a["local"], a.prefixlen, a.broadcast, a.scope, a.label },
                { mine["local"], mine.prefixlen, mine.broadcast, mine.scope, mine.label })
    eth0:up()
    local route = world.find(world.ip_json(ns, "route"), "dst", "172.17.0.0/16")
    assert.same({ "eth0", "kernel", "link", "172.17.0.2" }, { route.dev, route.protocol, route.scope, route.prefsrc })
    local r = world.find(ns:routes(), "dst", "172.17.0.0/16")
    assert.same({ "eth0", "kernel", "link", "172.17.0.2" }, { r.dev, r.protocol, r.scope, r.prefsrc })
  end)

  it("adds an IPv4 address without broadcast, as ip addr add does", function()
    eth0:addr_add("192.168.1.1/24")
    local a = world.find(ip_addrs(ns, "eth0"), "family", "inet")
    assert.equal("192.168.1.1", a["local"])
    assert.is_nil(a.broadcast)
  end)

  it("adds an IPv6 address (nodad: usable at once)", function()
    eth0:addr_add("2001:db8::2/64", { nodad = true })
    local a = world.find(ip_addrs(ns, "eth0"), "local", "2001:db8::2")
    assert.equal(64, a.prefixlen)
    assert.equal("inet6", a.family)
    assert.equal("2001:db8::2", world.find(eth0:addrs("inet6"), "local", "2001:db8::2")["local"])
  end)

  it("deletes an address", function()
    eth0:addr_add("192.168.1.1/24")
    eth0:addr_del("192.168.1.1/24")
    assert.is_nil(world.find(ip_addrs(ns, "eth0"), "family", "inet"))
    assert.same({}, eth0:addrs("inet"))
  end)

  it("lo gets 127.0.0.1/8 and ::1 when it goes up", function()
    ns:link("lo"):up()
    local lo = world.pluck(ns:link("lo"):addrs(), "local")
    assert.same({ "127.0.0.1", "::1" }, lo)
  end)

  it("reads one device's addresses alone (a filtered dump), by name or ifindex", function()
    local eth1 = select(2, netns.host():veth("veth1", "eth1", { peer_netns = ns }))
    eth0:addr_add("192.168.1.2/24")
    eth1:addr_add("10.1.0.2/24")
    eth1:addr_add("2001:db8::2/64", { nodad = true })
    local h = ns.handle
    assert.same({ "10.1.0.2", "2001:db8::2" }, world.pluck(h:addr_list{ dev = "eth1" }, "local"))
    assert.same(world.pluck(ip_addrs(ns, "eth1"), "local"), world.pluck(h:addr_list{ dev = "eth1" }, "local"))
    local index = world.find(world.ip_json(ns, "link"), "ifname", "eth1").ifindex
    assert.same({ "10.1.0.2" }, world.pluck(h:addr_list{ dev = index, family = "inet" }, "local"))
    -- by ifindex without options (the device's label was read as them)
    h:addr_add(index, "10.1.0.9/24")
    assert.same({ "10.1.0.2", "10.1.0.9" }, world.pluck(h:addr_list{ dev = index, family = "inet" }, "local"))
    h:addr_del(index, "10.1.0.9/24")
    assert.same({ "192.168.1.2" }, world.pluck(eth0:addrs(), "local"))
    assert.same({ "eth1" }, world.pluck(ns:addrs("inet6", "eth1"), "ifname"))
    assert.has_error(function() h:addr_list{ dev = "eth9" } end, "addr show eth9: No such device")
    -- an ifindex of no device: the kernel's filtered dump would be empty
    assert.has_error(function() h:addr_list{ dev = 999999 } end, "addr show ifindex 999999: No such device")
    assert.has_error(function() h:addr_list("inet") end, 'addr show test1: options must be a table, got "inet"')
  end)

  describe("bad input, refused before anything is sent", function()
    it("a NUL inside a prefix is refused, not cut", function()
      assert.has_error(function() ns.handle:addr_add("eth0", "10.0.0.1\0/8") end,
        "addr add eth0: argument 2 (prefix) must be a string of 1..63 bytes without NUL, got a string with a NUL byte")
      assert.has_error(function() ns.handle:addr_add("eth0", "10.0.0.1/8", { broadcast = "10.255.255.255\0" }) end,
        "addr add eth0: option 'broadcast' must be true or an IPv4 address, got a string with a NUL byte")
      assert.same({}, ip_addrs(ns, "eth0"))
    end)
    it("wrong types, extra arguments", function()
      local h = ns.handle
      assert.has_error(function() h:addr_add("eth0", "10.0.0.1/8", { nodad = "yes" }) end,
        "addr add eth0: option 'nodad' must be a boolean, got \"yes\"")
      assert.has_error(function() h:addr_add("eth0", "10.0.0.1/8", {}, 1) end,
        "addr add: too many arguments (4 given, at most 3)")
      assert.has_error(function() h:addr_del("eth0", "10.0.0.1/8", {}) end,
        "addr del: too many arguments (3 given, at most 2)")
      assert.has_error(function() h:addr_add("eth0") end,
        "addr add eth0: argument 2 (prefix) must be a string of 1..63 bytes without NUL, got nil")
      assert.has_error(function() h:addr_add(nil, "10.0.0.1/8") end,
        "addr add: argument 1 (dev) must be an ifindex 1..2147483647 or an interface name, got nil")
      assert.has_error(function() h:addr_add("eth0", "10.0.0.1/8", { broadcast = "10.255.255.255/8" }) end,
        'addr add eth0: option \'broadcast\' must be true or an IPv4 address, got "10.255.255.255/8"')
      assert.same({}, ip_addrs(ns, "eth0"))
    end)
  end)

  describe("errors", function()
    it("a malformed address or prefix", function()
      -- (counted as the method's: the core's own count starts at its handle and the device)
      assert.has_error(function() eth0:addr_add("192.168.1.300/24") end,
        'addr add eth0: argument 1 (prefix) must be an IPv4 or IPv6 prefix, got "192.168.1.300/24"')
      assert.has_error(function() eth0:addr_add("192.168.1.3/33") end,
        'addr add eth0: argument 1 (prefix) must be an IPv4 or IPv6 prefix, got "192.168.1.3/33"')
      assert.has_error(function() eth0:addr_add("hello") end,
        'addr add eth0: argument 1 (prefix) must be an IPv4 or IPv6 prefix, got "hello"')
      assert.same({}, ip_addrs(ns, "eth0"))
    end)
    it("broadcast where there is none", function()
      assert.has_error(function() eth0:addr_add("2001:db8::2/64", { broadcast = true }) end,
        "addr add eth0: option 'broadcast' is only for IPv4 addresses")
      eth0:addr_add("192.0.2.1/32", { broadcast = true })
      eth0:addr_add("198.51.100.0/31", { broadcast = true })
      for _, a in ipairs(ip_addrs(ns, "eth0")) do assert.is_nil(a.broadcast) end
      assert.has_error(function() eth0:addr_add("10.0.0.1/8", { broadcast = 5 }) end,
        "addr add eth0: option 'broadcast' must be true or an IPv4 address, got 5")
    end)
    it("a missing device", function()
      local ghost = require("nslab.link").new(ns, "eth9")
      assert.has_error(function() ghost:addr_add("10.0.0.1/8") end, "addr add eth9: No such device")
    end)
    it("the same address twice", function()
      eth0:addr_add("192.168.1.1/24")
      assert.has_error(function() eth0:addr_add("192.168.1.1/24") end,
        "addr add 192.168.1.1/24 dev eth0: File exists (ipv4: Address already assigned)")
    end)
    it("a misspelled option", function()
      assert.has_error(function() ns.handle:addr_add("eth0", "10.0.0.1/8", { brd = true }) end,
        "addr add eth0: invalid option 'brd'")
    end)
  end)
end)
