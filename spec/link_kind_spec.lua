-- The link-kind table: every row's data, as nslab reads it back, is what
-- `ip -j -d link` prints for the same device; a kind with no row is sent
-- as it is; names and kinds are length-checked before any message.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

local ip_link = world.ip_link

describe("link kinds", function()
  local host, h
  before_each(function()
    world.fresh()
    host = netns.host()
    h = host.handle
    h:link_add{ name = "eth0", kind = "veth", peer = "eth1" }
  end)

  it("read back as ip -j -d prints them, field by field, for every row", function()
    h:link_add{ name = "br0", kind = "bridge", bridge = { stp = true, forward_delay = 4, priority = 4096 } }
    h:link_add{ name = "tap0", kind = "tap", tap = { vnet_hdr = true, owner = 4242 } }
    h:link_add{ name = "tun0", kind = "tun", tun = { pi = true, multi_queue = true, group = 4243 } }
    h:link_add{ name = "mv0", kind = "macvlan", link = "eth0", macvlan = { mode = "passthru" } }
    h:link_add{ name = "vx0", kind = "vxlan", vxlan = { id = 9, remote = "192.0.2.2", dstport = 4789 } }
    local checked = 0
    for _, name in ipairs{ "br0", "tap0", "tun0", "mv0", "vx0", "eth0" } do
      local ip, mine = ip_link(nil, name), h:link_get(name)
      assert.equal(ip.linkinfo.info_kind, mine.linkinfo.info_kind, name)
      for key, value in pairs(mine.linkinfo.info_data or {}) do
        assert.equal(ip.linkinfo.info_data[key], value, name .. " " .. key)
        checked = checked + 1
      end
    end
    assert.is_true(checked >= 25, checked)
    assert.same({ 1, 400, 4096 }, { h:link_get("br0").linkinfo.info_data.stp_state,
                                    h:link_get("br0").linkinfo.info_data.forward_delay,
                                    h:link_get("br0").bridge.priority })
    assert.same({ "tap", true, 4242 }, { h:link_get("tap0").tun.type, h:link_get("tap0").tun.vnet_hdr,
                                       h:link_get("tap0").tun.owner })
  end)

  it("are declared options: one table per row that has options", function()
    local add = core.options()["link add"]
    for _, kind in ipairs{ "bridge", "tun", "tap", "macvlan", "vxlan" } do
      assert.equal("table", add[kind].type, kind)
    end
    assert.is_true(add.vxlan.fields.id.required)
    assert.same({ "private", "vepa", "bridge", "passthru" }, add.macvlan.fields.mode.choices)
    assert.is_nil(add.veth) -- a veth's only option, peer, is everyone's
    assert.equal(core.options()["tuntap add"].pi.type, "boolean")
  end)

  it("a kind with no row goes to the kernel as it is (dummy, where the kernel has it)", function()
    local ok, err = pcall(h.link_add, h, { name = "d0", kind = "dummy" })
    if not ok and err:find("Unknown device type", 1, true) then
      io.stdout:write("# this kernel has no dummy devices: ", err, "\n")
      pending("this kernel has no dummy devices: " .. err)
      return
    end
    assert(ok, err)
    assert.equal("dummy", ip_link(nil, "d0").linkinfo.info_kind)
    assert.equal("dummy", h:link_get("d0").linkinfo.info_kind)
  end)

  it("refuses a kind no kernel knows with the kernel's words, and leaves nothing", function()
    assert.has_error(function() h:link_add{ name = "x0", kind = "nosuchkind" } end,
      "link add x0: Operation not supported (Unknown device type)")
    assert.has_error(function() h:link_add{ name = "x0", kind = "nosuchkind", nosuchkind = {} } end,
      "link add x0: invalid option 'nosuchkind'")
    assert.same({ "eth0", "eth1", "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
  end)

  it("checks names and kinds before building a message: 4 KB and 1 MB ones, NULs, empty", function()
    local big = string.rep("k", 4096)
    assert.has_error(function() h:link_add{ name = "x0", kind = big } end,
      "link add x0: option 'kind' must be a string of 1..31 bytes without NUL, got a string of 4096 bytes")
    assert.has_error(function() h:link_add{ name = "x0", kind = string.rep("k", 32) } end,
      "link add x0: option 'kind' must be a string of 1..31 bytes without NUL, got \"" .. string.rep("k", 32) .. "\"")
    assert.has_error(function() h:link_add{ name = string.rep("n", 1 << 20), kind = "veth" } end,
      "link add: option 'name' must be a string of 1..64 bytes without NUL, got a string of 1048576 bytes")
    assert.has_error(function() h:link_add{ name = "x0", kind = "veth", peer = string.rep("p", 4096) } end,
      "link add x0: option 'peer' must be a string of 0..64 bytes without NUL, got a string of 4096 bytes")
    assert.has_error(function() h:link_add{ name = "x0", kind = "veth", peer = "p\0q" } end,
      "link add x0: option 'peer' must be a string of 0..64 bytes without NUL, got a string with a NUL byte")
    assert.has_error(function() h:link_add{ name = "x0", kind = "" } end,
      "link add x0: option 'kind' must be a string of 1..31 bytes without NUL, got \"\"")
    assert.has_error(function() h:link_add{ name = "x0", kind = "veth", mtu = 70000 } end,
      "link add x0: option 'mtu' must be an integer 68..65535, got 70000")
    assert.has_error(function() h:link_add({ name = "x0", kind = "veth" }, 1) end,
      "link add: too many arguments (2 given, at most 1)")
    assert.same({ "eth0", "eth1", "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
  end)

  it("makes a tap with the kernel's number through link_add too", function()
    assert.equal("tap0", h:link_add{ name = "tap%d", kind = "tap" })
    assert.equal("tap1", h:link_add{ name = "tap%d", kind = "tap" })
    assert.equal("tap", ip_link(nil, "tap1").linkinfo.info_data.type)
    local other = netns.add("other")
    assert.equal("tap0", h:link_add{ name = "tap%d", kind = "tap", netns = other.handle })
    assert.equal("tap", ip_link(other, "tap0").linkinfo.info_data.type)
    assert.has_error(function() h:link_add{ name = "tap2", kind = "tap", mtu = 1400 } end,
      "link add tap2: a tap is made with ioctls: set its mtu after")
    assert.has_error(function() h:link_add{ name = "br0", kind = "bridge", link = "eth0" } end,
      "link add br0: a bridge has no parent device (link)")
  end)
end)
