-- vxlan: a VXLAN tunnel end, one row of the core's link-kind table;
-- read back with `ip -j -d link` in the same world, and the traced
-- commands replayed with ip build the same devices.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
require("nslab.kinds")

local ip_link = world.ip_link

-- What ip says of the vxlans of ns, one line each.
local function vxlans(ns)
  local rows = {}
  for _, l in ipairs(world.ip_json(ns, "-d link")) do
    if l.linkinfo and l.linkinfo.info_kind == "vxlan" then
      local d = l.linkinfo.info_data
      rows[#rows + 1] = table.concat({ l.ifname, d.id, d.remote or d.remote6 or "", d.group or d.group6 or "",
        d["local"] or d.local6 or "", d.port, d.link or "", tostring(d.learning), l.mtu }, " ")
    end
  end
  table.sort(rows)
  return rows
end

describe("vxlan", function()
  local host
  before_each(function()
    world.fresh()
    host = netns.host()
    local eth0 = host:veth("eth0", "eth1")
    eth0:addr_add("192.0.2.1/24")
  end)

  it("is created with a unicast remote, a port and no learning, as ip shows it", function()
    trace.clear()
    local vx = host:vxlan("vx0", { id = 42, dstport = 4789, remote = "192.0.2.2", dev = "eth0", learning = false })
    assert.same({ "ip link add vx0 type vxlan id 42 remote 192.0.2.2 dstport 4789 dev eth0 nolearning",
                  "ip link set dev vx0 addrgenmode none" }, trace.history)
    local d = ip_link(nil, "vx0").linkinfo.info_data
    assert.same({ 42, "192.0.2.2", 4789, "eth0", false }, { d.id, d.remote, d.port, d.link, d.learning })
    local mine = vx:info()
    for _, key in ipairs{ "id", "remote", "port", "learning" } do
      assert.equal(d[key], mine.linkinfo.info_data[key], key)
    end
    assert.same({ id = 42, remote = "192.0.2.2", dstport = 4789, dev = host:link("eth0"):index(), learning = false },
                mine.vxlan)
  end)

  it("takes a multicast group and a local address, and IPv6 ones", function()
    host:vxlan("vx0", { id = 7, group = "239.1.1.1", ["local"] = "192.0.2.1", dev = "eth0" })
    local d = ip_link(nil, "vx0").linkinfo.info_data
    assert.same({ "239.1.1.1", "192.0.2.1", true }, { d.group, d["local"], d.learning })
    assert.same({ group = "239.1.1.1", ["local"] = "192.0.2.1" },
                { group = host:link("vx0"):info().vxlan.group, ["local"] = host:link("vx0"):info().vxlan["local"] })
    host:vxlan("vx6", { id = 8, remote = "2001:db8::2", ["local"] = "2001:db8::1", dstport = 4789 })
    local d6 = ip_link(nil, "vx6").linkinfo.info_data
    local mine = host:link("vx6"):info().linkinfo.info_data
    assert.same({ "2001:db8::2", "2001:db8::1" }, { d6.remote6, d6.local6 })
    assert.same({ d6.remote6, d6.local6 }, { mine.remote6, mine.local6 })
  end)

  it("gets the kernel's defaults: port 8472, learning on", function()
    host:vxlan("vx0", { id = 1 })
    local d = ip_link(nil, "vx0").linkinfo.info_data
    assert.same({ 8472, true }, { d.port, d.learning })
    assert.same({ id = 1, dstport = 8472, learning = true }, host:link("vx0"):info().vxlan)
  end)

  it("replayed with ip, the traced commands make the same devices", function()
    local other = netns.add("other")
    trace.clear()
    host:vxlan("vx0", { id = 42, dstport = 4789, remote = "192.0.2.2", dev = "eth0", learning = false })
    host:vxlan("vx1", { id = 43, group = "239.1.1.1", dev = host:link("eth0"), ["local"] = "192.0.2.1" })
    host:vxlan("vx2", { id = 44, remote = "2001:db8::2", netns = other, mtu = 1400 })
    host:vxlan("vx3", { id = 45, remote = "192.0.2.3", dev = host:link("eth0"):index() })
    local commands = { table.unpack(trace.history) }
    local want = { vxlans(nil), vxlans(other) }
    assert.equal(3, #want[1])
    world.fresh()
    host = netns.host()
    host:veth("eth0", "eth1"):addr_add("192.0.2.1/24")
    netns.add("other")
    for _, command in ipairs(commands) do world.sh(nil, command) end
    assert.same(want, { vxlans(nil), vxlans(netns.open("other")) })
  end)

  describe("errors, leaving nothing behind", function()
    local function nothing_new()
      assert.same({ "eth0", "eth1", "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end

    it("no id, or one out of range", function()
      assert.has_error(function() host:vxlan("vx0", { dstport = 4789 }) end,
        "link add vx0: option 'vxlan.id' is required (an integer 0..16777215)")
      assert.has_error(function() host:vxlan("vx0") end,
        "link add vx0: option 'vxlan.id' is required (an integer 0..16777215)")
      assert.has_error(function() host:vxlan("vx0", { id = 2 ^ 24 }) end,
        "link add vx0: option 'vxlan.id' must be an integer 0..16777215, got 16777216")
      assert.has_error(function() host:vxlan("vx0", { id = 1, dstport = 0 }) end,
        "link add vx0: option 'vxlan.dstport' must be an integer 1..65535, got 0")
      nothing_new()
    end)

    it("remote and group mixed up", function()
      assert.has_error(function() host:vxlan("vx0", { id = 1, remote = "192.0.2.2", group = "239.1.1.1" }) end,
        "link add vx0: vxlan takes remote or group, not both")
      assert.has_error(function() host:vxlan("vx0", { id = 1, remote = "239.1.1.1" }) end,
        "link add vx0: vxlan remote must be unicast (a multicast address is a group)")
      assert.has_error(function() host:vxlan("vx0", { id = 1, group = "192.0.2.2" }) end,
        "link add vx0: vxlan group must be a multicast address")
      assert.has_error(function() host:vxlan("vx0", { id = 1, remote = "2001:db8::2", ["local"] = "192.0.2.1" }) end,
        "link add vx0: vxlan local and remote must be of one family")
      assert.has_error(function() host:vxlan("vx0", { id = 1, remote = "192.0.2.0/24" }) end,
        "link add vx0: option 'vxlan.remote' must be an IPv4 or IPv6 address, got \"192.0.2.0/24\"")
      nothing_new()
    end)

    it("an underlay device that is not there, a misspelled option", function()
      assert.has_error(function() host:vxlan("vx0", { id = 1, dev = "eth9" }) end,
        "link add vx0: option 'vxlan.dev' must be a device here, got \"eth9\" (No such device)")
      assert.has_error(function() host:vxlan("vx0", { id = 1, learnin = false }) end,
        "link add vx0: invalid option 'vxlan.learnin'")
      assert.has_error(function() host:vxlan("vx0", { id = 1, learning = "no" }) end,
        "link add vx0: option 'vxlan.learning' must be a boolean, got \"no\"")
      nothing_new()
    end)
  end)
end)
