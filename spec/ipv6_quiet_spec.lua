-- IPv6 quiet where a lab does not use it (nslab.ipv6): the links the
-- friendly API makes get addrgenmode none unless the lab uses IPv6; an
-- IPv6 address gives its link the kernel's address generation back, with
-- its link-local address. Cross-checked with `ip -j -d link` and `ip -j
-- addr` in the same world, and the traced commands replayed with ip.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
local ipv6 = require("nslab.ipv6")
local lab = require("nslab.lab")
local core = require("nslab.core")
require("nslab.kinds")

-- ip's inet6_addr_gen_mode of the device name in ns (nil: the host).
local function gen_mode(ns, name)
  local l = world.ip_link(ns, name)
  assert(l, "no device " .. name)
  return l.inet6_addr_gen_mode
end

-- The IPv6 addresses ip shows on the device name of ns, sorted.
local function inet6(ns, name)
  local out = {}
  for _, l in ipairs(world.ip_json(ns, "addr show dev " .. name)) do
    for _, a in ipairs(l.addr_info) do
      if a.family == "inet6" then out[#out + 1] = a["local"] .. "/" .. a.prefixlen end
    end
  end
  table.sort(out)
  return out
end

local function link_local(ns, name)
  for _, a in ipairs(inet6(ns, name)) do
    if a:match("^fe80:") then return a end
  end
end

-- Wait (up to 2 s) until the device has a link-local address.
local function wait_link_local(ns, name)
  local deadline = core.clock() + 2
  repeat
    local a = link_local(ns, name)
    if a then return a end
    core.sleep(0.01)
  until core.clock() > deadline
end

describe("ipv6 quiet", function()
  local host
  before_each(function()
    world.fresh()
    ipv6.reset()
    host = netns.host()
  end)
  after_each(ipv6.reset)

  describe("links made with IPv6 unused", function()
    it("a veth has addrgenmode none on both ends, wherever they are born, and no inet6 once up", function()
      local a, b = netns.add("a"), netns.add("b")
      trace.clear()
      local h, e = host:veth("veth0", "eth0", { peer_netns = a })
      local x, y = host:veth("x0", "y0", { netns = a, peer_netns = b })
      local p = host:veth("p0", "p1", { netns = b }) -- its peer stays here
      assert.same({
        "ip link add veth0 type veth peer name eth0 netns a",
        "ip link set dev veth0 addrgenmode none",
        "ip -n a link set dev eth0 addrgenmode none",
        "ip link add x0 netns a type veth peer name y0 netns b",
        "ip -n a link set dev x0 addrgenmode none",
        "ip -n b link set dev y0 addrgenmode none",
        "ip link add p0 netns b type veth peer name p1",
        "ip -n b link set dev p0 addrgenmode none",
        "ip link set dev p1 addrgenmode none",
      }, trace.history)
      assert.same({ "none", "none", "none", "none", "none", "none" },
                  { gen_mode(nil, "veth0"), gen_mode(a, "eth0"), gen_mode(a, "x0"), gen_mode(b, "y0"),
                    gen_mode(b, "p0"), gen_mode(nil, "p1") })
      for _, l in ipairs{ h, e, x, y, p } do l:up() end
      assert.is_true(h:wait("UP") and e:wait("UP"))
      core.sleep(0.1)
      assert.same({}, inet6(nil, "veth0"))
      assert.same({}, inet6(a, "eth0"))
      assert.equal("none", h:info().inet6_addr_gen_mode) -- nslab's table says what ip says
    end)

    it("a bridge, a macvlan, a vxlan and a tap too, and docker0 with its containers", function()
      local br = host:bridge("br0")
      host:veth("eth0", "eth1")
      host:macvlan("mv0", { link = "eth0", mode = "bridge" })
      host:vxlan("vx0", { id = 42, remote = "192.0.2.2", dstport = 4789, dev = "eth0" })
      host:tuntap("tap0", "tap")
      br:up()
      for _, name in ipairs{ "br0", "eth0", "eth1", "mv0", "vx0", "tap0" } do
        assert.equal("none", gen_mode(nil, name), name)
      end
      assert.same({}, inet6(nil, "br0"))
      local docker = require("nslab.docker")
      docker.reset()
      local c = docker.run{ name = "c1" }
      assert.equal("none", gen_mode(nil, "docker0"))
      assert.equal("none", gen_mode(nil, c.veth))
      assert.equal("none", gen_mode(c.netns, "eth0"))
      assert.same({}, inet6(c.netns, "eth0"))
      docker.stop("c1")
      docker.reset()
    end)

    it("replayed with ip, the traced commands make the same modes", function()
      trace.clear()
      local was = trace.record(true)
      local a = netns.add("a")
      host:veth("veth0", "eth0", { peer_netns = a })
      host:bridge("br0")
      host:veth("veth1", "veth2"):set{ up = true }
      host:macvlan("mv0", { link = "veth1", netns = a })
      host:tuntap("tap%d", "tap")
      trace.record(was)
      local commands = { table.unpack(trace.history) }
      local function modes()
        local out = {}
        for _, ns in ipairs{ netns.host(), netns.open("a") } do
          for _, l in ipairs(world.ip_json(ns, "-d link")) do
            out[#out + 1] = l.ifname .. " " .. tostring(l.inet6_addr_gen_mode)
          end
        end
        table.sort(out)
        return out
      end
      local want = modes()
      assert.truthy(want[1])
      world.fresh()
      netns.reset()
      for _, command in ipairs(commands) do world.sh(nil, command) end
      assert.same(want, modes())
    end)

    it("an mtu below 1280 has no IPv6 to quiet: the veth is made as asked", function()
      trace.clear()
      host:veth("low0", "low1", { mtu = 1200 })
      assert.same({ "ip link add low0 mtu 1200 type veth peer name low1 mtu 1200" }, trace.history)
      assert.is_nil(gen_mode(nil, "low0"))
      -- a macvlan on it inherits the mtu, and is made as ip would make it
      host:macvlan("mv0", { link = "low0" })
      assert.is_nil(gen_mode(nil, "mv0"))
    end)
  end)

  describe("the core's option", function()
    it("link_add{addrgenmode = ...} sets each end right after the create", function()
      local a = netns.add("a")
      host.handle:link_add{ name = "v0", kind = "veth", peer = "v1", peer_netns = a.handle,
                            addrgenmode = "random" }
      assert.same({ "random", "random" }, { gen_mode(nil, "v0"), gen_mode(a, "v1") })
      -- a veth without a peer name: its peer, named by the kernel, is found by its index
      host.handle:link_add{ name = "w0", kind = "veth", netns = a.handle, addrgenmode = "none" }
      local peer = host.handle:link_get(a.handle:link_get("w0").link_index)
      assert.same({ "none", "none" }, { gen_mode(a, "w0"), peer.inet6_addr_gen_mode })
    end)

    it("a kind's method takes it too, traced as ip would set it", function()
      host:veth("eth0", "eth1")
      trace.clear()
      host:macvlan("mv0", { link = "eth0", addrgenmode = "random" })
      assert.same({ "ip link add mv0 link eth0 type macvlan",
                    "ip link set dev mv0 addrgenmode random" }, trace.history)
      assert.equal("random", gen_mode(nil, "mv0"))
    end)

    it("refuses a mode that is none, and an mtu without IPv6, before anything is made", function()
      assert.has_error(function()
        host.handle:link_add{ name = "v0", kind = "veth", peer = "v1", addrgenmode = "eui48" }
      end, 'link add v0: option \'addrgenmode\' must be one of eui64, none, stable_privacy or random, got "eui48"')
      assert.has_error(function()
        host.handle:link_add{ name = "v0", kind = "veth", peer = "v1", mtu = 1000, addrgenmode = "none" }
      end, "link add v0: addrgenmode needs IPv6, which is off below mtu 1280")
      assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)

    it("undoes the creation when the kernel refuses the mode", function()
      host:veth("low0", "low1", { mtu = 1200 })
      assert.has_error(function()
        host.handle:link_add{ name = "mv0", kind = "macvlan", link = "low0", addrgenmode = "none" }
      end, "link add mv0: setting addrgenmode after the create: Address family not supported by protocol")
      assert.same({ "lo", "low0", "low1" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)
  end)

  describe("a lab that uses IPv6", function()
    it("an IPv6 address on a link that is down gives it the kernel's mode; up, it has its link-local", function()
      local a = netns.add("a")
      local h, e = host:veth("veth0", "eth0", { peer_netns = a })
      trace.clear()
      h:addr_add("2001:db8::1/64", { nodad = true })
      assert.same({ "ip addr add 2001:db8::1/64 dev veth0 nodad", "ip link set dev veth0 addrgenmode eui64" },
                  trace.history)
      assert.equal("eui64", gen_mode(nil, "veth0"))
      assert.equal("none", gen_mode(a, "eth0")) -- the other end has no IPv6 address yet
      h:up()
      e:up()
      assert.truthy(wait_link_local(nil, "veth0"))
      assert.is_nil(link_local(a, "eth0"))
      h:addr_add("2001:db8::3/64") -- already on: nothing more
      assert.equal("eui64", gen_mode(nil, "veth0"))
    end)

    it("an IPv6 address on a link that is up makes its link-local at once (the sysctl, not the setlink)", function()
      local a = netns.add("a")
      local h, e = host:veth("veth0", "eth0", { peer_netns = a })
      h:addr_add("192.168.1.1/24") -- IPv4 changes nothing
      assert.equal("none", gen_mode(nil, "veth0"))
      h:up()
      e:up()
      assert.is_true(e:wait("UP"))
      trace.clear()
      e:addr_add("2001:db8::2/64")
      assert.same({ "ip -n a addr add 2001:db8::2/64 dev eth0",
                    "ip netns exec a sysctl -w net.ipv6.conf.eth0.addr_gen_mode=0",
                    "while ip -n a -6 addr show dev eth0 tentative | grep -q inet6; do sleep 0.02; done" },
                  trace.history)
      assert.equal("eui64", gen_mode(a, "eth0"))
      assert.truthy(wait_link_local(a, "eth0"))
      -- and IPv6 works across: both ends with addresses, found by neighbour discovery
      h:addr_add("2001:db8::1/64")
      assert.is_true(h:wait_ipv6() and e:wait_ipv6())
      local deadline = core.clock() + 5
      local function answered() return a:ping("2001:db8::1", { count = 1, timeout = 0.5 }).received > 0 end
      local ok = answered()
      while not ok and core.clock() < deadline do ok = answered() end
      assert.is_true(ok)
    end)

    it("replayed with ip, the commands give the same link-locals", function()
      trace.clear()
      local was = trace.record(true)
      local a = netns.add("a")
      local h, e = host:veth("veth0", "eth0", { peer_netns = a })
      h:addr_add("2001:db8::1/64", { nodad = true })
      h:up()
      e:up()
      e:addr_add("2001:db8::2/64", { nodad = true })
      trace.record(was)
      local commands = { table.unpack(trace.history) }
      local function state()
        return { gen_mode(nil, "veth0"), gen_mode(netns.open("a"), "eth0"),
                 wait_link_local(nil, "veth0") ~= nil, wait_link_local(netns.open("a"), "eth0") ~= nil }
      end
      local want = state()
      assert.same({ "eui64", "eui64", true, true }, want)
      world.fresh()
      netns.reset()
      for _, command in ipairs(commands) do world.sh(nil, command) end
      assert.same(want, state())
    end)

    it("nslab.ipv6(true) keeps the kernel's IPv6; false keeps it off even with IPv6 addresses", function()
      assert.equal("auto", ipv6.set(true))
      assert.is_true(require("nslab").ipv6())
      trace.clear()
      local h, e = host:veth("veth0", "eth0")
      host:bridge("br0")
      assert.same({ "ip link add veth0 type veth peer name eth0", "ip link add br0 type bridge" }, trace.history)
      assert.equal("eui64", gen_mode(nil, "veth0"))
      h:up()
      e:up() -- addrconf waits for carrier
      assert.truthy(wait_link_local(nil, "veth0"))
      assert.is_true(ipv6.set(false))
      local x = host:veth("x0", "x1")
      x:addr_add("2001:db8::1/64", { nodad = true })
      x:up()
      assert.equal("none", gen_mode(nil, "x0"))
      core.sleep(0.1)
      assert.same({ "2001:db8::1/64" }, inet6(nil, "x0"))
    end)

    it("nslab.ipv6 refuses what is no mode", function()
      for _, bad in ipairs{ { "yes", 'ipv6: argument 1 (mode) must be true, false or "auto", got "yes"' },
                            { 1, 'ipv6: argument 1 (mode) must be true, false or "auto", got 1' },
                            { {}, 'ipv6: argument 1 (mode) must be true, false or "auto", got table' } } do
        assert.has_error(function() ipv6.set(bad[1]) end, bad[2])
      end
      assert.has_error(function() ipv6.set(nil) end, 'ipv6: argument 1 (mode) must be true, false or "auto", got nil')
      assert.has_error(function() ipv6(true, 1) end, "ipv6: too many arguments (2 given, at most 1)")
      assert.equal("auto", ipv6())
    end)
  end)

  describe("the lab output", function()
    local function run(code)
      local lines = {}
      local status = lab.run_string(code, "t", {
        writer = function(text) lines[#lines + 1] = text end, color = "never",
        globals = function() return require("nslab").globals() end })
      return status, table.concat(lines)
    end

    it("says once what changed and why, at the first link made with IPv6 off", function()
      local status, out = run([[
        lab "quiet"
        host:veth("veth0", "eth0")
        host:veth("veth1", "eth1")
        host:bridge("br0")
      ]])
      assert.equal(0, status)
      local _, n = out:gsub("IPv6 address generation is off", "")
      assert.equal(1, n)
      local first = out:find("$ ip link add veth0", 1, true)
      local note = out:find("    # " .. ipv6.NOTE .. "\n", 1, true)
      local set = out:find("$ ip link set dev veth0 addrgenmode none", 1, true)
      assert.truthy(first and note and set and first < note and note < set)
    end)

    it("says nothing when the lab keeps IPv6, and the next lab starts quiet again", function()
      local _, out = run([[
        lab("loud", { ipv6 = true })
        host:veth("veth0", "eth0")
      ]])
      assert.is_nil(out:find("addrgenmode", 1, true))
      assert.equal("eui64", gen_mode(nil, "veth0"))
      world.fresh()
      local _, again = run([[ host:veth("veth0", "eth0") ]])
      assert.truthy(again:find("IPv6 address generation is off", 1, true))
      assert.equal("none", gen_mode(nil, "veth0"))
    end)
  end)
end)
