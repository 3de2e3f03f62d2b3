-- bridge: a Linux bridge over rtnetlink (options, ports, the forwarding
-- database); everything nslab makes is read back in the same namespace
-- with `ip -j -d link`, `bridge -j link`, `bridge -j fdb` and sysfs (what
-- brctl reads).
local world = require("spec.support.world")
local netns = require("nslab.netns")
local json = require("dkjson")

-- `bridge -j ARGS` inside ns (default: the host), decoded.
local function bridge_json(ns, args)
  local r = (ns or netns.host()):exec("bridge -j " .. args)
  assert(r.status == 0, "bridge -j " .. args .. ": " .. r.stderr)
  return json.decode(r.stdout) or {}
end

local ip_link = world.ip_link

-- ip prints a bridge id with ether_ntoa ("8000.2:42:80:a4:a8:e"); brctl
-- zero-pads and drops the colons ("8000.024280a4a80e").
local function brctl_id(ip_id)
  local prio, mac = ip_id:match("^(%x+)%.(.*)$")
  return prio .. "." .. mac:gsub("%x+", function(b) return ("%02x"):format(tonumber(b, 16)) end):gsub(":", "")
end

local function has_flag(link, flag)
  for _, f in ipairs(link.flags) do if f == flag then return true end end
  return false
end

-- The FDB entries of bridge index br whose mac is mac (nslab's view).
local function fdb_entry(list, br, mac)
  for _, e in ipairs(list) do
    if e.master_index == br and e.mac == mac then return e end
  end
end

describe("bridge", function()
  local host, h
  before_each(function()
    world.fresh()
    host = netns.host()
    h = host.handle
  end)

  it("is created with the kernel's defaults, in seconds", function()
    h:link_add{ name = "br0", kind = "bridge" }
    local d = ip_link(nil, "br0").linkinfo.info_data
    local mine = h:link_get("br0").bridge
    assert.same({ 0, 30000, 1500, 200, 2000, 32768, 1 },
                { d.stp_state, d.ageing_time, d.forward_delay, d.hello_time, d.max_age, d.priority, d.mcast_snooping })
    assert.same({ false, 300, 15, 2, 20, 32768, true },
                { mine.stp, mine.ageing_time, mine.forward_delay, mine.hello_time, mine.max_age, mine.priority,
                  mine.mcast_snooping })
    -- no port and no address set: seed 002's "lxcbr0 8000.000000000000 no"
    assert.equal("8000.000000000000", mine.bridge_id)
    assert.equal(brctl_id(d.bridge_id), mine.bridge_id)
  end)

  it("is created with STP on, ageing time and forward delay (centiseconds to the kernel)", function()
    h:link_add{ name = "br0", kind = "bridge",
                bridge = { stp = true, ageing_time = 12.5, forward_delay = 4, hello_time = 1,
                           max_age = 10, priority = 0x1000, mcast_snooping = false } }
    local d = ip_link(nil, "br0").linkinfo.info_data
    assert.same({ 1, 1250, 400, 100, 1000, 4096, 0 },
                { d.stp_state, d.ageing_time, d.forward_delay, d.hello_time, d.max_age, d.priority, d.mcast_snooping })
    local mine = h:link_get("br0").bridge
    assert.same({ true, 12.5, 4, 1, 10, 4096, false },
                { mine.stp, mine.ageing_time, mine.forward_delay, mine.hello_time, mine.max_age, mine.priority,
                  mine.mcast_snooping })
    assert.equal("1000.", mine.bridge_id:sub(1, 5))
  end)

  it("is created with STP off, as `brctl stp lxcbr0 off`", function()
    h:link_add{ name = "lxcbr0", kind = "bridge", bridge = { stp = false } }
    assert.equal(0, ip_link(nil, "lxcbr0").linkinfo.info_data.stp_state)
    assert.is_false(h:link_get("lxcbr0").bridge.stp)
  end)

  it("changes an existing bridge's options, with other changes, in one message", function()
    h:link_add{ name = "br0", kind = "bridge" }
    h:link_set("br0", { up = true, bridge = { stp = true, ageing_time = 30, forward_delay = 2 } })
    local link = ip_link(nil, "br0")
    assert.same({ 1, 3000, 200 }, { link.linkinfo.info_data.stp_state, link.linkinfo.info_data.ageing_time,
                                   link.linkinfo.info_data.forward_delay })
    assert.is_true(has_flag(link, "UP"))
    h:link_set("br0", { bridge = { stp = false } })
    assert.equal(0, ip_link(nil, "br0").linkinfo.info_data.stp_state)
    assert.same({ false, 30 }, { h:link_get("br0").bridge.stp, h:link_get("br0").bridge.ageing_time })
  end)

  it("has a bridge id as brctl show prints it", function()
    h:link_add{ name = "docker0", kind = "bridge" }
    h:link_set("docker0", { address = "02:42:80:a4:a8:0e" })
    local id = h:link_get("docker0").bridge.bridge_id
    assert.equal("8000.024280a4a80e", id) -- seed 001's docker0
    assert.equal(id, world.sh(nil, "cat /sys/class/net/docker0/bridge/bridge_id"):match("%S+"))
    assert.equal(id, brctl_id(ip_link(nil, "docker0").linkinfo.info_data.bridge_id))
    -- the same through link_list
    assert.equal(id, world.find(h:link_list(), "ifname", "docker0").bridge.bridge_id)
  end)

  it("says a port in another namespace is there, not that the bridge is missing", function()
    local a, b = netns.add("a"), netns.add("b")
    local _, vb = a:veth("va", "vb", { peer_netns = b })
    local br = a:bridge("br0")
    assert.has_error(function() br:attach(vb) end, "link set vb: master br0 is in netns a, vb in netns b: a bridge "
      .. "takes ports of its own namespace (move it there first: set_netns)")
    assert.is_nil(world.ip_link(b, "vb").master)
  end)

  it("attaches two veth ends, shows them as bridge -j link does, and detaches them", function()
    h:link_add{ name = "br0", kind = "bridge" }
    host:veth("veth0", "peer0")
    host:veth("veth1", "peer1")
    local br = h:link_get("br0").ifindex
    h:link_set("veth0", { master = "br0" })   -- by name
    h:link_set("veth1", { master = br })      -- by ifindex
    local ports = bridge_json(nil, "link")
    assert.same({ "veth0", "veth1" }, world.pluck(ports, "ifname"))
    for _, name in ipairs{ "veth0", "veth1" } do
      local theirs, mine = world.find(ports, "ifname", name), h:link_get(name)
      assert.equal("br0", theirs.master)
      assert.equal(br, mine.master_index)
      assert.same({ theirs.state, theirs.priority, theirs.cost },
                  { mine.port.state, mine.port.priority, mine.port.cost })
      assert.equal("disabled", mine.port.state) -- down
      assert.same({ true, true }, { mine.port.learning, mine.port.flood })
    end
    -- brctl show's interfaces column
    local brif = {}
    for name in world.sh(nil, "ls /sys/class/net/br0/brif"):gmatch("%S+") do brif[#brif + 1] = name end
    assert.same({ "veth0", "veth1" }, brif)
    -- up (STP off): the port forwards
    for _, name in ipairs{ "br0", "veth0", "peer0" } do host:link(name):up() end
    assert.is_true(host:link("veth0"):wait("UP"))
    assert.equal("forwarding", h:link_get("veth0").port.state)
    assert.equal("forwarding", world.find(bridge_json(nil, "link"), "ifname", "veth0").state)
    -- nomaster
    h:link_set("veth0", { master = 0 })
    h:link_set("veth1", { master = 0 })
    assert.same({}, bridge_json(nil, "link"))
    assert.is_nil(h:link_get("veth0").port)
    assert.is_nil(h:link_get("veth0").master_index)
    assert.is_nil(h:link_get("br0").port)
  end)

  describe("with three namespaces on it", function()
    local ns, ports, br
    -- seed 004: net0..net2 on br0, 10.0.1.1-3/24, each eth0 with the MAC
    -- Docker would give 172.17.0.2-4, and IPv6 off so that the namespaces
    -- send nothing they are not asked to (a frame from a MAC moves even a
    -- static FDB entry to the port it came in on: static is not sticky).
    before_each(function()
      h:link_add{ name = "br0", kind = "bridge" }
      br = h:link_get("br0").ifindex
      ns, ports = {}, {}
      for i = 1, 3 do
        ns[i] = netns.add("net" .. (i - 1))
        local port, eth0 = host:veth("veth" .. i, "eth0", { peer_netns = ns[i] })
        eth0:set{ address = ("02:42:ac:11:00:%02x"):format(i + 1), addrgenmode = "none" }
        eth0:addr_add("10.0.1." .. i .. "/24")
        h:link_set("veth" .. i, { master = "br0" })
        eth0:up()
        port:up()
        ports[i] = port
      end
      host:link("br0"):up()
      for i = 1, 3 do
        assert.is_true(ns[i]:link("eth0"):wait("UP"))
        assert.is_true(ports[i]:wait("UP"))
      end
    end)

    it("forwards between every pair, and learns each MAC on its port", function()
      for i = 1, 3 do
        local others = {}
        for j = 1, 3 do if j ~= i then others[#others + 1] = "10.0.1." .. j end end
        for _, r in ipairs(ns[i]:ping(others, { timeout = 1 })) do
          assert.equal(1, r.received, "net" .. (i - 1) .. " -> " .. r.target)
        end
      end
      local fdb = h:neigh_list{ family = "bridge" }
      local theirs = bridge_json(nil, "-s fdb show br br0")
      for i = 1, 3 do
        local mac = ("02:42:ac:11:00:%02x"):format(i + 1)
        local e = fdb_entry(fdb, br, mac)
        assert.is_not_nil(e, mac)
        assert.equal(ports[i]:index(), e.ifindex)
        assert.equal("", e.state) -- learned, not local or static
        assert.same({}, e.flags)
        -- brctl showmacs' ageing timer: traffic just now
        assert.is_true(e.updated >= 0 and e.updated < 5, "ageing timer " .. e.updated)
        assert.is_true(e.used >= 0 and e.used < 5)
        local t = world.find(theirs, "mac", mac)
        assert.same({ "veth" .. i, "br0", "" }, { t.ifname, t.master, t.state })
        assert.is_true(math.abs(t.updated - e.updated) <= 1)
      end
      -- the bridge's table (learned and local entries) as bridge sees it;
      -- the devices' own entries change as IPv6 comes up on the ports
      local rows = {}
      for _, t in ipairs(bridge_json(nil, "fdb show br br0")) do
        if t.master == "br0" then
          rows[#rows + 1] = table.concat({ t.mac, h:link_get(t.ifname).ifindex, t.state }, " ")
        end
      end
      local mine = {}
      for _, e in ipairs(h:neigh_list{ family = "bridge" }) do
        if e.master_index == br then mine[#mine + 1] = table.concat({ e.mac, e.ifindex, e.state }, " ") end
      end
      table.sort(rows)
      table.sort(mine)
      assert.same(rows, mine)
      assert.equal(6, #mine) -- three learned MACs, three ports' own (local)
    end)

    it("adds and deletes static, dynamic and permanent entries as bridge fdb does", function()
      h:fdb_add("veth1", { mac = "02:00:00:00:00:01" })                       -- master static
      h:fdb_add("veth2", { mac = "02:00:00:00:00:02", static = false })       -- master dynamic
      h:fdb_add("veth3", { mac = "02:00:00:00:00:03", permanent = true })     -- master local
      h:fdb_add("veth3", { mac = "02:00:00:00:00:04", self = true })          -- the device's own
      local theirs = bridge_json(nil, "fdb show")
      local expect = {
        { "02:00:00:00:00:01", "veth1", "static", "br0", {} },
        { "02:00:00:00:00:02", "veth2", "", "br0", {} },
        { "02:00:00:00:00:03", "veth3", "permanent", "br0", {} },
        { "02:00:00:00:00:04", "veth3", "permanent", nil, { "self" } },
      }
      local fdb = h:neigh_list{ family = "bridge" }
      for _, x in ipairs(expect) do
        local t = world.find(theirs, "mac", x[1])
        assert.same(x, { t.mac, t.ifname, t.state, t.master, t.flags })
        local e = world.find(fdb, "mac", x[1])
        assert.same({ h:link_get(x[2]).ifindex, x[3], x[4] and br, x[5] },
                    { e.ifindex, e.state, e.master_index, e.flags })
      end
      -- replace: the same entry again is no error, and can change kind
      h:fdb_add("veth1", { mac = "02:00:00:00:00:01", static = false })
      assert.equal("", world.find(bridge_json(nil, "fdb show"), "mac", "02:00:00:00:00:01").state)
      h:fdb_del("veth1", { mac = "02:00:00:00:00:01" })
      h:fdb_del("veth3", { mac = "02:00:00:00:00:04", self = true })
      theirs = bridge_json(nil, "fdb show")
      assert.is_nil(world.find(theirs, "mac", "02:00:00:00:00:01"))
      assert.is_nil(world.find(theirs, "mac", "02:00:00:00:00:04"))
      assert.is_not_nil(world.find(theirs, "mac", "02:00:00:00:00:02"))
    end)

    it("delivers by a static entry on the right port, and not by one on the wrong port", function()
      -- net0 knows net1's MAC statically, so only the bridge's choice of
      -- port decides whether the echo reaches net1.
      ns[1].handle:neigh_add("eth0", { dst = "10.0.1.2", lladdr = "02:42:ac:11:00:03" })
      ns[2].handle:neigh_add("eth0", { dst = "10.0.1.1", lladdr = "02:42:ac:11:00:02" })
      h:fdb_add("veth3", { mac = "02:42:ac:11:00:03" }) -- wrong: net2's port
      assert.equal(0, ns[1]:ping("10.0.1.2", { timeout = 0.3 }).received)
      h:fdb_add("veth2", { mac = "02:42:ac:11:00:03" }) -- replace: the right port
      assert.equal(1, ns[1]:ping("10.0.1.2", { timeout = 1 }).received)
      assert.equal("veth2", world.find(bridge_json(nil, "fdb show br br0"), "mac", "02:42:ac:11:00:03").ifname)
    end)
  end)

  describe("errors", function()
    local br0_before
    before_each(function()
      h:link_add{ name = "br0", kind = "bridge" }
      h:link_add{ name = "br1", kind = "bridge" }
      host:veth("veth0", "veth1")
      br0_before = ip_link(nil, "br0").linkinfo.info_data
    end)

    local function links() return world.pluck(world.ip_json(nil, "link"), "ifname") end
    local function ports() return bridge_json(nil, "link") end

    it("an unknown bridge as master", function()
      assert.has_error(function() h:link_set("veth0", { master = "br9" }) end,
        "link set veth0: No such device (master br9 does not exist)")
      assert.has_error(function() h:link_set("veth0", { master = 999 }) end,
        "link set veth0: No such device (no master with ifindex 999)")
      assert.same({}, ports())
    end)

    it("a master that is not a bridge", function()
      assert.has_error(function() h:link_set("veth0", { master = "veth1" }) end,
        "link set veth0: Operation not supported (master veth1 is a veth, not a bridge)")
      assert.has_error(function() h:link_set("veth0", { master = "lo" }) end,
        "link set veth0: Operation not supported (master lo is a device of no kind, not a bridge)")
      assert.same({}, ports())
    end)

    it("a port already enslaved to another bridge stays where it is", function()
      h:link_set("veth0", { master = "br0" })
      -- the kernel alone would move it to br1 without a word
      assert.has_error(function() h:link_set("veth0", { master = "br1" }) end,
        "link set veth0: Device or resource busy (veth0 is already a port of br0)")
      -- and, asked for a master it refuses, leave it on no bridge at all
      assert.has_error(function() h:link_set("veth0", { master = "veth1" }) end,
        "link set veth0: Device or resource busy (veth0 is already a port of br0)")
      local p = ports()
      assert.equal(1, #p)
      assert.same({ "veth0", "br0" }, { p[1].ifname, p[1].master })
      -- the same master again is no change and no error
      h:link_set("veth0", { master = "br0" })
    end)

    it("a misspelled bridge option", function()
      assert.has_error(function() h:link_add{ name = "br2", kind = "bridge", bridge = { stpp = true } } end,
        "link add br2: invalid option 'bridge.stpp'")
      assert.has_error(function() h:link_set("br0", { bridge = { ageing = 10 } }) end,
        "link set br0: invalid option 'bridge.ageing'")
      assert.has_error(function() h:link_add{ name = "br2", kind = "bridge", bridge = { stp = "on" } } end,
        "link add br2: option 'bridge.stp' must be a boolean, got \"on\"")
      assert.has_error(function() h:link_add{ name = "br2", kind = "bridge", bridge = { ageing_time = -1 } } end,
        "link add br2: option 'bridge.ageing_time' must be a number 0..42949672, got -1")
      assert.has_error(function() h:link_add{ name = "br2", kind = "bridge", bridge = { priority = 65536 } } end,
        "link add br2: option 'bridge.priority' must be an integer 0..65535, got 65536")
      assert.has_error(function() h:link_add{ name = "br2", kind = "bridge", bridge = { max_age = 0 / 0 } } end,
        "link add br2: option 'bridge.max_age' must be a number 6..40, got nan")
      assert.is_nil(world.find(world.ip_json(nil, "link"), "ifname", "br2"))
      assert.same(br0_before, ip_link(nil, "br0").linkinfo.info_data)
    end)

    it("bridge options out of the kernel's range: all or nothing", function()
      assert.has_error(function() h:link_add{ name = "br2", kind = "bridge", bridge = { hello_time = 0.5 } } end,
        "link add br2: option 'bridge.hello_time' must be a number 1..10, got 0.5")
      assert.has_error(function()
        h:link_add{ name = "br2", kind = "bridge", bridge = { stp = true, forward_delay = 1 } }
      end,
        "link add br2: Numerical result out of range (forward_delay must be 2..30 s with STP on)")
      assert.is_nil(world.find(world.ip_json(nil, "link"), "ifname", "br2"))
      -- forward_delay comes before max_age in the kernel: neither happens
      assert.has_error(function() h:link_set("br0", { bridge = { forward_delay = 4, max_age = 1 } }) end,
        "link set br0: option 'bridge.max_age' must be a number 6..40, got 1")
      assert.same(br0_before, ip_link(nil, "br0").linkinfo.info_data)
      -- with STP already on, the kernel itself refuses
      h:link_set("br1", { bridge = { stp = true } })
      assert.has_error(function() h:link_set("br1", { bridge = { forward_delay = 1 } }) end,
        "link set br1: Numerical result out of range (forward_delay must be 2..30 s with STP on)")
      assert.equal(1500, ip_link(nil, "br1").linkinfo.info_data.forward_delay)
    end)

    it("bridge options for a device that is not a bridge", function()
      assert.has_error(function() h:link_set("veth0", { bridge = { stp = true } }) end,
        "link set veth0: Operation not supported (veth0 is not a bridge)")
      assert.has_error(function() h:link_add{ name = "v0", kind = "veth", peer = "v1", bridge = {} } end,
        "link add v0: option 'bridge' needs kind \"bridge\"")
      assert.same({ "br0", "br1", "lo", "veth0", "veth1" }, links())
    end)

    it("fdb entries: not a port, a bad MAC, a missing device, a missing entry", function()
      assert.has_error(function() h:fdb_add("veth0", { mac = "02:00:00:00:00:01" }) end,
        "fdb add 02:00:00:00:00:01 dev veth0: Operation not supported (not a bridge port)")
      h:link_set("veth0", { master = "br0" })
      assert.has_error(function() h:fdb_add("veth0", { mac = "02:00:zz" }) end,
        'fdb add veth0: option \'mac\' must be a hardware address (aa:bb:cc:dd:ee:ff), got "02:00:zz"')
      assert.has_error(function() h:fdb_add("veth0", { mac = "02:00:00:00:01" }) end,
        "fdb add 02:00:00:00:01 dev veth0: Invalid argument (invalid address)")
      assert.has_error(function() h:fdb_add("veth9", { mac = "02:00:00:00:00:01" }) end,
        "fdb add 02:00:00:00:00:01 dev veth9: No such device")
      assert.has_error(function() h:fdb_del("veth0", { mac = "02:00:00:00:00:09" }) end,
        "fdb del 02:00:00:00:00:09 dev veth0: No such file or directory")
      assert.has_error(function() h:fdb_add("veth0", { mac = "02:00:00:00:00:01", statik = true }) end,
        "fdb add veth0: invalid option 'statik'")
      assert.has_error(function()
        h:fdb_add("veth0", { mac = "02:00:00:00:00:01", static = true, permanent = true })
      end,
        "fdb add veth0: options 'static' and 'permanent' exclude each other")
      assert.has_error(function() h:fdb_add("veth0", { mac = "02:00:00:00:00:01", vlan = 4095 }) end,
        "fdb add veth0: option 'vlan' must be an integer 1..4094, got 4095")
      assert.has_error(function() h:neigh_list{ family = "ipx" } end,
        'neigh show: option \'family\' must be one of inet, inet6 or bridge, got "ipx"')
      for _, e in ipairs(bridge_json(nil, "fdb show")) do
        assert.is_not.equal("02:00:00:00:00:01", e.mac)
      end
    end)

    it("a deleted bridge says so, and bridge.add wants a namespace", function()
      local bridge = require("nslab.bridge")
      local br = host:bridge("br2")
      local port = host:veth("veth2", "veth3")
      br:attach(port)
      local old = br.ifindex
      h:link_del("br2")
      local msg = ("br2: No such device (deleted or moved away: ifindex %d was br2 in netns host)"):format(old)
      assert.has_error(function() br:ports() end, "link show " .. msg)
      assert.has_error(function() br:show() end, "link show " .. msg)
      assert.has_error(function() br:detach(port) end, "link show " .. msg)
      assert.has_error(function() br:attach(port) end, "link show " .. msg)
      assert.has_error(function() br:configure{ stp = true } end, "link show " .. msg)
      assert.is_nil(ip_link(nil, "veth2").master)
      assert.has_error(function() br:attach() end, "link set br2: argument 1 (port) must be a value, got nil")
      assert.has_error(function() br:ports(1) end, "link show br2: too many arguments (1 given, at most 0)")
      assert.has_error(function() bridge.add("nosuch", "br3") end,
        'link add br3: argument 1 (netns): netns "nosuch": no such namespace')
      assert.has_error(function() bridge.add(5, "br3") end,
        "link add br3: argument 1 (netns) must be a netns or a namespace name, got 5")
      assert.has_error(function() bridge.add(host, "br3", {}, 1) end,
        "link add: too many arguments (4 given, at most 3)")
      assert.is_nil(ip_link(nil, "br3"))
    end)

    -- BR_MAX_PORTS: port numbers 1..1023. Ports that stay down (no
    -- IPv6 traffic); both ends of each pair, so 512 pairs.
    it("a full bridge (1023 ports) refuses one more, naming the limit, and changes nothing", function()
      local br = host:bridge("brfull")
      for i = 1, 512 do
        local a, b = host:veth("fa" .. i, "fb" .. i)
        br:attach(a)
        if i < 512 then br:attach(b) end
      end
      assert.equal(1023, #bridge_json(nil, "link show master brfull"))
      assert.has_error(function() br:attach("fb512") end,
        "link set fb512: bridge brfull is full: a Linux bridge holds at most 1023 ports (BR_MAX_PORTS)")
      assert.is_nil(ip_link(nil, "fb512").master)
      assert.equal(1023, #bridge_json(nil, "link show master brfull"))
      -- a place is free again once a port goes
      br:detach("fa1")
      br:attach("fb512")
      assert.equal("brfull", ip_link(nil, "fb512").master)
    end)

    it("detach is of a port of this bridge", function()
      local br0 = netns.host():link("br0")
      assert.equal("bridge", br0:info().linkinfo.info_kind)
      local b0, b1 = require("nslab.bridge").new(host, "br0"), require("nslab.bridge").new(host, "br1")
      b0:attach("veth0")
      assert.has_error(function() b1:detach("veth0") end, "link set veth0: not a port of bridge br1")
      assert.equal("br0", ip_link(nil, "veth0").master)
      b0:detach("veth0")
      assert.is_nil(ip_link(nil, "veth0").master)
    end)
  end)
end)
