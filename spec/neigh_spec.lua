-- neigh: the ARP and NDP tables of a namespace (ns:neigh_list, neigh_add,
-- neigh_del) over a veth between two namespaces; `ip -j neigh` in the same
-- namespace is the witness.
local world = require("spec.support.world")
local netns = require("nslab.netns")

-- ip's view of ns's neighbours, NOARP entries included.
local function ip_neigh(ns)
  return world.ip_json(ns, "neigh show nud all")
end

local function same_entry(theirs, mine)
  assert.same({ theirs.dst, theirs.lladdr, theirs.state }, { mine.dst, mine.lladdr, mine.state })
end

describe("neigh", function()
  local test1, test2, end1, end2, mac1, mac2

  -- test1 [veth-test1 192.168.1.1/24] ---- [veth-test2 192.168.1.2/24] test2
  before_each(function()
    world.fresh()
    test1, test2 = netns.add("test1"), netns.add("test2")
    end1, end2 = test1:veth("veth-test1", "veth-test2", { peer_netns = test2 })
    mac1, mac2 = "02:42:ac:11:00:02", "02:42:ac:11:00:03"
    end1:set_address(mac1)
    end2:set_address(mac2)
    end1:addr_add("192.168.1.1/24")
    end2:addr_add("192.168.1.2/24")
    end1:up()
    end2:up()
    assert.is_true(end1:wait("UP"))
    assert.is_true(end2:wait("UP"))
  end)

  it("shows the ARP entry a ping made, REACHABLE with the peer's MAC", function()
    assert.equal(1, test1:ping("192.168.1.2").received)
    local mine = world.find(test1.handle:neigh_list{ family = "inet" }, "dst", "192.168.1.2")
    assert.same({ mac2, { "REACHABLE" }, end1:index() }, { mine.lladdr, mine.state, mine.ifindex })
    assert.is_true(mine.updated >= 0 and mine.updated < 5)
    same_entry(world.find(ip_neigh(test1), "dst", "192.168.1.2"), mine)
    -- the target learned the source from its ARP request
    local back = world.find(test2.handle:neigh_list(), "dst", "192.168.1.1")
    assert.equal(mac1, back.lladdr)
    same_entry(world.find(ip_neigh(test2), "dst", "192.168.1.1"), back)
  end)

  it("adds a permanent entry, and the ping goes through though the target answers no ARP", function()
    -- test2 ignores every ARP request (its own requests still get answers)
    world.sh(test2, "sysctl -qw net.ipv4.conf.veth-test2.arp_ignore=8")
    assert.equal(0, test1:ping("192.168.1.2", { timeout = 0.3 }).received)
    assert.is_not.same({ "REACHABLE" }, world.find(ip_neigh(test1), "dst", "192.168.1.2").state)
    -- replaces the entry the failed resolution left
    test1.handle:neigh_add("veth-test1", { dst = "192.168.1.2", lladdr = mac2 })
    local theirs = world.find(ip_neigh(test1), "dst", "192.168.1.2")
    assert.same({ mac2, { "PERMANENT" } }, { theirs.lladdr, theirs.state })
    same_entry(theirs, world.find(test1.handle:neigh_list(), "dst", "192.168.1.2"))
    assert.equal(1, test1:ping("192.168.1.2", { timeout = 1 }).received)
    assert.same({ "PERMANENT" }, world.find(ip_neigh(test1), "dst", "192.168.1.2").state)
  end)

  it("adds noarp, reachable and stale entries and the router flag, as ip neigh replace", function()
    local h = test1.handle
    h:neigh_add("veth-test1", { dst = "192.168.1.7", lladdr = "02:00:00:00:00:07", state = "noarp", router = true })
    h:neigh_add("veth-test1", { dst = "192.168.1.8", lladdr = "02:00:00:00:00:08", state = "stale" })
    h:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = "02:00:00:00:00:09", state = "reachable" })
    -- again, changed: replace, not an error
    h:neigh_add("veth-test1", { dst = "192.168.1.8", lladdr = "02:00:00:00:00:88", state = "stale" })
    local theirs, mine = ip_neigh(test1), h:neigh_list()
    for _, dst in ipairs{ "192.168.1.7", "192.168.1.8", "192.168.1.9" } do
      same_entry(world.find(theirs, "dst", dst), world.find(mine, "dst", dst))
    end
    assert.same({ "NOARP" }, world.find(mine, "dst", "192.168.1.7").state)
    assert.is_true(world.find(mine, "dst", "192.168.1.7").router)
    -- ip -j says "router":null (a flag with no value), which JSON decoders read as absent
    assert.matches('"dst":"192.168.1.7",[^}]*"router":null', world.sh(test1, "ip -j neigh show nud all"))
    assert.same({ "02:00:00:00:00:88", { "STALE" } },
                { world.find(mine, "dst", "192.168.1.8").lladdr, world.find(mine, "dst", "192.168.1.8").state })
    assert.is_nil(world.find(mine, "dst", "192.168.1.9").router)
  end)

  it("deletes an entry", function()
    test1.handle:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = "02:00:00:00:00:09" })
    assert.is_not_nil(world.find(ip_neigh(test1), "dst", "192.168.1.9"))
    test1.handle:neigh_del("veth-test1", { dst = "192.168.1.9" })
    assert.is_nil(world.find(ip_neigh(test1), "dst", "192.168.1.9"))
    assert.is_nil(world.find(test1.handle:neigh_list(), "dst", "192.168.1.9"))
  end)

  it("handles IPv6 neighbours: a permanent entry, and the one a ping makes", function()
    end1:addr_add("2001:db8::1/64", { nodad = true })
    end2:addr_add("2001:db8::2/64", { nodad = true })
    test1.handle:neigh_add("veth-test1", { dst = "2001:db8::9", lladdr = "02:00:00:00:00:09" })
    local theirs = world.find(world.ip_json(test1, "-6 neigh show nud all"), "dst", "2001:db8::9")
    assert.same({ "02:00:00:00:00:09", { "PERMANENT" } }, { theirs.lladdr, theirs.state })
    same_entry(theirs, world.find(test1.handle:neigh_list{ family = "inet6" }, "dst", "2001:db8::9"))
    -- ff02::1:ff00:2, the solicited-node group of 2001:db8::2
    assert.is_true(test2:link("veth-test2"):wait_ipv6())
    assert.is_true(test1:link("veth-test1"):wait_ipv6())
    assert.equal(1, test1:ping("2001:db8::2", { timeout = 1 }).received)
    local mine = world.find(test1.handle:neigh_list{ family = "inet6" }, "dst", "2001:db8::2")
    assert.same({ mac2, { "REACHABLE" } }, { mine.lladdr, mine.state })
    same_entry(world.find(world.ip_json(test1, "-6 neigh show nud all"), "dst", "2001:db8::2"), mine)
    -- the default lists both families; a family lists only its own
    local all = test1.handle:neigh_list()
    assert.is_not_nil(world.find(all, "dst", "2001:db8::9"))
    assert.is_nil(world.find(test1.handle:neigh_list{ family = "inet" }, "dst", "2001:db8::9"))
    test1.handle:neigh_del("veth-test1", { dst = "2001:db8::9" })
    assert.is_nil(world.find(world.ip_json(test1, "-6 neigh show nud all"), "dst", "2001:db8::9"))
  end)

  it("the friendly methods add and delete one entry each, traced as ip neigh and bridge fdb", function()
    local trace = require("nslab.trace")
    trace.clear()
    test1:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = "02:00:00:00:00:09", state = "noarp" })
    local added = trace.history[1]
    local e = world.find(ip_neigh(test1), "dst", "192.168.1.9")
    assert.same({ "02:00:00:00:00:09", { "NOARP" } }, { e.lladdr, e.state })
    assert.equal("veth-test1", world.find(test1:neigh("inet"), "dst", "192.168.1.9").dev)
    trace.clear()
    test1:neigh_del("veth-test1", { dst = "192.168.1.9" })
    local deleted = trace.history[1]
    assert.is_nil(world.find(ip_neigh(test1), "dst", "192.168.1.9"))
    assert.same({ "ip -n test1 neigh replace 192.168.1.9 lladdr 02:00:00:00:00:09 nud noarp dev veth-test1",
                  "ip -n test1 neigh del 192.168.1.9 dev veth-test1" }, { added, deleted })
  end)

  it("FDB entries: added and deleted on a bridge port, as bridge -j fdb shows them", function()
    local br = test1:bridge("br0")
    br:attach(end1)
    test1:fdb_add("veth-test1", { mac = "02:00:00:00:00:0a" })
    local fdb = test1:exec("bridge -j fdb show dev veth-test1")
    local theirs = world.find(require("dkjson").decode(fdb.stdout), "mac", "02:00:00:00:00:0a")
    assert.same({ "static", "br0" }, { theirs.state, theirs.master })
    local mine = world.find(test1:neigh("bridge"), "mac", "02:00:00:00:00:0a")
    assert.same({ "static", "veth-test1" }, { mine.state, mine.dev })
    -- ns:neigh() is IPv4 and IPv6 only: no FDB entry in it
    for _, n in ipairs(test1:neigh()) do assert.is_nil(n.mac) end
    for _, n in ipairs(test1.handle:neigh_list()) do assert.is_nil(n.mac) end
    test1:fdb_del("veth-test1", { mac = "02:00:00:00:00:0a" })
    assert.is_nil(world.find(test1:neigh("bridge"), "mac", "02:00:00:00:00:0a"))
  end)

  describe("many entries in one call", function()
    -- n entries 192.168.1.100.. on veth-test1
    local function entries(n, first)
      local list = {}
      for i = 1, n do
        list[i] = { dst = "192.168.1." .. (first or 100) + i - 1, lladdr = string.format("02:00:00:00:01:%02x", i) }
      end
      return list
    end

    local function ip4(ns) return world.ip_json(ns, "-4 neigh show nud all dev veth-test1") end

    it("adds a list on one device in few sends, as ip neigh shows them", function()
      local list = entries(150) -- three sends of at most 64
      list[7].state, list[8].state = "noarp", "stale"
      test1.handle:neigh_add("veth-test1", list)
      local theirs = ip4(test1)
      assert.equal(150, #theirs)
      for i, e in ipairs(list) do
        local t = world.find(theirs, "dst", e.dst)
        assert.same({ e.lladdr, { (e.state or "permanent"):upper() } }, { t.lladdr, t.state }, "entry " .. i)
      end
      -- again, changed: replaced, not an error
      list[1].lladdr = "02:00:00:00:02:01"
      test1.handle:neigh_add("veth-test1", list)
      assert.equal("02:00:00:00:02:01", world.find(ip4(test1), "dst", list[1].dst).lladdr)
    end)

    it("all or nothing: a refused entry names itself, and what the call added goes again", function()
      local list = entries(100)
      list[90].lladdr = "02:42" -- too short for the device: the kernel refuses it
      local before = ip4(test1)
      assert.has_error(function() test1.handle:neigh_add("veth-test1", list) end,
        "neigh add 192.168.1.189 dev veth-test1 (entry 90 of 100): Invalid argument (Invalid link address)")
      assert.same(before, ip4(test1))
      -- bad input in any entry: refused before anything is sent
      list[90].lladdr, list[50].lladr = list[91].lladdr, "x"
      assert.has_error(function() test1.handle:neigh_add("veth-test1", list) end,
        "neigh add veth-test1 entry 50: invalid option 'lladr'")
      list[50].lladr, list[60] = nil, "x"
      assert.has_error(function() test1.handle:neigh_add("veth-test1", list) end,
        "neigh add veth-test1: argument 2 (entry) item 60 must be a table, got string")
      assert.has_error(function() test1.handle:neigh_add("veth-test1", { list[1], dst = "192.168.1.5" }) end,
        "neigh add veth-test1: argument 2 (entry) must be one entry or a list of entries, not both")
      assert.has_error(function() test1.handle:neigh_add("eth9", { list[1] }) end,
        "neigh add dev eth9: No such device")
      assert.has_error(function() test1.handle:neigh_del("veth-test1", { list[1] }) end,
        "neigh del veth-test1: argument 2 (entry) must be one entry, got a list (a list is for adds)")
      assert.same(before, ip4(test1))
    end)

    it("FDB entries on a port, and the friendly methods' trace, one line per entry, replayed by ip", function()
      local trace = require("nslab.trace")
      local br = test1:bridge("br0")
      br:attach(end1)
      trace.clear()
      local was = trace.record(true)
      test1:neigh_add("veth-test1", entries(3))
      test1:fdb_add("veth-test1", { { mac = "02:00:00:00:00:0a" }, { mac = "02:00:00:00:00:0b", permanent = true } })
      trace.record(was)
      local commands = { table.unpack(trace.history) }
      assert.same({
        "ip -n test1 neigh replace 192.168.1.100 lladdr 02:00:00:00:01:01 nud permanent dev veth-test1",
        "ip -n test1 neigh replace 192.168.1.101 lladdr 02:00:00:00:01:02 nud permanent dev veth-test1",
        "ip -n test1 neigh replace 192.168.1.102 lladdr 02:00:00:00:01:03 nud permanent dev veth-test1",
        "ip netns exec test1 bridge fdb replace 02:00:00:00:00:0a dev veth-test1 master static",
        "ip netns exec test1 bridge fdb replace 02:00:00:00:00:0b dev veth-test1 master permanent",
      }, commands)
      local fdb_of = function()
        local out = {}
        for _, e in ipairs(require("dkjson").decode(world.sh(test1, "bridge -j fdb show dev veth-test1"))) do
          if e.mac:match("^02:00:00:00:00:0") then out[e.mac] = e.state end
        end
        return out
      end
      local function by_dst()
        local out = {}
        for _, e in ipairs(ip4(test1)) do out[e.dst] = e end
        return out
      end
      local mine = { neigh = by_dst(), fdb = fdb_of() }
      assert.same({ ["02:00:00:00:00:0a"] = "static", ["02:00:00:00:00:0b"] = "permanent" }, mine.fdb)
      -- a fresh world with the same two namespaces, the commands replayed
      world.fresh()
      test1, test2 = netns.add("test1"), netns.add("test2")
      end1 = test1:veth("veth-test1", "veth-test2", { peer_netns = test2 })
      test1:bridge("br0"):attach(end1)
      for _, command in ipairs(commands) do world.sh(nil, command) end
      assert.same(mine, { neigh = by_dst(), fdb = fdb_of() })
    end)
  end)

  describe("in many namespaces at once (core.neigh_add_each)", function()
    local core = require("nslab.core")
    local function ip4(ns, dev) return world.ip_json(ns, "-4 neigh show nud all dev " .. dev) end
    local function dsts(ns, dev)
      local out = {}
      for _, e in ipairs(ip4(ns, dev)) do out[e.dst] = e.lladdr end
      return out
    end
    local test3, end3

    -- test3 [veth-test3] ---- [veth-test4] test1: a third namespace
    before_each(function()
      test3 = netns.add("test3")
      end3 = test3:veth("veth-test3", "veth-test4", { peer_netns = test1 })
    end)

    it("adds what neigh_add would in each, a list or one entry per item, as ip neigh shows them", function()
      local list = {}
      for i = 1, 70 do list[i] = { dst = "192.168.1." .. 100 + i, lladdr = string.format("02:00:00:00:03:%02x", i) } end
      core.neigh_add_each{
        { test1.handle, "veth-test1", list },
        { test2.handle, "veth-test2", { dst = "192.168.1.9", lladdr = mac1, state = "noarp" } },
        { test3.handle, end3:index(), { { dst = "10.0.0.9", lladdr = mac2 } } },
        { test1.handle, "veth-test4", { dst = "10.0.0.3", lladdr = mac2 } }, -- a namespace twice
      }
      local mine = dsts(test1, "veth-test1")
      for _, e in ipairs(list) do assert.equal(e.lladdr, mine[e.dst], e.dst) end
      assert.same({ { "192.168.1.9", mac1, { "NOARP" } } }, (function()
        local e = ip4(test2, "veth-test2")
        return { { e[1].dst, e[1].lladdr, e[1].state } }
      end)())
      assert.same({ ["10.0.0.9"] = mac2 }, dsts(test3, "veth-test3"))
      assert.same({ ["10.0.0.3"] = mac2 }, dsts(test1, "veth-test4"))
      core.neigh_add_each{} -- nothing to do
    end)

    it("all or nothing: the kernel refuses an entry of the last item, and every namespace is as before", function()
      test2.handle:neigh_add("veth-test2", { dst = "192.168.1.50", lladdr = mac1 }) -- there before: stays
      local before = { dsts(test1, "veth-test1"), dsts(test2, "veth-test2"), dsts(test3, "veth-test3") }
      assert.has_error(function()
        core.neigh_add_each{
          { test1.handle, "veth-test1",
            { { dst = "192.168.1.60", lladdr = mac2 }, { dst = "192.168.1.61", lladdr = mac2 } } },
          { test2.handle, "veth-test2", { dst = "192.168.1.51", lladdr = mac1 } },
          { test3.handle, "veth-test3",
            { { dst = "10.0.0.9", lladdr = mac2 }, { dst = "10.0.0.10", lladdr = "02:42" } } },
        }
      end, "neigh add 10.0.0.10 dev veth-test3 (item 3 of 3) (entry 2 of 2): Invalid argument (Invalid link address)")
      assert.has_error(function()
        core.neigh_add_each{
          { test1.handle, "veth-test1", { dst = "192.168.1.62", lladdr = mac2 } },
          { test2.handle, "veth-test2", { dst = "192.168.1.52", lladdr = "02:42" } },
        }
      end, "neigh add 192.168.1.52 dev veth-test2 (item 2 of 2): Invalid argument (Invalid link address)")
      assert.same({ dsts(test1, "veth-test1"), before[2], dsts(test3, "veth-test3") },
                  { before[1], dsts(test2, "veth-test2"), before[3] })
      assert.same({}, before[3])
    end)

    it("bad input, refused before anything is sent", function()
      local h = test1.handle
      local ok = { dst = "192.168.1.70", lladdr = mac2 }
      local function refused(items, message)
        assert.has_error(function() core.neigh_add_each(items) end, message)
        assert.is_nil(dsts(test1, "veth-test1")["192.168.1.70"])
      end
      refused({ { h, "veth-test1", ok }, 7 }, "neigh add each: argument 1 (items) item 2 must be a table, got 7")
      refused({ { h, "veth-test1", ok }, { "test2", "veth-test2", ok } },
              "neigh add each: argument 1 (items) item 2 [1] (netns) must be a netns, got \"test2\"")
      refused({ { h, "veth-test1", ok }, { h, "veth/1", ok } },
              "neigh add each: argument 1 (items) item 2 [2] (dev) must be an interface name "
              .. "(1..15 bytes, no '/', ':' or spaces), got \"veth/1\"")
      refused({ { h, "veth-test1", ok }, { h, "veth-test1" } },
              "neigh add each: argument 1 (items) item 2 [3] (entry) must be a table, got nil")
      refused({ { h, "veth-test1", ok }, { h, "veth-test1", { ok, "x" } } },
              "neigh add veth-test1 (item 2 of 2): entry 2 must be a table, got string")
      refused({ { h, "veth-test1", ok }, { h, "veth-test1", { dst = "192.168.1.300", lladdr = mac2 } } },
              "neigh add veth-test1 (item 2 of 2): option 'dst' must be an IPv4 or IPv6 address, got \"192.168.1.300\"")
      refused({ { h, "veth-test1", ok }, { h, "veth-test1", { ok, dst = "192.168.1.71" } } },
              "neigh add veth-test1 (item 2 of 2): its entry must be one entry or a list of entries, not both")
      refused({ { h, "veth-test1", ok }, { h, "eth9", ok } },
              "neigh add 192.168.1.70 dev eth9 (item 2 of 2): No such device")
      netns.delete(test3)
      refused({ { h, "veth-test1", ok }, { test3.handle, "veth-test3", ok } },
              "neigh add each: argument 1 (items) item 2 [1] (netns): netns \"test3\": deleted")
      assert.has_error(function() core.neigh_add_each({}, 1) end,
                       "neigh add each: too many arguments (2 given, at most 1)")
    end)

    it("Lua code its reading runs (an entry's metamethod) cannot close a namespace or grow a list under it", function()
      local function host_neigh() return world.ip_json(nil, "-4 neigh show nud all") end
      local before = host_neigh()
      local function closing(h)
        return setmetatable({ dst = "10.0.0.7", lladdr = mac2 }, { __index = function() h:close() end })
      end
      -- (with the closed handle's socket gone, ifindex N would be the caller's namespace's)
      local h = core.netns_open("test3")
      assert.has_error(function() core.neigh_add_each{ { h, end3:index(), closing(h) } } end,
                       "neigh add each: argument 1 (items) item 1 [1] (netns): attempt to use a closed netns \"test3\"")
      h = core.netns_open("test3")
      assert.has_error(function() h:neigh_add(end3:index(), { closing(h) }) end,
                       "netlink open: attempt to use a closed netns \"test3\"")
      h = core.netns_open("test3")
      assert.has_error(function() h:neigh_add(end3:index(), closing(h)) end,
                       "netlink open: attempt to use a closed netns \"test3\"")
      assert.same(before, host_neigh())
      assert.same({}, dsts(test3, "veth-test3"))
      -- (each item's fields are read once; a list itself can still grow)
      local later = { { dst = "192.168.1.100", lladdr = mac2 } }
      local growing = setmetatable({ dst = "192.168.1.99", lladdr = mac2 }, { __index = function()
        for i = 1, 50 do later[i] = { dst = "192.168.1." .. 100 + i, lladdr = mac2 } end
      end })
      assert.has_error(function()
        core.neigh_add_each{ { test1.handle, "veth-test1", growing }, { test1.handle, "veth-test1", later } }
      end, "neigh add each: argument 1 (items) changed while it was read")
      assert.is_nil(dsts(test1, "veth-test1")["192.168.1.101"])
    end)

    it("the Docker model's pins: one line per entry in the trace, in the items' order", function()
      local trace = require("nslab.trace")
      trace.clear()
      local was = trace.record(true)
      require("nslab.neigh").add_each{
        { test1, "veth-test1", { { dst = "192.168.1.80", lladdr = mac2 }, { dst = "192.168.1.81", lladdr = mac2 } } },
        { test2, "veth-test2", { dst = "192.168.1.1", lladdr = mac1 } },
      }
      trace.record(was)
      assert.same({
        "ip -n test1 neigh replace 192.168.1.80 lladdr " .. mac2 .. " nud permanent dev veth-test1",
        "ip -n test1 neigh replace 192.168.1.81 lladdr " .. mac2 .. " nud permanent dev veth-test1",
        "ip -n test2 neigh replace 192.168.1.1 lladdr " .. mac1 .. " nud permanent dev veth-test2",
      }, { table.unpack(trace.history) })
      assert.equal(mac1, dsts(test2, "veth-test2")["192.168.1.1"])
    end)
  end)

  describe("errors", function()
    local h
    before_each(function() h = test1.handle end)

    it("a bad address", function()
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.300", lladdr = mac2 }) end,
        'neigh add veth-test1: option \'dst\' must be an IPv4 or IPv6 address, got "192.168.1.300"')
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.0/24", lladdr = mac2 }) end,
        'neigh add veth-test1: option \'dst\' must be an IPv4 or IPv6 address, got "192.168.1.0/24"')
      assert.has_error(function() h:neigh_del("veth-test1", { dst = "fe80::zz" }) end,
        'neigh del veth-test1: option \'dst\' must be an IPv4 or IPv6 address, got "fe80::zz"')
      assert.has_error(function() h:neigh_add("veth-test1", { lladdr = mac2 }) end,
        "neigh add veth-test1: option 'dst' is required (a string of 1..63 bytes without NUL)")
    end)

    it("a bad MAC", function()
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = "02:42:zz" }) end,
        'neigh add veth-test1: option \'lladdr\' must be a hardware address (aa:bb:cc:dd:ee:ff), got "02:42:zz"')
      -- too short for the device: the kernel's own words
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = "02:42" }) end,
        "neigh add 192.168.1.9 dev veth-test1: Invalid argument (Invalid link address)")
      -- none at all for a new permanent entry
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9" }) end,
        "neigh add 192.168.1.9 dev veth-test1: Invalid argument (No link layer address given)")
    end)

    it("a missing device", function()
      assert.has_error(function() h:neigh_add("eth9", { dst = "192.168.1.9", lladdr = mac2 }) end,
        "neigh add 192.168.1.9 dev eth9: No such device")
      assert.has_error(function() h:neigh_del("eth9", { dst = "192.168.1.9" }) end,
        "neigh del 192.168.1.9 dev eth9: No such device")
    end)

    it("a missing entry, a bad state, a misspelled option", function()
      assert.has_error(function() h:neigh_del("veth-test1", { dst = "192.168.1.99" }) end,
        "neigh del 192.168.1.99 dev veth-test1: No such file or directory")
      assert.has_error(function()
        h:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = mac2, state = "delay" })
      end,
        "neigh add veth-test1: option 'state' must be one of permanent, noarp, reachable or stale, got \"delay\"")
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9", lladr = mac2 }) end,
        "neigh add veth-test1: invalid option 'lladr'")
      assert.has_error(function() h:neigh_list{ famliy = "inet" } end,
        "neigh show test1: invalid option 'famliy'")
    end)

    it("leaves nothing behind", function()
      pcall(h.neigh_add, h, "veth-test1", { dst = "192.168.1.9", lladdr = "02:42:zz" })
      pcall(h.neigh_add, h, "veth-test1", { dst = "192.168.1.9", lladdr = "02:42" })
      -- `ip neigh add` without lladdr leaves an empty entry; nslab does not
      pcall(h.neigh_add, h, "veth-test1", { dst = "192.168.1.9" })
      assert.is_nil(world.find(ip_neigh(test1), "dst", "192.168.1.9"))
      -- but an entry that was there stays, and without lladdr keeps its own
      h:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = "02:00:00:00:00:09", state = "stale" })
      h:neigh_add("veth-test1", { dst = "192.168.1.9" })
      local e = world.find(ip_neigh(test1), "dst", "192.168.1.9")
      assert.same({ "02:00:00:00:00:09", { "PERMANENT" } }, { e.lladdr, e.state })
    end)
  end)

  describe("bad input, refused before anything is sent", function()
    local h
    before_each(function() h = test1.handle end)

    it("NULs, over-long strings, bad VLANs, unknown options, extra arguments", function()
      -- IPv4 only: the kernel adds IPv6 multicast entries of its own meanwhile
      local function ip4() return world.ip_json(test1, "-4 neigh show nud all") end
      local before = ip4()
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9\0", lladdr = mac2 }) end,
        "neigh add veth-test1: option 'dst' must be a string of 1..63 bytes without NUL, got a string with a NUL byte")
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = mac2 .. "\0" }) end,
        "neigh add veth-test1: option 'lladdr' must be a string of 1..96 bytes without NUL, " ..
        "got a string with a NUL byte")
      assert.has_error(function() h:neigh_add("veth-test1\0", { dst = "192.168.1.9", lladdr = mac2 }) end,
        "neigh add: argument 1 (dev) must be an interface name (1..15 bytes, no '/', ':' or spaces), " ..
        "got a string with a NUL byte")
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9", router = 1 }) end,
        "neigh add veth-test1: option 'router' must be a boolean, got 1")
      assert.has_error(function() h:neigh_add("veth-test1", { dst = "192.168.1.9", lladdr = mac2 }, {}) end,
        "neigh add: too many arguments (3 given, at most 2)")
      assert.has_error(function() h:neigh_add("veth-test1") end,
        "neigh add veth-test1: argument 2 (entry) must be a table, got nil")
      -- by ifindex: the device's label is not taken for the missing entry
      local index = h:link_get("veth-test1").ifindex
      assert.has_error(function() h:neigh_add(index) end,
        "neigh add ifindex " .. index .. ": argument 2 (entry) must be a table, got nil")
      assert.has_error(function() h:fdb_add("veth-test1", { mac = mac2, vlan = 4095 }) end,
        "fdb add veth-test1: option 'vlan' must be an integer 1..4094, got 4095")
      assert.has_error(function() h:fdb_add("veth-test1", { mac = mac2, vlan = 0 }) end,
        "fdb add veth-test1: option 'vlan' must be an integer 1..4094, got 0")
      assert.has_error(function() h:fdb_add("veth-test1", { mac = mac2, static = true, permanent = true }) end,
        "fdb add veth-test1: options 'static' and 'permanent' exclude each other")
      assert.has_error(function() h:fdb_add("veth-test1", { mac = mac2, master = false }) end,
        "fdb add veth-test1: option 'master' or 'self' must be true")
      assert.has_error(function() h:fdb_del("veth-test1", { mac = mac2, static = true }) end,
        "fdb del veth-test1: invalid option 'static'")
      assert.has_error(function() h:fdb_add("veth-test1", { mac = "zz" }) end,
        'fdb add veth-test1: option \'mac\' must be a hardware address (aa:bb:cc:dd:ee:ff), got "zz"')
      assert.has_error(function() h:neigh_list{ family = "ipx" } end,
        'neigh show test1: option \'family\' must be one of inet, inet6 or bridge, got "ipx"')
      assert.same(before, ip4())
      assert.same({}, world.ip_json(test1, "neigh show 192.168.1.9"))
    end)
  end)
end)