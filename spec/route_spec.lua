-- route: gateway, default and device routes, numbered tables, the local
-- table; cross-checked with `ip -j route`.
local world = require("spec.support.world")
local netns = require("nslab.netns")

describe("route", function()
  local ns, eth0
  before_each(function()
    world.fresh()
    ns = netns.add("test1")
    eth0 = select(2, netns.host():veth("veth0", "eth0", { peer_netns = ns }))
    eth0:addr_add("192.168.1.2/24")
    eth0:up()
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
