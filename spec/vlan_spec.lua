-- vlan and ipvlan: rows of the link-kind table for kinds this machine's
-- kernel may lack. Each test asks the kernel first and, where it says
-- "Unknown device type", is reported as skipped with that reason; where
-- the kind exists, what nslab made is read back with `ip -j -d link` and
-- the traced command replayed with ip.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
require("nslab.kinds")

local ip_link = world.ip_link

-- A skip says why (the summary lists only the test's name).
local function skip(why)
  io.stdout:write("# ", why, "\n")
  pending(why)
end

-- Make the device with fn; nil and the reason when the kernel has no
-- such kind (then nothing is left behind either).
local function make(kind, fn)
  local ok, err = pcall(fn)
  if ok then return true end
  if tostring(err):find("Unknown device type", 1, true) then
    assert.same({ "eth0", "eth1", "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    return nil, "this kernel has no " .. kind .. " devices: " .. tostring(err)
  end
  error(err, 0)
end

-- Replay the traced commands in a fresh world; return ip's view of name.
local function replayed(commands, name)
  world.fresh()
  netns.host():veth("eth0", "eth1")
  for _, command in ipairs(commands) do world.sh(nil, command) end
  return ip_link(nil, name)
end

describe("vlan and ipvlan", function()
  local host
  before_each(function()
    world.fresh()
    host = netns.host()
    host:veth("eth0", "eth1")
  end)

  it("a vlan of eth0 with id 5, as ip shows it and as its trace makes it", function()
    trace.clear()
    local ok, why = make("vlan", function() host:vlan("eth0.5", { link = "eth0", id = 5, protocol = "802.1ad" }) end)
    if not ok then return skip(why) end
    assert.same({ "ip link add eth0.5 link eth0 type vlan protocol 802.1ad id 5" }, trace.history)
    local ip = ip_link(nil, "eth0.5")
    assert.same({ "vlan", 5, "802.1ad" }, { ip.linkinfo.info_kind, ip.linkinfo.info_data.id,
                                             ip.linkinfo.info_data.protocol })
    local mine = host:link("eth0.5"):info()
    assert.same({ id = 5, protocol = "802.1ad" }, mine.vlan)
    local again = replayed({ table.unpack(trace.history) }, "eth0.5")
    assert.same(ip.linkinfo.info_data, again.linkinfo.info_data)
  end)

  it("an ipvlan of eth0 in l2 mode, private", function()
    trace.clear()
    local ok, why = make("ipvlan", function()
      host:ipvlan("ipv0", { link = "eth0", mode = "l2", flags = "private" })
    end)
    if not ok then return skip(why) end
    assert.same({ "ip link add ipv0 link eth0 type ipvlan mode l2 private" }, trace.history)
    local ip = ip_link(nil, "ipv0")
    assert.equal("l2", ip.linkinfo.info_data.mode)
    assert.same({ mode = "l2", flags = "private" }, host:link("ipv0"):info().ipvlan)
    assert.equal(ip_link(nil, "eth0").address, ip.address) -- the parent's MAC
    local again = replayed({ table.unpack(trace.history) }, "ipv0")
    assert.same(ip.linkinfo.info_data, again.linkinfo.info_data)
  end)

  it("refuses bad options before asking the kernel, whether it has the kind or not", function()
    assert.has_error(function() host:vlan("eth0.5", { id = 5 }) end,
      "link add eth0.5: a vlan needs a parent device (link)")
    assert.has_error(function() host:vlan("eth0.5", { link = "eth0" }) end,
      "link add eth0.5: option 'vlan.id' is required (an integer 0..4094)")
    assert.has_error(function() host:vlan("eth0.5", { link = "eth0", id = 4095 }) end,
      "link add eth0.5: option 'vlan.id' must be an integer 0..4094, got 4095")
    assert.has_error(function() host:ipvlan("ipv0", { link = "eth0", mode = "l4" }) end,
      "link add ipv0: option 'ipvlan.mode' must be one of l2, l3 or l3s, got \"l4\"")
    assert.same({ "eth0", "eth1", "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
  end)
end)
