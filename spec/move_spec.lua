-- move: the tutorials' order (a veth pair made in one namespace, then an
-- end moved with set_netns) as nslab.pending runs it: the pair is made at
-- its first observation with each end born where it was moved, so no
-- move happens. Nothing may tell the difference but the time: ip inside
-- the world shows what the eager order shows after every step, at the end
-- of a lab that never looked, and after replaying the trace with ip;
-- errors come at the same step with the same words.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local pending = require("nslab.pending")
local trace = require("nslab.trace")

-- Every namespace of a scenario by name ("host" for the world's own).
local function spaces(env)
  local all = { host = netns.host() }
  for name, ns in pairs(env) do
    if netns.is(ns) then all[name] = ns end
  end
  return all
end

-- What ip says about every namespace: per device its name, flags, state,
-- mtu, kind, master, IPv6 address generation, the MAC when the lab set it
-- (02:00:00:...), its peer as NS/NAME (found by index across namespaces:
-- ip prints a peer elsewhere as an index only, and indexes may differ
-- between two builds), and its IPv4 addresses; and the namespace list.
local function snapshot_once(env)
  local all, links = spaces(env), {}
  for name, ns in pairs(all) do links[name] = world.ip_json(ns, "-d link") end
  local function peer_of(name, l)
    if l.link then return name .. "/" .. l.link end
    if not l.link_netnsid then return "" end
    local found = {}
    for other, list in pairs(links) do
      if other ~= name then
        for _, p in ipairs(list) do
          if p.ifindex == l.link_index and p.link_index == l.ifindex and p.link_netnsid then
            found[#found + 1] = other .. "/" .. p.ifname
          end
        end
      end
    end
    return #found == 1 and found[1] or "?" .. #found
  end
  local state = { netns = netns.list() }
  for name, ns in pairs(all) do
    local rows = {}
    for _, l in ipairs(links[name]) do
      local mac = l.address and l.address:match("^02:00:00") and l.address or ""
      rows[#rows + 1] = table.concat({ l.ifname, table.concat(l.flags, ","), l.operstate, l.mtu,
        l.linkinfo and l.linkinfo.info_kind or "", l.master or "", peer_of(name, l), mac,
        l.inet6_addr_gen_mode or "" }, " ")
    end
    for _, l in ipairs(world.ip_json(ns, "-4 addr")) do
      for _, a in ipairs(l.addr_info) do rows[#rows + 1] = l.ifname .. " inet " .. a["local"] .. "/" .. a.prefixlen end
    end
    table.sort(rows)
    state[name] = rows
  end
  return state
end

-- The same once it holds still: the kernel turns carrier into operstate
-- from a work queue (linkwatch, up to a second later), so right after `up`
-- a device may have carrier (LOWER_UP) and still say DOWN.
local function snapshot(env)
  local core = require("nslab.core")
  local deadline = core.clock() + 3
  while true do
    local state = snapshot_once(env)
    local moving = false
    for _, rows in pairs(state) do
      for _, row in ipairs(rows) do
        local flags, oper = row:match("^%S+ (%S+) (%S+)")
        moving = moving or (flags and flags:find("LOWER_UP", 1, true) ~= nil and oper ~= "UP" and oper ~= "UNKNOWN")
      end
    end
    if not moving or core.clock() > deadline then return state end
    core.sleep(0.05)
  end
end

-- The tutorials' scenarios: steps over a shared table, moves = how many
-- set_netns calls a lab that never looks can leave to the pair's making.
local scenarios = {
  {
    name = "seed 001: a pair in the host, one end moved by name",
    moves = 1,
    function(env) env.ns1 = netns.add("ns1") end,
    function() netns.host():veth("veth-a", "veth-b") end,
    function(env) netns.host():link("veth-b"):set_netns(env.ns1) end,
    function(env)
      env.ns1:link("veth-b"):addr_add("10.0.0.2/24")
      env.ns1:link("veth-b"):up()
    end,
    function()
      netns.host():link("veth-a"):addr_add("10.0.0.1/24")
      netns.host():link("veth-a"):up()
    end,
  },
  {
    name = "labs/veth.lua: both ends moved, each to its namespace",
    moves = 2,
    function(env) env.test1, env.test2 = netns.add("test1"), netns.add("test2") end,
    function(env) env.a, env.b = netns.host():veth("veth-test1", "veth-test2") end,
    function(env) env.a:set_netns(env.test1) end,
    function(env) env.b:set_netns("test2") end,
    function(env)
      env.a:addr_add("192.168.1.1/24")
      env.b:addr_add("192.168.1.2/24")
      env.a:up()
      env.b:up()
    end,
  },
  {
    name = "seed 002: moved and renamed eth0 on the way, the host end on a bridge",
    moves = 2,
    function(env)
      env.c1, env.c2 = netns.add("c1"), netns.add("c2")
      env.br = netns.host():bridge("br0")
    end,
    function()
      netns.host():veth("veth1", "tmp1")
      netns.host():veth("veth2", "tmp2")
    end,
    function(env)
      netns.host():link("tmp1"):set_netns(env.c1, "eth0")
      netns.host():link("tmp2"):set{ netns = env.c2, name = "eth0" }
    end,
    function(env)
      env.br:attach(netns.host():link("veth1"))
      env.br:attach(netns.host():link("veth2"))
      env.c1:link("eth0"):up()
      netns.host():link("veth1"):up()
    end,
  },
  {
    name = "an end moved twice, the other end moved after it, one back home",
    moves = 4,
    function(env) env.ns1, env.ns2 = netns.add("ns1"), netns.add("ns2") end,
    function(env) env.x, env.y = netns.host():veth("x0", "y0") end,
    function(env)
      env.y:set_netns(env.ns1)
      env.y:set_netns(env.ns2, "y1")
    end,
    function(env) env.x:set_netns(env.ns1) end,
    function(env) env.x:set_netns(netns.host()) end,
  },
  {
    name = "a pair made in another namespace (netns option), its peer moved from there",
    moves = 1,
    function(env) env.ns1, env.ns2 = netns.add("ns1"), netns.add("ns2") end,
    function(env) netns.host():veth("p0", "p1", { netns = env.ns1, mtu = 1400 }) end,
    function(env) netns.host():link("p1"):set_netns(env.ns2) end,
  },
  {
    name = "a MAC and an MTU set before the move: made then, the move a real one",
    moves = 0,
    function(env) env.ns1 = netns.add("ns1") end,
    function(env) env.a, env.b = netns.host():veth("m0", "m1") end,
    function(env)
      env.b:set_address("02:00:00:00:00:09")
      env.a:set_mtu(1400)
    end,
    function(env) env.b:set_netns(env.ns1) end,
  },
  {
    name = "several pairs, observed between two of them",
    moves = 2,
    function(env) env.ns1, env.ns2 = netns.add("ns1"), netns.add("ns2") end,
    function(env)
      env.a = select(2, netns.host():veth("h1", "e1"))
      env.a:set_netns(env.ns1)
    end,
    function(env) env.seen = #env.ns1:links() end,
    function(env)
      local _, b = netns.host():veth("h2", "e2")
      b:set_netns(env.ns2)
      netns.host():veth("h3", "e3")
    end,
  },
}

-- Run a scenario's steps in a fresh world; observe after each step (a
-- snapshot each) or only at the end. Returns the snapshots and the moves
-- left to the pairs' making.
local function run(scenario, eager, each)
  world.fresh()
  pending.set_eager(eager)
  local env, shots, moves = {}, {}, pending.stats.moves
  for i, step in ipairs(scenario) do
    step(env)
    if each or i == #scenario then shots[#shots + 1] = snapshot(env) end
  end
  local absorbed = pending.stats.moves - moves
  pending.set_eager(false)
  return shots, absorbed, env
end

describe("move", function()
  before_each(world.fresh)
  after_each(function() pending.set_eager(false) end)

  describe("ip sees what the eager order makes", function()
    for _, s in ipairs(scenarios) do
      it(s.name .. ", after every step", function()
        local want = run(s, true, true)
        local got = run(s, false, true)
        for i = 1, #want do assert.same(want[i], got[i], "after step " .. i) end
      end)

      it(s.name .. ", looked at only at the end: no move left to the kernel", function()
        local want, none = run(s, true, false)
        local got, absorbed = run(s, false, false)
        assert.equal(0, none)
        assert.same(want[1], got[1])
        assert.equal(s.moves, absorbed)
      end)
    end
  end)

  describe("every look makes what is pending first", function()
    local host, ns1
    before_each(function()
      host, ns1 = netns.host(), netns.add("ns1")
      host:veth("veth-a", "veth-b")
      host:link("veth-b"):set_netns(ns1)
      assert.equal(1, pending.count())
    end)
    after_each(function() assert.equal(0, pending.count()) end)

    it("exec: ip link in the namespace shows the end", function()
      local out = ns1:exec("ip -o link show veth-b").stdout
      assert.match("veth%-b@if%d+: <BROADCAST,MULTICAST>", out)
      assert.match("veth%-a@if%d+:", host:exec("ip -o link").stdout)
    end)

    it("the core handle, fetched before or after", function()
      local get = host.handle.link_get -- fetching a method makes it
      assert.equal("veth-a", get(host.handle, "veth-a").ifname)
      assert.equal("veth-b", ns1.handle:link_get("veth-b").ifname)
    end)

    it("a read of /sys, another program, a shell", function()
      assert.is_truthy(io.open("/sys/class/net/veth-a/ifindex"))
    end)

    it("os.execute and io.popen", function()
      assert.is_true(os.execute("ip link show veth-a >/dev/null"))
      local p = io.popen("ip -o link show veth-a")
      assert.match("veth%-a", p:read("a"))
      p:close()
    end)

    it("the handles the lab holds: bound by ifindex, as ip numbers them", function()
      local b = ns1:link("veth-b")
      local a = host:link("veth-a")
      local ip_b = world.ip_link(ns1, "veth-b")
      assert.equal(ip_b.ifindex, b.ifindex)
      assert.equal(world.ip_link(nil, "veth-a").ifindex, a.ifindex)
      assert.equal("veth", b:info().kind)
      assert.is_truthy(a:info().link_netnsid)
    end)

    it("deleting the namespace deletes the pair with it (the kernel does it soon after)", function()
      netns.delete("ns1")
      local core = require("nslab.core")
      local deadline = core.clock() + 5
      while #host:link_names() > 1 and core.clock() < deadline do core.sleep(0.02) end
      assert.same({ "lo" }, host:link_names())
    end)
  end)

  describe("errors", function()
    -- The error of fn in both orders: the same words, at the same step.
    local function both(setup, fn)
      local got = {}
      for _, eager in ipairs{ true, false } do
        world.fresh()
        pending.set_eager(eager)
        local env = {}
        setup(env)
        local ok, err = pcall(fn, env)
        got[#got + 1] = ok and "no error" or err
        pending.set_eager(false)
        pending.flush()
      end
      assert.are_not.equal("no error", got[1])
      assert.equal(got[1], got[2])
    end

    it("a name taken, or pending, where an end is born", function()
      both(function() netns.host():veth("v1", "v2") end,
           function() netns.host():veth("v2", "v3") end)
      both(function(env) env.ns1 = netns.add("ns1") netns.host():veth("v1", "v2", { peer_netns = env.ns1 }) end,
           function(env) netns.host():veth("v3", "v2", { peer_netns = env.ns1 }) end)
      both(function() end, function() netns.host():veth("v1", "v1") end)
    end)

    it("a name or an mtu the kernel refuses", function()
      both(function() end, function() netns.host():veth("a-name-too-long-0", "v2") end)
      both(function() end, function() netns.host():veth("v/1", "v2") end)
      both(function() end, function() netns.host():veth("v1", "v2", { mtu = 67 }) end)
      both(function() end, function() netns.host():veth("v1", "v2", { mtu = 1.5 }) end)
      both(function() end, function() netns.host():veth("v1", "v2", { mtu = "1500" }) end)
      both(function() end, function() netns.host():veth("v1", "v2", { mtux = 1500 }) end)
    end)

    it("a move to a namespace where the name is taken, or pending", function()
      local function setup(env)
        env.ns1 = netns.add("ns1")
        env.ns1:veth("veth-b", "z")
        netns.host():veth("veth-a", "veth-b")
      end
      both(setup, function(env) netns.host():link("veth-b"):set_netns(env.ns1) end)
      both(setup, function(env) netns.host():link("veth-a"):set_netns(env.ns1, "z") end)
      both(setup, function(env) netns.host():link("veth-a"):set_netns(env.ns1, "bad/name") end)
      both(setup, function() netns.host():link("veth-a"):set_netns("nowhere") end)
    end)

    it("refused when it is made: the error names the step, and nothing is half made", function()
      local host = netns.host()
      local a, b = host:veth("veth-a", "veth-b")
      host:veth("veth-c", "veth-d")
      -- a device made behind nslab's back (the raw core does not look first)
      pending.raw.link_add(host.handle, { name = "veth-b", kind = "veth", peer = "intruder" })
      local why = "link add veth-a: File exists (made when first used, for the step: "
        .. "ip link add veth-a type veth peer name veth-b)"
      assert.has_error(function() host:link_names() end, why)
      assert.equal(1, pending.count()) -- the next pair waits for the next look
      assert.same({ "intruder", "lo", "veth-b", "veth-c", "veth-d" },
                  world.pluck(world.ip_json(nil, "link"), "ifname"))
      -- its handles name no device: veth-b is the intruder's pair now
      for _, l in ipairs{ a, b } do
        assert.has_error(function() l:set{ mtu = 1280 } end, "link " .. l.name .. ": never made: " .. why)
        assert.has_error(function() l:delete() end, "link " .. l.name .. ": never made: " .. why)
        assert.has_error(function() l:addr_add("10.9.9.9/24") end, "link " .. l.name .. ": never made: " .. why)
      end
      assert.equal(1500, world.ip_link(nil, "veth-b").mtu)
      assert.same({}, world.ip_json(nil, "addr show dev veth-b")[1].addr_info)
    end)
  end)

  it("an anonymous namespace (traced by its fd) defers the same", function()
    local host, ns = netns.host(), netns.new()
    local moves = pending.stats.moves
    local a = host:veth("veth-a", "veth-b")
    host:link("veth-b"):set_netns(ns)
    assert.equal(1, pending.count())
    assert.equal(moves + 1, pending.stats.moves)
    assert.equal("veth-b", ns:link("veth-b"):info().ifname)
    assert.equal(world.ip_link(nil, "veth-a").ifindex, a.ifindex)
  end)

  it("a handle made after its pair was made is bound at once", function()
    local host = netns.host()
    host:veth("veth-a", "veth-b")
    local b = host:link("veth-b")
    host:link_names()
    local again = host:link("veth-b")
    host.handle:link_del("veth-b")
    host.handle:link_add{ name = "veth-b", kind = "veth", peer = "veth-c" }
    assert.has_error(function() b:up() end)
    assert.has_error(function() again:up() end)
  end)

  it("the trace replayed with ip builds the same world", function()
    local s = scenarios[3]
    trace.clear()
    local was = trace.record(true)
    world.fresh()
    local env = {}
    for _, step in ipairs(s) do step(env) end
    trace.record(was)
    local commands = { table.unpack(trace.history) }
    local want = snapshot(env)
    assert.is_true(pending.stats.moves > 0)
    world.fresh()
    for _, command in ipairs(commands) do world.sh(nil, command) end
    local replayed = {}
    for name in pairs(env) do
      if netns.is(env[name]) then replayed[name] = netns.open(name) end
    end
    assert.same(want, snapshot(replayed))
  end)
end)
