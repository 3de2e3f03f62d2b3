-- settle: a probe right after the links came up is not lost to the link
-- watch (nslab.settle). Until the kernel has run it for a veth whose
-- carrier just came on, the device drops what it sends, so one echo sent
-- at once went unanswered in 1 to 3 of 4 tries before, and a one-echo
-- check.unreachable passed on a path that works.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local settle = require("nslab.settle")

describe("settle", function()
  before_each(function() world.fresh() end)

  -- a fresh pair between two fresh namespaces, both ends up, and nothing
  -- in between that would give the kernel time
  local function pair(i)
    local a, b = netns.add("a" .. i), netns.add("b" .. i)
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:addr_add("10.0.0.1/24")
    vb:addr_add("10.0.0.2/24")
    va:up()
    vb:up()
    return a, b, va, vb
  end

  it("a single echo sent right after up is answered, every time", function()
    for i = 1, 12 do
      local a, _, va, vb = pair(i)
      local r = a:ping("10.0.0.2", { count = 1, timeout = 1 })
      assert.equal(1, r.received, "pair " .. i .. ": the echo was lost")
      -- and the way it knew: both ends are through the link watch
      assert.equal("UP", va:info().operstate)
      assert.equal("UP", vb:info().operstate)
    end
  end)

  it("makes check.unreachable fail on a path that works, right after setup", function()
    local check = require("nslab.check").bind{
      record = function(passed) return passed end,
      host = function() return netns.host() end,
    }
    for i = 1, 12 do
      local a = pair(i)
      assert.is_false(check.unreachable(a, "10.0.0.2"), "pair " .. i .. ": passed on a working path")
    end
  end)

  it("waits for nothing when no link came up, and not for a link with no carrier", function()
    local a, b = netns.add("a"), netns.add("b")
    local va = a:veth("va", "vb", { peer_netns = b })
    va:addr_add("10.0.0.1/24")
    va:up() -- its peer is down: no carrier, nothing to wait for
    local r = a:ping("10.0.0.2", { count = 1, timeout = 0.2 })
    assert.equal(0, r.received)
    assert.equal("DOWN", va:info().operstate)
  end)

  it("keeps no namespace open: a link it noted goes with the lab's last reference to it", function()
    local before = world.open_fds()
    do
      local a, b = netns.new(), netns.new()
      local va, vb = a:veth("va", "vb", { peer_netns = b })
      va:up()
      vb:up()
    end
    collectgarbage()
    collectgarbage()
    assert.equal(before, world.open_fds())
  end)

  it("skips a noted link that is gone", function()
    local a, b = netns.add("a"), netns.add("b")
    local va = a:veth("va", "vb", { peer_netns = b })
    b:link("vb"):up()
    va:up()
    netns.delete(a)
    netns.delete(b)
    assert.has_no.errors(function() settle.before_probe() end)
  end)
end)
