-- route: gateway, default and device routes, numbered tables, the local
-- table; cross-checked with `ip -j route`.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

describe("route", function()
  local ns, eth0
  before_each(function()
    world.fresh()
    ns = netns.add("test1")
    eth0 = select(2, netns.host():veth("veth0", "eth0", { peer_netns = ns }))
    eth0:addr_add("192.168.1.2/24")
    eth0:up()
    -- eth0 has no carrier (veth0 is down): the kernel marks its routes
    -- linkdown from a work queue (linkwatch), so that dumps compared
    -- below agree, wait until it has
    local deadline = core.clock() + 3
    while not ns:exec("ip route show dev eth0").stdout:find("linkdown", 1, true) and core.clock() < deadline do
      core.sleep(0.01)
    end
  end)

  it("adds a default route via a gateway", function()
    ns:route_add{ dst = "default", via = "192.168.1.1" }
    local r = world.find(world.ip_json(ns, "route"), "dst", "default")
    assert.same({ "192.168.1.1", "eth0" }, { r.gateway, r.dev }) -- ip omits "proto boot"
    local mine = world.find(ns:routes(), "dst", "default")
    assert.same({ "192.168.1.1", "eth0", "boot" }, { mine.gateway, mine.dev, mine.protocol })
  end)

  it("adds a route to a prefix via a gateway, with a metric", function()
    ns:route_add{ dst = "10.0.0.0/8", via = "192.168.1.1", metric = 50 }
    local r = world.find(world.ip_json(ns, "route"), "dst", "10.0.0.0/8")
    assert.same({ "192.168.1.1", 50 }, { r.gateway, r.metric })
  end)

  it("adds a device route (scope link) and a host route", function()
    ns:route_add{ dst = "198.51.100.0/24", dev = "eth0" }
    ns:route_add{ dst = "203.0.113.7", dev = "eth0" }
    local routes = world.ip_json(ns, "route")
    local r = world.find(routes, "dst", "198.51.100.0/24")
    assert.same({ "eth0", "link" }, { r.dev, r.scope })
    assert.is_not_nil(world.find(routes, "dst", "203.0.113.7"))
    assert.is_not_nil(world.find(ns:routes(), "dst", "203.0.113.7"))
  end)

  it("adds to a numbered table and deletes", function()
    ns:route_add{ dst = "default", via = "192.168.1.1", table = 100 }
    assert.is_nil(world.find(world.ip_json(ns, "route"), "dst", "default"))
    local r = world.find(world.ip_json(ns, "route show table 100"), "dst", "default")
    assert.equal("192.168.1.1", r.gateway)
    assert.equal("192.168.1.1", world.find(ns:routes{ table = 100 }, "dst", "default").gateway)
    ns:route_del{ dst = "default", table = 100 }
    assert.same({}, world.ip_json(ns, "route show table 100"))
  end)

  it("lists the local table as ip route show table local does (seed 003)", function()
    ns:link("lo"):up()
    local function key(r) return table.concat({ r.type, r.dst, r.dev, r.scope, r.prefsrc or "" }, " ") end
    local theirs, mine = {}, {}
    for _, r in ipairs(world.ip_json(ns, "-4 route show table local")) do theirs[#theirs + 1] = key(r) end
    for _, r in ipairs(ns:routes{ table = "local", family = "inet" }) do mine[#mine + 1] = key(r) end
    table.sort(theirs)
    table.sort(mine)
    assert.same(theirs, mine)
    assert.truthy(world.find(ns:routes{ table = "local" }, "dst", "127.0.0.0/8"))
    assert.truthy(world.find(ns:routes{ table = "local" }, "dst", "192.168.1.2"))
  end)

  it("deletes a route", function()
    ns:route_add{ dst = "10.0.0.0/8", via = "192.168.1.1" }
    ns:route_del{ dst = "10.0.0.0/8" }
    assert.is_nil(world.find(world.ip_json(ns, "route"), "dst", "10.0.0.0/8"))
  end)

  it("looks up one destination, as ip route get does", function()
    ns:route_add{ dst = "default", via = "192.168.1.1" }
    local theirs = world.ip_json(ns, "route get 198.51.100.7")[1]
    local mine = ns:route_get("198.51.100.7")
    assert.same({ theirs.dst, theirs.gateway, theirs.dev, theirs.prefsrc },
                { mine.dst, mine.gateway, mine.dev, mine.prefsrc })
    assert.same({ "198.51.100.7", "192.168.1.1", "eth0", "192.168.1.2" },
                { mine.dst, mine.gateway, mine.dev, mine.prefsrc })
    -- fibmatch: the table's route that matched
    local route = ns:route_get("192.168.1.77", { fibmatch = true })
    assert.same({ "192.168.1.0/24", "eth0", "kernel" }, { route.dst, route.dev, route.protocol })
    assert.same(world.ip_json(ns, "route get fibmatch 192.168.1.77")[1].dst, route.dst)
    -- (pcall: has_error would take "2001:db8::1: " for a file and line)
    assert.same({ false, "route get 2001:db8::1: Network is unreachable" }, { pcall(ns.route_get, ns, "2001:db8::1") })
    assert.has_error(function() ns:route_get("192.168.1.0/24") end,
      'route get: option \'dst\' must be an IPv4 or IPv6 address, got "192.168.1.0/24"')
    assert.has_error(function() ns:route_get("10.0.0.1", { via = "x" }) end,
      "route get: invalid option 'via'")
  end)

  it("lists one device's routes, one table's, and nothing for a table that does not exist", function()
    local dev1 = select(2, netns.host():veth("veth1", "eth1", { peer_netns = ns }))
    dev1:addr_add("10.1.0.2/24")
    dev1:up()
    ns:route_add{ dst = "10.2.0.0/16", via = "10.1.0.1", table = 100 }
    assert.same({ "10.1.0.0/24" }, world.pluck(ns:routes{ dev = "eth1" }, "dst"))
    assert.same({ "192.168.1.0/24" }, world.pluck(ns:routes{ dev = "eth0", family = "inet" }, "dst"))
    assert.same({ "10.2.0.0/16" }, world.pluck(ns:routes{ table = 100 }, "dst"))
    assert.same(world.pluck(world.ip_json(ns, "route show table 100"), "dst"),
                world.pluck(ns:routes{ table = 100 }, "dst"))
    assert.same({}, ns:routes{ table = 200 })
    assert.same({}, ns:routes{ table = 200, family = "inet" })
    assert.same({}, ns:routes{ table = 200, family = "inet6" })
    local all = world.pluck(ns:routes{ table = "all", family = "inet" }, "dst")
    assert.truthy(#all >= 4, table.concat(all, " "))
    assert.has_error(function() ns:routes{ dev = "eth9" } end, "route show eth9: No such device")
    -- an ifindex of no device: the kernel's filtered dump would be empty
    assert.has_error(function() ns:routes{ dev = 999999 } end, "route show ifindex 999999: No such device")
  end)

  it("adds routes of other types (blackhole)", function()
    ns:route_add{ type = "blackhole", dst = "10.3.0.0/16" }
    local r = world.find(world.ip_json(ns, "route"), "dst", "10.3.0.0/16")
    assert.equal("blackhole", r.type)
    assert.equal("blackhole", world.find(ns:routes(), "dst", "10.3.0.0/16").type)
  end)

  describe("bad input, refused before anything is sent", function()
    local h
    before_each(function() h = ns.handle end)
    local function routes() return world.ip_json(ns, "route show table all") end

    it("a NUL inside an address is refused, not cut", function()
      local before = routes()
      assert.has_error(function() h:route_add{ dst = "10.9.0.0/16\0junk", dev = "eth0" } end,
        "route add: option 'dst' must be a string of 1..63 bytes without NUL, got a string with a NUL byte")
      assert.has_error(function() h:route_add{ dst = "10.9.0.0/16", via = "192.168.1.1\0" } end,
        "route add: option 'via' must be a string of 1..63 bytes without NUL, got a string with a NUL byte")
      assert.same(before, routes())
    end)

    it("numbers out of range, fractions, numeric strings, NaN", function()
      local before = routes()
      local function refused(opts, message)
        opts.dst = opts.dst or "10.9.0.0/16"
        opts.dev = opts.dev or "eth0"
        assert.has_error(function() h:route_add(opts) end, message)
      end
      refused({ metric = -1 }, "route add: option 'metric' must be an integer 0..4294967295, got -1")
      refused({ metric = 2 ^ 32 }, "route add: option 'metric' must be an integer 0..4294967295, got 4294967296")
      refused({ metric = 1.5 }, "route add: option 'metric' must be an integer 0..4294967295, got 1.5")
      refused({ metric = "5" }, 'route add: option \'metric\' must be an integer 0..4294967295, got "5"')
      refused({ metric = 0 / 0 }, "route add: option 'metric' must be an integer 0..4294967295, got nan")
      local table = "route add: option 'table' must be main, local, default or a table number 1..4294967295, got "
      refused({ table = 0 }, table .. "0")
      refused({ table = "100" }, table .. '"100"')
      refused({ table = "main\0x" }, table .. "a string with a NUL byte")
      refused({ scope = 256 },
        "route add: option 'scope' must be global, site, link, host, nowhere or a number 0..255, got 256")
      refused({ type = "unicorn" },
        "route add: option 'type' must be unicast, local, broadcast, anycast, multicast, " ..
        'blackhole, unreachable, prohibit, throw or nat, got "unicorn"')
      refused({ family = "ipx" }, 'route add: option \'family\' must be one of inet or inet6, got "ipx"')
      refused({ dev = 0 }, "route add: option 'dev' must be an ifindex 1..2147483647 or an interface name, got 0")
      refused({ dev = string.rep("e", 16) }, "route add: option 'dev' must be an interface name " ..
        "(1..15 bytes, no '/', ':' or spaces), got \"" .. string.rep("e", 16) .. "\"")
      assert.same(before, routes())
    end)

    it("missing, extra and wrongly typed arguments", function()
      assert.has_error(function() h:route_add() end, "route add: argument 1 (route) must be a table, got no value")
      assert.has_error(function() h:route_add("10.0.0.0/8") end,
        "route add: argument 1 (route) must be a table, got string")
      assert.has_error(function() h:route_add({ dst = "10.9.0.0/16", dev = "eth0" }, 1) end,
        "route add: too many arguments (2 given, at most 1)")
      assert.has_error(function() h:route_list({}, 1) end, "route show: too many arguments (2 given, at most 1)")
      assert.has_error(function() h:route_list{ table = "mian" } end,
        "route show test1: option 'table' must be main, local, default or a table number 1..4294967295 or all, " ..
        'got "mian"')
      assert.has_error(function() h:route_get{} end,
        "route get: option 'dst' is required (a string of 1..63 bytes without NUL)")
    end)
  end)

  describe("errors", function()
    it("a gateway that is not reachable", function()
      assert.has_error(function() ns:route_add{ dst = "10.0.0.0/8", via = "10.9.9.9" } end,
        "route add 10.0.0.0/8 via 10.9.9.9: Network is unreachable (Nexthop has invalid gateway)")
    end)
    it("a malformed destination", function()
      assert.has_error(function() ns:route_add{ dst = "10.0.0.0/99", dev = "eth0" } end,
        'route add: option \'dst\' must be an IPv4 or IPv6 prefix, got "10.0.0.0/99"')
    end)
    it("a missing device", function()
      assert.has_error(function() ns:route_add{ dst = "10.0.0.0/8", dev = "eth7" } end,
        "route add eth7: No such device")
      assert.has_error(function() ns.handle:route_add{ dst = "10.0.0.0/8", dev = 999999 } end,
        "route add 10.0.0.0/8 dev ifindex 999999: No such device")
    end)
    it("a route that exists", function()
      ns:route_add{ dst = "10.0.0.0/8", dev = "eth0" }
      assert.has_error(function() ns:route_add{ dst = "10.0.0.0/8", dev = "eth0" } end,
        "route add 10.0.0.0/8 dev eth0: File exists")
    end)
    it("deleting a route that does not exist", function()
      assert.has_error(function() ns:route_del{ dst = "10.0.0.0/8" } end,
        "route del 10.0.0.0/8: No such process")
    end)
    it("an unknown table name and a misspelled option", function()
      assert.has_error(function() ns:route_add{ dst = "default", via = "192.168.1.1", table = "mian" } end,
        'route add: option \'table\' must be main, local, default or a table number 1..4294967295, got "mian"')
      assert.has_error(function() ns:route_add{ dst = "default", gw = "192.168.1.1" } end,
        "route add: invalid option 'gw'")
    end)
  end)
end)
