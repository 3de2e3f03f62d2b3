-- tun/tap: persistent devices made in-process inside a namespace, as `ip
-- tuntap add` makes them; cross-checked with `ip -j -d link` and sysfs.
local world = require("spec.support.world")
local netns = require("nslab.netns")

local ip_link = world.ip_link

describe("tuntap", function()
  local host, test1
  before_each(function()
    world.fresh()
    host = netns.host()
    test1 = netns.add("test1")
  end)

  it("creates a persistent tap device inside a namespace", function()
    assert.equal("tap0", test1.handle:tuntap_add("tap0", "tap"))
    local tap0 = ip_link(test1, "tap0")
    assert.equal("tun", tap0.linkinfo.info_kind)
    assert.same({ type = "tap", pi = false, vnet_hdr = false, multi_queue = false, persist = true },
                tap0.linkinfo.info_data)
    assert.equal("ether", tap0.link_type)
    assert.is_nil(ip_link(nil, "tap0"))   -- not in the world's host
    local mine = test1.handle:tuntap_list()
    assert.equal(1, #mine)
    assert.same({ ifindex = tap0.ifindex, ifname = "tap0", type = "tap", pi = false,
                  vnet_hdr = false, multi_queue = false, persist = true }, mine[1])
    -- an ordinary link otherwise
    assert.equal("tun", test1.handle:link_get("tap0").kind)
  end)

  it("creates a tun device with options, as ip tuntap add ... pi user group", function()
    test1.handle:tuntap_add("tun0", "tun", { pi = true, owner = 1000, group = 100 })
    local tun0 = ip_link(test1, "tun0")
    assert.equal("tun", tun0.linkinfo.info_data.type)
    assert.is_true(tun0.linkinfo.info_data.pi)
    assert.equal("none", tun0.link_type)
    assert.equal("1000\n100\n", world.sh(test1, "cat /sys/class/net/tun0/owner /sys/class/net/tun0/group"))
    local mine = test1.handle:tuntap_list()[1]
    assert.same({ "tun", true, 1000, 100 }, { mine.type, mine.pi, mine.user, mine.group })
  end)

  it("lets the kernel number the device", function()
    assert.equal("tap0", test1.handle:tuntap_add("tap%d", "tap"))
    assert.equal("tap1", test1.handle:tuntap_add("tap%d", "tap"))
    assert.same({ "tap0", "tap1" }, world.pluck(test1.handle:tuntap_list(), "ifname"))
  end)

  it("moves to another namespace with link_set netns (seed 003)", function()
    local ns1 = netns.add("ns1")
    host.handle:tuntap_add("tap0", "tap")
    host.handle:link_set("tap0", { netns = ns1.handle })
    assert.is_nil(ip_link(nil, "tap0"))
    local tap0 = ip_link(ns1, "tap0")
    assert.equal("tun", tap0.linkinfo.info_kind)
    assert.equal("tap", tap0.linkinfo.info_data.type)
    assert.same({}, host.handle:tuntap_list())
    assert.same({ "tap0" }, world.pluck(ns1.handle:tuntap_list(), "ifname"))
    -- the Lua layer's equivalent of `ip tuntap add` works the same way
    test1:tuntap("tap1", "tap")
    assert.equal("tap", ip_link(test1, "tap1").linkinfo.info_data.type)
  end)

  it("is deleted with link_del, as ip link del does", function()
    test1.handle:tuntap_add("tap0", "tap")
    test1.handle:link_del("tap0")
    assert.same({ "lo" }, world.pluck(world.ip_json(test1, "link"), "ifname"))
    assert.same({}, test1.handle:tuntap_list())
    -- and the name is free again
    test1.handle:tuntap_add("tap0", "tun")
    assert.equal("tun", ip_link(test1, "tap0").linkinfo.info_data.type)
  end)

  describe("errors", function()
    it("a name in use, by a tap or any other device; the first is intact", function()
      test1.handle:tuntap_add("tap0", "tap")
      assert.has_error(function() test1.handle:tuntap_add("tap0", "tap") end,
        "tuntap add tap0: File exists")
      assert.has_error(function() test1.handle:tuntap_add("tap0", "tun") end,
        "tuntap add tap0: File exists")
      assert.has_error(function() test1.handle:tuntap_add("lo", "tap") end,
        "tuntap add lo: File exists")
      assert.same({ "tap0" }, world.pluck(test1.handle:tuntap_list(), "ifname"))
      assert.equal("tap", ip_link(test1, "tap0").linkinfo.info_data.type)
    end)

    it("a name too long, leaving nothing behind", function()
      assert.has_error(function() test1.handle:tuntap_add("tap-name-too-long", "tap") end,
        "tuntap add tap-name-too-long: interface name longer than 15 bytes")
      assert.same({ "lo" }, world.pluck(world.ip_json(test1, "link"), "ifname"))
    end)

    it("a mode that is neither tun nor tap", function()
      assert.has_error(function() test1.handle:tuntap_add("tap0", "tab") end,
        'tuntap add tap0: argument 2 (mode) must be one of tun or tap, got "tab"')
      assert.has_error(function() test1.handle:tuntap_add("tap0") end,
        "tuntap add tap0: argument 2 (mode) must be one of tun or tap, got nil")
      assert.has_error(function() test1.handle:tuntap_add("tap0", "tap", {}, 1) end,
        "tuntap add: too many arguments (4 given, at most 3)")
    end)

    it("options: misspelled or of the wrong type", function()
      assert.has_error(function() test1.handle:tuntap_add("tap0", "tap", { multiqueue = true }) end,
        "tuntap add tap0: invalid option 'multiqueue'")
      assert.has_error(function() test1.handle:tuntap_add("tap0", "tap", { pi = "yes" }) end,
        "tuntap add tap0: option 'pi' must be a boolean, got \"yes\"")
      assert.has_error(function() test1.handle:tuntap_add("tap0", "tap", { owner = -5 }) end,
        "tuntap add tap0: option 'owner' must be an integer 0..4294967294, got -5")
      assert.same({}, test1.handle:tuntap_list())
    end)
  end)
end)
