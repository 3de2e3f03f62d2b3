-- link: veth pairs, up/down, rename, mtu, mac, move, delete; every state
-- nslab makes is read back with `ip -j link` in the same namespace.
local world = require("spec.support.world")
local netns = require("nslab.netns")

local ip_link = world.ip_link

local function has_flag(link, flag)
  for _, f in ipairs(link.flags) do if f == flag then return true end end
  return false
end

describe("link", function()
  local host
  before_each(function()
    world.fresh()
    host = netns.host()
  end)

  it("creates a veth pair in one namespace", function()
    local a, b = host:veth("veth-test1", "veth-test2")
    assert.equal("veth-test1", a.name)
    local ip_a = ip_link(nil, "veth-test1")
    assert.equal("veth", ip_a.linkinfo.info_kind)
    assert.equal("veth-test2", ip_a.link)
    assert.equal("DOWN", ip_a.operstate)
    local mine = a:info()
    assert.same({ ip_a.ifindex, ip_a.address, ip_a.mtu, "veth", "veth-test2" },
                { mine.ifindex, mine.address, mine.mtu, mine.kind, mine.link })
    assert.equal(ip_link(nil, "veth-test2").ifindex, b:info().ifindex)
    -- one queue each way (PERFORMANCE.md)
    assert.equal(1, ip_a.num_tx_queues)
    assert.equal(1, ip_a.num_rx_queues)
  end)

  it("creates the peer directly inside another namespace", function()
    local ns = netns.add("test1")
    local _, b = host:veth("veth0", "eth0", { peer_netns = ns, mtu = 1400 })
    assert.equal(ns, b.ns)
    assert.is_nil(ip_link(nil, "eth0"))
    local eth0 = ip_link(ns, "eth0")
    assert.equal(1400, eth0.mtu)
    assert.equal(ip_link(nil, "veth0").ifindex, eth0.link_index)
    assert.is_not_nil(eth0.link_netnsid)
  end)

  it("creates both ends directly in two other namespaces, in one message", function()
    local ns1, ns2 = netns.add("test1"), netns.add("test2")
    local a, b = host:veth("veth-test1", "veth-test2", { netns = ns1, peer_netns = ns2 })
    assert.same({ ns1, ns2 }, { a.ns, b.ns })
    assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    assert.same({ "lo", "veth-test1" }, world.pluck(world.ip_json(ns1, "link"), "ifname"))
    assert.same({ "lo", "veth-test2" }, world.pluck(world.ip_json(ns2, "link"), "ifname"))
  end)

  it("brings a link up and down", function()
    local a, b = host:veth("veth-test1", "veth-test2")
    a:up()
    assert.is_true(has_flag(ip_link(nil, "veth-test1"), "UP"))
    assert.is_true(a:wait("LOWERLAYERDOWN")) -- the peer is still down
    assert.is_true(has_flag(ip_link(nil, "veth-test1"), "NO-CARRIER"))
    assert.same(ip_link(nil, "veth-test1").flags, a:info().flags)
    b:up()
    assert.is_true(a:wait("UP"))
    assert.equal("UP", ip_link(nil, "veth-test1").operstate)
    a:down()
    assert.is_false(has_flag(ip_link(nil, "veth-test1"), "UP"))
    assert.equal("DOWN", a:info().operstate)
  end)

  it("renames, sets mtu and mac", function()
    local a = host:veth("veth-test1", "veth-test2")
    a:rename("eth9")
    assert.equal("eth9", a.name)
    assert.is_nil(ip_link(nil, "veth-test1"))
    a:set_mtu(1280)
    a:set_address("02:42:ac:11:00:02")
    local ip = ip_link(nil, "eth9")
    assert.equal(1280, ip.mtu)
    assert.equal("02:42:ac:11:00:02", ip.address)
    -- several changes in one message
    a:set{ mtu = 1300, name = "eth8", up = true }
    ip = ip_link(nil, "eth8")
    assert.equal(1300, ip.mtu)
    assert.is_true(has_flag(ip, "UP"))
  end)

  it("moves a link to another namespace, optionally renaming it", function()
    local ns = netns.add("test1")
    local a, b = host:veth("veth-test1", "veth-test2")
    a:set_netns(ns)
    assert.equal(ns, a.ns)
    assert.is_nil(ip_link(nil, "veth-test1"))
    assert.is_not_nil(ip_link(ns, "veth-test1"))
    b:set_netns("test1", "eth0")
    assert.is_not_nil(ip_link(ns, "eth0"))
    assert.same({ "eth0", "lo", "veth-test1" }, world.pluck(ns:links(), "ifname"))
  end)

  it("deletes a veth, and its peer goes with it", function()
    local ns = netns.add("test1")
    local a = host:veth("veth-test1", "veth-test2", { peer_netns = ns })
    a:delete()
    assert.is_nil(ip_link(nil, "veth-test1"))
    assert.same({ "lo" }, world.pluck(world.ip_json(ns, "link"), "ifname"))
  end)

  it("takes a Link or a Bridge as master, and traces the master by name (ip takes no bare ifindex)", function()
    local trace = require("nslab.trace")
    local br = host:bridge("br0")
    local a, b = host:veth("veth-a", "veth-b")
    a:set{ master = br }
    assert.equal("ip link set dev veth-a master br0", trace.history[#trace.history])
    b:set{ master = host:link("br0") }
    assert.equal("ip link set dev veth-b master br0", trace.history[#trace.history])
    assert.same({ "veth-a", "veth-b" }, world.pluck(world.ip_json(nil, "link show master br0"), "ifname"))
    -- the traced command does it too
    b:set{ master = 0 }
    assert.equal(0, host:exec("ip link set dev veth-b master br0").status)
    assert.equal("br0", ip_link(nil, "veth-b").master)
  end)

  it("lists links with the fields ip -j link has", function()
    host:veth("veth-test1", "veth-test2")
    local mine = world.find(host:links(), "ifname", "veth-test1")
    local ip = ip_link(nil, "veth-test1")
    for _, key in ipairs{ "ifindex", "ifname", "mtu", "operstate", "address", "broadcast", "link", "txqlen",
                          "link_type" } do
      assert.equal(ip[key], mine[key], key)
    end
    assert.same(ip.flags, mine.flags)
  end)

  describe("errors", function()
    it("a name longer than 15 bytes", function()
      assert.has_error(function() host:veth("veth-test1-too-long", "x") end,
        "link add veth-test1-too-long: interface name longer than 15 bytes")
      assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)
    it("an invalid name", function()
      assert.has_error(function() host:veth("a b", "x") end,
        "link add a b: interface name cannot contain '/', ':' or spaces")
      assert.has_error(function() host:veth("ok", "") end, 'link add ok: peer "": empty interface name')
      assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)
    it("a name that already exists", function()
      host:veth("veth-test1", "veth-test2")
      assert.has_error(function() host:veth("veth-test1", "veth-test3") end,
        "link add veth-test1: File exists")
      assert.is_nil(ip_link(nil, "veth-test3"))
    end)
    it("a missing device", function()
      assert.has_error(function() host:link("nosuch") end,
        "link nosuch: No such device in netns host")
      local ghost = require("nslab.link").new(host, "nosuch")
      assert.has_error(function() ghost:up() end, "link set nosuch: No such device")
      assert.has_error(function() ghost:delete() end, "link delete nosuch: No such device")
    end)
    it("a move to a namespace that has the name leaves the link where it was", function()
      local ns = netns.add("test1")
      host:veth("eth0", "veth-test1", { peer_netns = ns })
      local a = host:veth("veth-test1", "veth-test2")
      -- the core sees it before sending (the move keeps IPv6 address
      -- generation off in the same message: all of it or none)
      assert.has_error(function() a:set_netns(ns) end,
        "link set veth-test1: File exists (the target netns has a device named veth-test1)")
      assert.is_not_nil(ip_link(nil, "veth-test1"))
      assert.same({ "lo", "veth-test1" }, world.pluck(world.ip_json(ns, "link"), "ifname"))
    end)
    it("a move that fails leaves the link where it was and nothing in the target", function()
      local ns = netns.add("test1")
      host:veth("eth0", "peer0", { peer_netns = ns }) -- ns now has "peer0"
      local a = host:veth("veth-test1", "veth-test2")
      assert.has_error(function() a:set_netns(ns, "peer0") end,
        "link set veth-test1: File exists (the target netns has a device named peer0)")
      assert.equal(host, a.ns)
      assert.is_not_nil(ip_link(nil, "veth-test1"))
      assert.same({ "lo", "peer0" }, world.pluck(world.ip_json(ns, "link"), "ifname"))
    end)
    it("a pair whose peer name is taken in its namespace: neither end is left", function()
      local ns1, ns2 = netns.add("test1"), netns.add("test2")
      host:veth("eth0", "veth-test2", { peer_netns = ns2 })
      assert.has_error(function() host:veth("veth-test1", "veth-test2", { netns = ns1, peer_netns = ns2 }) end,
        "link add veth-test1: File exists")
      assert.same({ "lo" }, world.pluck(world.ip_json(ns1, "link"), "ifname"))
      assert.same({ "lo", "veth-test2" }, world.pluck(world.ip_json(ns2, "link"), "ifname"))
      assert.same({ "eth0", "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)
    it("a misspelled option", function()
      assert.has_error(function() host:veth("a", "b", { mtux = 1400 }) end, "link add: invalid option 'mtux'")
      assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)
    it("a method called with a dot, and arguments counted as the method's", function()
      local a = host:veth("a", "b")
      assert.has_error(function() a.up() end, "link set: up needs its object: call it with a colon, obj:up(...) "
                       .. "(self is nil)")
      assert.has_error(function() a.addr_add("10.0.0.1/24") end, "addr add: addr_add needs its object: call it "
                       .. "with a colon, obj:addr_add(...) (self is string)")
      assert.has_error(function() a:addr_add(true) end,
                       "addr add a: argument 1 (prefix) must be a string of 1..63 bytes without NUL, got boolean")
      assert.is_false(has_flag(ip_link(nil, "a"), "UP"))
    end)
    it("a rename to a taken name changes nothing", function()
      local a = host:veth("veth-test1", "veth-test2")
      host:veth("taken", "taken-peer")
      assert.has_error(function() a:set{ mtu = 1300, name = "taken" } end,
        "link set veth-test1: File exists (a device named taken exists)")
      assert.equal(1500, ip_link(nil, "veth-test1").mtu)
      assert.is_not_nil(ip_link(nil, "veth-test1"))
    end)
    it("an ifindex out of range", function()
      assert.has_error(function() host.handle:link_set(math.tointeger(2 ^ 32 + 1), { up = false }) end,
        "link set: argument 1 (dev) must be an ifindex 1..2147483647 or an interface name, got 4294967297")
      assert.is_true(has_flag(ip_link(nil, "lo"), "UP"))
    end)
    it("a veth without a peer name", function()
      assert.has_error(function() host:veth("veth-test1") end,
        "link add: argument 2 (peer) must be an interface name (1..15 bytes, no '/', ':' or spaces), got nil")
      local ok, err = pcall(host.veth, host, "veth-test1", 5) -- the core's words for a peer name
      assert.is_false(ok)
      assert.matches("^link add veth%-test1: option 'peer' must be .*, got 5$", err)
      assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)
    it("the peer gets the mtu too", function()
      host:veth("veth-test1", "veth-test2", { mtu = 1400 })
      assert.equal(1400, ip_link(nil, "veth-test2").mtu)
    end)
    it("a malformed mac address", function()
      local a = host:veth("veth-test1", "veth-test2")
      local before = ip_link(nil, "veth-test1").address
      for _, bad in ipairs{ "02:42:zz", " 2:42:ac:11:00:02", "0x2:42", "+2:42:ac:11:00:02", "02:42:" } do
        assert.has_error(function() a:set_address(bad) end,
          ("link set veth-test1: option 'address' must be a hardware address (aa:bb:cc:dd:ee:ff), "
           .. 'got "%s"'):format(bad))
      end
      -- the kernel would take the first 6 bytes of a longer one and say nothing
      assert.has_error(function() a:set_address("02:00:00:00:00:00:00") end,
        "link set veth-test1: Invalid argument (7 bytes given, but a hardware address of veth-test1 has 6)")
      assert.equal(before, ip_link(nil, "veth-test1").address)
    end)
    it("option values of the wrong type or range", function()
      local a = host:veth("veth-test1", "veth-test2")
      assert.has_error(function() a:set{ up = "no" } end,
        "link set veth-test1: option 'up' must be a boolean, got \"no\"")
      assert.has_error(function() a:set_mtu(0) end,
        "link set veth-test1: option 'mtu' must be an integer 68..65536, got 0")
      assert.has_error(function() a:set_mtu("1400") end,
        "link set veth-test1: option 'mtu' must be an integer 68..65536, got \"1400\"")
      assert.has_error(function() a:set{ mtux = 1400 } end, "link set veth-test1: invalid option 'mtux'")
      assert.has_error(function() a:set{ addrgenmode = "eui48" } end,
        "link set veth-test1: option 'addrgenmode' must be one of eui64, none, stable_privacy or random, got \"eui48\"")
      assert.is_false(has_flag(ip_link(nil, "veth-test1"), "UP"))
      assert.equal(1500, ip_link(nil, "veth-test1").mtu)
    end)
  end)

  -- The core refuses or undoes a change the kernel would half-apply: each
  -- case failed before (the first parts stayed), read back with ip -j.
  describe("all or nothing, in the core", function()
    local h
    local function mtu(name, ns) return ip_link(ns, name).mtu end
    before_each(function()
      h = host.handle
      host:veth("veth-test1", "veth-test2")
      host:veth("taken", "taken-peer")
    end)

    it("mtu, address or up with a rename to a taken name", function()
      local before = ip_link(nil, "veth-test1")
      for _, change in ipairs{ { mtu = 1300 }, { address = "02:00:00:00:00:09" }, { up = true } } do
        change.name = "taken"
        assert.has_error(function() h:link_set("veth-test1", change) end,
          "link set veth-test1: File exists (a device named taken exists)")
      end
      local after = ip_link(nil, "veth-test1")
      assert.same({ before.mtu, before.address, before.flags }, { after.mtu, after.address, after.flags })
    end)

    it("a move with a rename to a name taken in the target", function()
      local ns = netns.add("test1")
      host:veth("x0", "eth0", { peer_netns = ns })
      assert.has_error(function() h:link_set("veth-test1", { netns = ns.handle, name = "eth0", mtu = 1400 }) end,
        "link set veth-test1: File exists (the target netns has a device named eth0)")
      assert.equal(1500, mtu("veth-test1"))
      assert.same({ "eth0", "lo" }, world.pluck(world.ip_json(ns, "link"), "ifname"))
    end)

    it("a move with an mtu out of the device's range", function()
      local ns = netns.add("test1")
      assert.has_error(function() h:link_set("veth-test1", { netns = ns.handle, mtu = 65536 }) end,
        "link set veth-test1: Invalid argument (mtu 65536 is out of veth-test1's range 68..65535)")
      assert.is_not_nil(ip_link(nil, "veth-test1"))
      assert.same({ "lo" }, world.pluck(world.ip_json(ns, "link"), "ifname"))
    end)

    it("an mtu below IPv6's with addrgenmode", function()
      assert.has_error(function() h:link_set("veth-test1", { mtu = 1200, addrgenmode = "none" }) end,
        "link set veth-test1: Address family not supported by protocol "
          .. "(addrgenmode needs IPv6, which is off below mtu 1280)")
      assert.equal(1500, mtu("veth-test1"))
    end)

    it("an address that is not unicast, or of a device with none, with an mtu", function()
      assert.has_error(function() h:link_set("veth-test1", { address = "01:00:5e:00:00:01", mtu = 1300 }) end,
        "link set veth-test1: Cannot assign requested address "
          .. "(01:00:5e:00:00:01 is multicast or zero, not a unicast Ethernet address)")
      assert.equal(1500, mtu("veth-test1"))
      h:tuntap_add("tun0", "tun")
      assert.has_error(function() h:link_set("tun0", { address = "02:00:00:00:00:01", mtu = 1300 }) end,
        "link set tun0: Operation not supported (tun0 has no hardware address)")
      assert.equal(1500, mtu("tun0"))
    end)

    it("a master the kernel refuses, with an mtu", function()
      h:link_add{ name = "br0", kind = "bridge" }
      h:link_add{ name = "br1", kind = "bridge" }
      h:tuntap_add("tun0", "tun")
      local cases = {
        { "veth-test1", "taken", "Operation not supported (master taken is a veth, not a bridge)" },
        { "lo", "br0", "Invalid argument (lo is a loopback device, which cannot be a bridge port)" },
        { "tun0", "br0", "Invalid argument (tun0 is not an Ethernet device, which a bridge port must be)" },
        { "br1", "br0", "Too many levels of symbolic links (br1 is a bridge: a bridge cannot be a port of a bridge)" },
      }
      for _, c in ipairs(cases) do
        local before = mtu(c[1])
        assert.has_error(function() h:link_set(c[1], { master = c[2], mtu = 1400 }) end,
          "link set " .. c[1] .. ": " .. c[3])
        assert.equal(before, mtu(c[1]))
        assert.is_nil(ip_link(nil, c[1]).master)
      end
    end)

    it("bridge options with a rename to a taken name, or with a move", function()
      h:link_add{ name = "br0", kind = "bridge" }
      local before = ip_link(nil, "br0").linkinfo.info_data
      assert.has_error(function() h:link_set("br0", { bridge = { priority = 100 }, name = "taken" }) end,
        "link set br0: File exists (a device named taken exists)")
      local ns = netns.add("test1")
      assert.has_error(function() h:link_set("br0", { bridge = { priority = 100 }, netns = ns.handle }) end,
        "link set br0: Invalid argument (br0 is a bridge, whose namespace cannot change)")
      assert.same(before, ip_link(nil, "br0").linkinfo.info_data)
    end)

    it("master and netns together are refused", function()
      h:link_add{ name = "br0", kind = "bridge" }
      local ns = netns.add("test1")
      assert.has_error(function() h:link_set("veth-test1", { master = "br0", netns = ns.handle }) end,
        "link set veth-test1: Invalid argument "
          .. "(master and netns cannot change together: move first, then set the master there)")
      assert.is_not_nil(ip_link(nil, "veth-test1"))
    end)

    -- What no read shows is undone: a device with a macvlan on it is
    -- refused as a bridge port (the master goes first and alone, so the
    -- macvlan never sees the new mtu), and a VXLAN whose UDP port is taken
    -- cannot come up (after the rename and mtu were applied).
    local function kind_or_skip(kind, command)
      local r = host:exec(command)
      if r.status ~= 0 then
        pending(kind .. " is not supported by this kernel: " .. r.stderr)
        return false
      end
      return true
    end

    it("a bridge refuses a port that has a macvlan: nothing changes", function()
      if not kind_or_skip("macvlan", "ip link add mv0 link veth-test1 type macvlan mode bridge") then return end
      h:link_add{ name = "br0", kind = "bridge" }
      assert.has_error(function() h:link_set("veth-test1", { master = "br0", mtu = 1400, name = "eth9" }) end,
        "link set veth-test1: Device or resource busy")
      assert.same({ 1500, 1500 }, { mtu("veth-test1"), mtu("mv0") })
      assert.is_nil(ip_link(nil, "veth-test1").master)
      -- master and addrgenmode go in one message (the kernel applies the
      -- mode after the master): refused, the mode is as it was
      local before = ip_link(nil, "veth-test1").inet6_addr_gen_mode
      local other = before == "none" and "eui64" or "none"
      assert.has_error(function() h:link_set("veth-test1", { master = "br0", addrgenmode = other }) end,
        "link set veth-test1: Device or resource busy")
      local l = ip_link(nil, "veth-test1")
      assert.same({ before, nil }, { l.inet6_addr_gen_mode, l.master })
    end)

    it("a VXLAN that cannot come up: the rename and mtu are undone", function()
      if not kind_or_skip("vxlan", "ip link add vx0 type vxlan id 5 dstport 4789") then return end
      local sock = h:udp_bind("0.0.0.0", 4789)
      local before = mtu("vx0")
      assert.has_error(function() h:link_set("vx0", { up = true, name = "vx9", mtu = 1400 }) end,
        "link set vx0: Address already in use")
      local vx = ip_link(nil, "vx0")
      assert.same({ before, false }, { vx.mtu, has_flag(vx, "UP") })
      assert.is_nil(ip_link(nil, "vx9"))
      sock:close()
    end)

    it("a VXLAN moved that cannot come up there is moved back", function()
      if not kind_or_skip("vxlan", "ip link add vx0 type vxlan id 5 dstport 4789") then return end
      local ns = netns.add("test1")
      local sock = h:udp_bind("0.0.0.0", 4789) -- its socket stays in the namespace it was made in
      local before = mtu("vx0")
      assert.has_error(function() h:link_set("vx0", { up = true, name = "vx9", netns = ns.handle, mtu = 1400 }) end,
        "link set vx0: Address already in use")
      assert.equal(before, mtu("vx0"))
      assert.same({ "lo" }, world.pluck(world.ip_json(ns, "link"), "ifname"))
      sock:close()
    end)

    it("the Lua layer checks nothing itself: its errors are the core's", function()
      local a = netns.host():link("veth-test1")
      local ok, lua_err = pcall(a.set, a, { mtu = 1300, name = "taken" })
      local ok2, core_err = pcall(h.link_set, h, "veth-test1", { mtu = 1300, name = "taken" })
      assert.is_false(ok or ok2)
      assert.equal(core_err, lua_err)
    end)
  end)

  describe("reads", function()
    it("info is one device as ip -j link show dev shows it, master and peer by name", function()
      local h = host.handle
      local a = host:veth("veth-test1", "veth-test2")
      h:link_add{ name = "br0", kind = "bridge" }
      h:link_set("veth-test1", { master = "br0" })
      local ip, mine = ip_link(nil, "veth-test1"), a:info()
      assert.same({ ip.master, ip.link, ip.ifindex, ip.mtu }, { mine.master, mine.link, mine.ifindex, mine.mtu })
      assert.same(ip.flags, mine.flags)
      assert.equal(ip.ifindex, a:index())
    end)

    it("info costs one get (and one per name), not one dump, with 200 links", function()
      for i = 1, 100 do host:veth("v" .. i, "p" .. i) end
      local a = host:link("v50")
      a:info() -- the pairs are made at their first use (nslab.pending): not timed
      local function per_call(f)
        local t0 = require("nslab.core").clock()
        for _ = 1, 50 do f() end
        return (require("nslab.core").clock() - t0) / 50
      end
      local info = per_call(function() a:info() end)
      local dump = per_call(function() host.handle:link_list() end)
      -- a dump of 200 links is about a hundred times one get
      assert.is_true(info < dump / 4, ("info %.3f ms, dump %.3f ms"):format(info * 1e3, dump * 1e3))
    end)
  end)

  describe("handles", function()
    local link = require("nslab.link")

    it("a handle on a deleted device says so, and leaves a new one of that name alone", function()
      local a = host:veth("veth-test1", "veth-test2")
      local old = a.ifindex
      host:link("veth-test1"):delete()
      host:veth("veth-test1", "veth-test3")
      local msg = ("No such device (deleted or moved away: ifindex %d was veth-test1 in netns host)"):format(old)
      assert.has_error(function() a:up() end, "link set veth-test1: " .. msg)
      assert.has_error(function() a:info() end, "link show veth-test1: " .. msg)
      assert.has_error(function() a:delete() end, "link delete veth-test1: " .. msg)
      assert.has_error(function() a:addr_add("192.0.2.1/24") end, "addr add veth-test1: " .. msg)
      assert.has_error(function() a:wait("UP", 0) end, "link wait veth-test1: " .. msg)
      local ip = ip_link(nil, "veth-test1")
      assert.equal("veth-test3", ip.link)
      assert.is_false(has_flag(ip, "UP"))
      assert.same({}, world.ip_json(nil, "addr show dev veth-test1")[1].addr_info)
    end)

    it("follows its device when renamed by another handle, and to another namespace", function()
      local ns = netns.add("test1")
      ns.handle:link_add{ name = "x0", kind = "veth", peer = "x1" } -- takes ifindexes 2 and 3 there
      local a = host:veth("veth-test1", "veth-test2")
      host:link("veth-test1"):rename("eth5")
      a:up()
      assert.equal("eth5", a:info().ifname)
      a:set_netns(ns, "eth0")
      local ip = ip_link(ns, "eth0")
      assert.equal(ip.ifindex, a.ifindex)
      a:set_mtu(1400)
      assert.equal(1400, ip_link(ns, "eth0").mtu)
    end)

    it("by ifindex: a missing one is a clear error", function()
      local a = host:veth("veth-test1", "veth-test2")
      assert.equal("veth-test1", link.by_index(host, a.ifindex).name)
      assert.has_error(function() link.by_index(host, 999) end, "link ifindex 999: No such device in netns host")
      -- ns:link got "ifindex 999" from link_get as the device, and made a link named nil
      assert.has_error(function() host:link(999) end, "link ifindex 999: No such device in netns host")
      assert.equal("veth-test1", host:link(a.ifindex).name)
      assert.has_error(function() link.by_index(host, 0) end,
        "link: argument 2 (ifindex) must be an integer 1..2147483647, got 0")
    end)

    it("a handle on a name that is too long or missing errs cleanly", function()
      assert.has_error(function() link.new(host, ("x"):rep(4096)):up() end,
        "link set: argument 2 (dev) must be an interface name (1..15 bytes, no '/', ':' or spaces), "
          .. "got a string of 4096 bytes")
      assert.has_error(function() link.new(host, "nosuch"):up() end, "link set nosuch: No such device")
      assert.has_error(function() link.new(5, "eth0") end, "link: argument 1 (netns) must be a netns, got number")
      local a = host:veth("veth-test1", "veth-test2")
      assert.equal(a, a:set(nil)) -- nothing to change
      assert.has_error(function() a:set(5) end, "link set veth-test1: options must be a table, got 5")
    end)

    it("wait refuses a timeout that is not a number of seconds, and a bad state", function()
      local a = host:veth("veth-test1", "veth-test2")
      assert.has_error(function() a:wait("UP", 0 / 0) end,
        "link wait veth-test1: argument 2 (timeout) must be a number 0..3600, got nan")
      assert.has_error(function() a:wait("UP", "1400") end,
        "link wait veth-test1: argument 2 (timeout) must be a number 0..3600, got \"1400\"")
      assert.has_error(function() a:wait("up") end,
        "link wait veth-test1: argument 1 (state) must be one of UNKNOWN, NOTPRESENT, DOWN, "
          .. "LOWERLAYERDOWN, TESTING, DORMANT or UP, got \"up\"")
    end)

    it("extra arguments and bridge priority -1 are errors", function()
      local h = host.handle
      assert.has_error(function() h:link_get("lo", 5) end, "link show: too many arguments (2 given, at most 1)")
      assert.has_error(function() h:link_list(1) end, "link show: too many arguments (1 given, at most 0)")
      -- an absent device was checked as the label of the message
      assert.has_error(function() h:link_del() end,
        "link delete: argument 1 (dev) must be an ifindex 1..2147483647 or an interface name, got nil")
      -- nothing to change is a mistake, not a success
      assert.has_error(function() h:link_set("lo") end,
        "link set lo: options must be a table, got nil")
      assert.has_error(function() h:link_set(1) end, "link set ifindex 1: options must be a table, got nil")
      assert.has_error(function() h:link_set("lo", { master = -1 }) end,
        "link set lo: option 'master' must be an ifindex 1..2147483647 or an interface name, got -1")
      h:link_add{ name = "br0", kind = "bridge" }
      assert.has_error(function() h:link_set("br0", { bridge = { priority = -1 } }) end,
        "link set br0: option 'bridge.priority' must be an integer 0..65535, got -1")
      assert.has_error(function() h:link_add{ name = "br1", kind = "bridge", bridge = { priority = -1 } } end,
        "link add br1: option 'bridge.priority' must be an integer 0..65535, got -1")
      assert.is_nil(ip_link(nil, "br1"))
    end)

    it("methods refuse extra arguments, and those that need one say so", function()
      local a = host:veth("veth-test1", "veth-test2")
      local iface = "an interface name (1..15 bytes, no '/', ':' or spaces)"
      assert.has_error(function() a:rename() end,
        "link set veth-test1: argument 1 (name) must be " .. iface .. ", got nil")
      assert.has_error(function() a:set_mtu() end,
        "link set veth-test1: argument 1 (mtu) must be an integer 68..65535, got nil")
      assert.has_error(function() a:set_address() end,
        "link set veth-test1: argument 1 (address) must be a string of 1..64 bytes without NUL, got nil")
      assert.has_error(function() a:set_netns() end, "link set veth-test1: argument 1 (netns) must be a value, got nil")
      assert.has_error(function() a:up(true) end, "link set veth-test1: too many arguments (1 given, at most 0)")
      assert.has_error(function() a:rename("x", "y") end,
        "link set veth-test1: too many arguments (2 given, at most 1)")
      assert.has_error(function() a:delete(1) end, "link delete veth-test1: too many arguments (1 given, at most 0)")
      assert.has_error(function() a:addr_del("192.0.2.1/24", 1) end,
        "addr del veth-test1: too many arguments (2 given, at most 1)")
      local l = ip_link(nil, "veth-test1")
      assert.same({ "veth-test1", 1500 }, { l.ifname, l.mtu })
      assert.is_false(has_flag(l, "UP"))
    end)

    it("wait_ipv6 takes a finite timeout of 0..3600 seconds, not a string", function()
      local a = host:veth("veth-test1", "veth-test2")
      for _, bad in ipairs{ 0 / 0, math.huge, -1, 3601, "0", true } do
        local ok, err = pcall(a.wait_ipv6, a, bad)
        assert.is_false(ok)
        assert.matches("^link wait_ipv6 veth%-test1: argument 1 %(timeout%) must be a number 0..3600, got ", err)
      end
      assert.is_true(a:wait_ipv6(0)) -- no IPv6 address: nothing to wait for
    end)

    it("a name no message can carry is left out of the message", function()
      local big = link.new(host, string.rep("x", 1 << 20))
      local ok, err = pcall(big.wait, big, "UP", 0)
      assert.is_false(ok)
      assert.is_true(#err < 200, err:sub(1, 200))
      assert.matches("^link ", err)
    end)
  end)
end)
