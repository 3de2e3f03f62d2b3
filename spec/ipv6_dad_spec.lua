-- IPv6 without sleeping (nslab.dad): an address added without nodad is
-- usable when the next call needs it. Real DAD on a veth pair (nothing
-- here sets nodad or touches the DAD sysctls), cross-checked with `ip -j
-- -6 addr` in the same world: "tentative" and "dadfailed" are its flags.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local check = require("nslab.check")
local ipv6 = require("nslab.ipv6")
local core = require("nslab.core")

-- ip's addr_info entry for address on the device name of ns (nil: none).
local function ip_addr(ns, name, address)
  for _, l in ipairs(world.ip_json(ns, "-6 addr show dev " .. name)) do
    for _, a in ipairs(l.addr_info) do
      if a["local"] == address then return a end
    end
  end
end

-- checks that record into results instead of printing
local function checks()
  local results = {}
  local c = check.bind({ record = function(passed, description, detail)
    results[#results + 1] = { passed = passed, description = description, detail = detail }
    return passed
  end })
  return c, results
end

describe("IPv6 DAD", function()
  local a, b
  before_each(function()
    world.fresh()
    ipv6.reset()
    a, b = netns.add("a"), netns.add("b")
  end)
  after_each(ipv6.reset)

  it("is over when addr_add and up return: a check right after reaches the peer", function()
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    -- the order labs write: each end's address, then the end up; the first
    -- end gets carrier (and starts DAD) only when the second comes up
    va:addr_add("fd00::1/64"); va:up()
    vb:addr_add("fd00::2/64"); vb:up()
    assert.is_nil(ip_addr(a, "va", "fd00::1").tentative)
    assert.is_nil(ip_addr(b, "vb", "fd00::2").tentative)
    local c, results = checks()
    assert.is_true(c.reachable(a, "fd00::2", { count = 1, timeout = 1 }), results[1] and results[1].detail)
    assert.is_true(c.reachable(b, "fd00::1", { count = 1, timeout = 1 }), results[2] and results[2].detail)
  end)

  it("is over when addr_add returns on a device that is up with carrier", function()
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:up(); vb:up()
    va:addr_add("fd00::1/64")
    vb:addr_add("fd00::2/64")
    for _, x in ipairs{ { a, "va", "fd00::1" }, { b, "vb", "fd00::2" } } do
      local e = ip_addr(x[1], x[2], x[3])
      assert.is_table(e, x[3])
      assert.is_nil(e.tentative, x[3])
    end
    local c, results = checks()
    assert.is_true(c.reachable(a, "fd00::2", { count = 1, timeout = 1 }), results[1] and results[1].detail)
  end)

  it("{wait = false} does not wait, and a ping fails as the kernel says; the core's addr_add waits", function()
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:up(); vb:up()
    vb:addr_add("fd00::2/64")
    va:addr_add("fd00::3/64", { wait = false })
    assert.is_true(ip_addr(a, "va", "fd00::3").tentative)
    -- a tentative address is no source (the failure this wait is for)
    local r = a.handle:ping("fd00::2", { count = 1, timeout = 0.5 })
    assert.equal(0, r.received)
    assert.equal("EADDRNOTAVAIL", r.errno)
    a.handle:addr_add("va", "fd00::1/64")
    assert.is_nil(ip_addr(a, "va", "fd00::1").tentative)
    a.handle:addr_add("va", "fd00::5/64", { wait = false })
    assert.is_true(ip_addr(a, "va", "fd00::5").tentative)
  end)

  it("wait_ipv6: false while an address is tentative, true once ip shows none tentative", function()
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:up(); vb:up()
    va:addr_add("fd00::1/64", { wait = false })
    assert.is_true(ip_addr(a, "va", "fd00::1").tentative)
    local ok, address = va:wait_ipv6(0)
    assert.is_false(ok)
    assert.equal("fd00::1", address)
    local t0 = core.clock()
    assert.is_true(va:wait_ipv6(5))
    assert.is_true(core.clock() - t0 > 0.05, "it waited for DAD")
    assert.is_nil(ip_addr(a, "va", "fd00::1").tentative)
    for _, l in ipairs(world.ip_json(a, "-6 addr show dev va")) do
      for _, e in ipairs(l.addr_info) do assert.is_nil(e.tentative, e["local"]) end
    end
  end)

  it("wait_ipv6 on a device without carrier: false at the deadline, the address still tentative", function()
    local va = a:veth("va", "vb", { peer_netns = b })
    va:up() -- the peer is down: no carrier, no DAD
    va:addr_add("fd00::1/64")
    assert.is_true(ip_addr(a, "va", "fd00::1").tentative)
    local ok, address = va:wait_ipv6(0.2)
    assert.is_false(ok)
    assert.equal("fd00::1", address)
  end)

  it("a duplicate address: dadfailed is an error naming the address, which is removed again", function()
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:up(); vb:up()
    va:addr_add("fd00::1/64")
    assert.has_error(function() vb:addr_add("fd00::1/64") end,
      "addr add fd00::1/64 dev vb: duplicate address detection failed for fd00::1 on vb in netns b "
      .. "(dadfailed): another node on the link has it")
    assert.is_nil(ip_addr(b, "vb", "fd00::1"))
    -- the core's own wait says the same in its words
    assert.has_error(function() b.handle:addr_add("vb", "fd00::1/64") end,
      "addr add fd00::1/64 dev vb: duplicate address detection failed for fd00::1 (dadfailed): "
      .. "another node on the link has it")
    assert.is_nil(ip_addr(b, "vb", "fd00::1"))
    -- with wait = false the kernel keeps it, dadfailed, and wait_ipv6 says so
    vb:addr_add("fd00::1/64", { wait = false })
    assert.has_error(function() vb:wait_ipv6(5) end,
      "link wait_ipv6 vb: duplicate address detection failed for fd00::1 on vb in netns b (dadfailed): "
      .. "another node on the link has it")
    assert.is_true(ip_addr(b, "vb", "fd00::1").dadfailed)
  end)

  it("a bridge's address is usable once a port that is up joins it (the bridge then has carrier)", function()
    local br = a:bridge("br0")
    br:attach((a:veth("p0", "q0"))) -- a port that is down: the bridge has no carrier
    br:up()
    br:addr_add("fd00::1/64")
    assert.is_true(ip_addr(a, "br0", "fd00::1").tentative)
    local flags = table.concat(world.ip_json(a, "link show dev br0")[1].flags, ",")
    assert.is_nil(flags:find("LOWER_UP", 1, true), flags)
    local r, s2 = a:veth("r0", "s0")
    r:up(); s2:up()
    assert.is_true(ip_addr(a, "br0", "fd00::1").tentative)
    br:attach(r)
    assert.is_nil(ip_addr(a, "br0", "fd00::1").tentative)
  end)

  it("a duplicate found when a set starts DAD is that set's error, naming every address that failed", function()
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:addr_add("fd00::1/64"); vb:addr_add("fd00::1/64")
    va:up()
    -- both ends probe at once: the one whose probe comes second fails,
    -- or both when they cross
    local ok, err = pcall(vb.up, vb)
    assert.is_false(ok)
    assert.truthy(err:match("^link set vb: duplicate address detection failed for fd00::1 on v. in netns .+ "
                            .. "%(dadfailed%): another node on the link has %a+$"), err)
    local n = 0
    for _, e in ipairs{ { a, "va", "on va in netns a" }, { b, "vb", "on vb in netns b" } } do
      local failed = ip_addr(e[1], e[2], "fd00::1").dadfailed == true
      assert.equal(failed, err:find(e[3], 1, true) ~= nil, err)
      if failed then n = n + 1 end
    end
    assert.is_true(n >= 1)
  end)

  it("addr_wait: true, or false with the address and why", function()
    local va, vb = a:veth("va", "vb", { peer_netns = b })
    va:up(); vb:up()
    assert.is_true(a.handle:addr_wait("va"))
    va:addr_add("fd00::1/64", { wait = false })
    local ok, address, why = a.handle:addr_wait("va", { timeout = 0 })
    assert.same({ false, "fd00::1", "tentative" }, { ok, address, why })
    assert.is_true(a.handle:addr_wait(va.ifindex, { timeout = 5 }))
    assert.has_error(function() a.handle:addr_wait("va", { timout = 1 }) end)
  end)
end)
