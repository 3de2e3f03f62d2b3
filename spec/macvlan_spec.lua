-- macvlan: a device with a MAC address of its own on a parent's wire,
-- one row of the core's link-kind table; everything is read back with
-- `ip -j -d link` in the same world, and the traced commands replayed
-- with ip build the same devices.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
require("nslab.kinds")

local ip_link = world.ip_link

-- What ip says of the macvlans of ns: name, parent, mode.
local function macvlans(ns)
  local rows = {}
  for _, l in ipairs(world.ip_json(ns, "-d link")) do
    if l.linkinfo and l.linkinfo.info_kind == "macvlan" then
      rows[#rows + 1] = table.concat({ l.ifname, l.link or tostring(l.link_index), l.linkinfo.info_data.mode }, " ")
    end
  end
  table.sort(rows)
  return rows
end

describe("macvlan", function()
  local host
  before_each(function()
    world.fresh()
    host = netns.host()
    host:veth("eth0", "eth1")
  end)

  it("is created on a parent in bridge mode, as ip shows it", function()
    trace.clear()
    local mv = host:macvlan("mv0", { link = "eth0", mode = "bridge" })
    assert.same({ "ip link add mv0 link eth0 type macvlan mode bridge",
                  "ip link set dev mv0 addrgenmode none" }, trace.history)
    local ip = ip_link(nil, "mv0")
    assert.same({ "macvlan", "bridge", "eth0" }, { ip.linkinfo.info_kind, ip.linkinfo.info_data.mode, ip.link })
    local mine = mv:info()
    assert.equal("bridge", mine.linkinfo.info_data.mode)
    assert.equal("bridge", mine.macvlan.mode)
    assert.equal(host:link("eth0"):index(), mine.link_index)
  end)

  it("takes every mode, and the kernel's default (vepa) without one", function()
    for i, mode in ipairs{ "private", "vepa", "bridge", "passthru" } do
      host:veth("p" .. i, "q" .. i) -- passthru takes its parent alone
      host:macvlan("mv" .. i, { link = host:link("p" .. i), mode = mode })
      assert.equal(mode, ip_link(nil, "mv" .. i).linkinfo.info_data.mode)
      assert.equal(mode, host:link("mv" .. i):info().macvlan.mode)
    end
    host:macvlan("mv9", { link = "eth0" })
    assert.equal("vepa", ip_link(nil, "mv9").linkinfo.info_data.mode)
  end)

  it("is born in another namespace, its parent staying here", function()
    local other = netns.add("other")
    trace.clear()
    local mv = host:macvlan("mv0", { link = "eth0", mode = "private", netns = other, mtu = 1400 })
    assert.same({ "ip link add mv0 link eth0 netns other mtu 1400 type macvlan mode private",
                  "ip -n other link set dev mv0 addrgenmode none" }, trace.history)
    assert.equal(other, mv.ns)
    assert.is_nil(ip_link(nil, "mv0"))
    local ip = ip_link(other, "mv0")
    assert.same({ "private", 1400 }, { ip.linkinfo.info_data.mode, ip.mtu })
    assert.is_not_nil(mv:info().link_netnsid)
  end)

  it("replayed with ip, the traced commands make the same devices", function()
    local other = netns.add("other")
    trace.clear()
    host:macvlan("mv0", { link = "eth0", mode = "bridge" })
    host:macvlan("mv1", { link = "eth0", mode = "vepa", netns = other })
    host:macvlan("mv2", { link = host:link("eth0"):index(), mode = "private" }) -- traced by name
    local commands = { table.unpack(trace.history) }
    local want = { macvlans(nil), macvlans(other) }
    world.fresh()
    host = netns.host()
    host:veth("eth0", "eth1")
    netns.add("other")
    for _, command in ipairs(commands) do world.sh(nil, command) end
    assert.same(want, { macvlans(nil), macvlans(netns.open("other")) })
  end)

  describe("errors, leaving nothing behind", function()
    local function nothing_new()
      assert.same({ "eth0", "eth1", "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end

    it("no parent, or one that does not exist", function()
      assert.has_error(function() host:macvlan("mv0", { mode = "bridge" }) end,
        "link add mv0: a macvlan needs a parent device (link)")
      assert.has_error(function() host:macvlan("mv0", { link = "eth9" }) end,
        "link add mv0: option 'link' must be a device here, got \"eth9\" (No such device)")
      nothing_new()
    end)

    it("a parent the kernel refuses, with the reason it does not give", function()
      assert.has_error(function() host:macvlan("mv0", { link = "lo" }) end,
        "link add mv0: Invalid argument (parent lo is not an Ethernet device)")
      host:macvlan("mv1", { link = "eth0", mode = "bridge" })
      assert.has_error(function() host:macvlan("mv2", { link = "eth0", mode = "passthru" }) end,
        "link add mv2: Invalid argument (passthru needs eth0 alone, and macvlan mv1 is on it)")
      host:link("mv1"):delete()
      host:macvlan("mv1", { link = "eth0", mode = "passthru" })
      assert.has_error(function() host:macvlan("mv2", { link = "eth0", mode = "bridge" }) end,
        "link add mv2: Invalid argument (passthru macvlan mv1 has eth0 to itself)")
      host:link("mv1"):delete()
      nothing_new()
    end)

    it("a mode that is not one", function()
      assert.has_error(function() host:macvlan("mv0", { link = "eth0", mode = "bridged" }) end,
        "link add mv0: option 'macvlan.mode' must be one of private, vepa, bridge or passthru, got \"bridged\"")
      assert.has_error(function() host:macvlan("mv0", { link = "eth0", mod = "bridge" }) end,
        "link add mv0: invalid option 'macvlan.mod'")
      nothing_new()
    end)

    it("a peer, or another kind's options", function()
      assert.has_error(function()
        host.handle:link_add{ name = "mv0", kind = "macvlan", link = "eth0", peer = "x" }
      end,
        "link add mv0: a macvlan has no peer")
      assert.has_error(function()
        host.handle:link_add{ name = "mv0", kind = "macvlan", link = "eth0", vxlan = { id = 1 } }
      end,
        "link add mv0: option 'vxlan' needs kind \"vxlan\"")
      nothing_new()
    end)
  end)
end)
