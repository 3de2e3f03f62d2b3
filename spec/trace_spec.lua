-- trace: every primitive records its equivalent iproute2 command, and the
-- commands are exact: replaying them with ip in a fresh world builds the
-- same state that nslab built.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")

-- What ip says about a namespace, without what differs between two
-- identical builds (random MACs, kernel-chosen peers' ifindex).
local function snapshot(ns)
  local state = { links = {}, addrs = {}, routes = {} }
  for _, l in ipairs(world.ip_json(ns, "-d link")) do
    local mac = l.address and l.address:match("^02:00:00") and l.address or "" -- the ones nslab set
    state.links[#state.links + 1] = table.concat({ l.ifname, l.mtu, table.concat(l.flags, ","),
      l.linkinfo and l.linkinfo.info_kind or "", l.master or "", l.link or "", mac }, " ")
  end
  for _, l in ipairs(world.ip_json(ns, "addr")) do
    for _, a in ipairs(l.addr_info) do
      if a.family == "inet" or a.scope ~= "link" then
        state.addrs[#state.addrs + 1] = table.concat({ l.ifname, a["local"], a.prefixlen, a.broadcast or "" }, " ")
      end
    end
  end
  local routes = world.ip_json(ns, "-4 route show table all")
  for _, r in ipairs(world.ip_json(ns, "-6 route show table main")) do routes[#routes + 1] = r end
  for _, r in ipairs(routes) do
    local table_name = r.table or "main"
    if table_name ~= "local" then
      state.routes[#state.routes + 1] = table.concat({ table_name, r.type or "", r.dst, r.gateway or "", r.dev or "",
        r.scope or "", r.protocol or "", r.metric or "" }, " ")
    end
  end
  for _, list in pairs(state) do table.sort(list) end
  return state
end

local function build()
  local host = netns.host()
  local test1, test2 = netns.add("test1"), netns.add("test2")
  local a, b = host:veth("veth-test1", "veth-test2")
  a:set_netns(test1)
  b:set_netns("test2", "eth0")
  local _, c = host:veth("veth9", "eth1", { peer_netns = test1, mtu = 1400 })
  a:addr_add("192.168.1.1/24")
  b:addr_add("192.168.1.2/24", { broadcast = true })
  c:addr_add("10.1.0.2/16", { broadcast = "10.1.255.255" })
  host:link("veth9"):addr_add("10.1.0.1/16")
  for _, l in ipairs{ a, b, c, host:link("veth9"), test1:link("lo") } do l:up() end
  c:set{ mtu = 1300, address = "02:00:00:00:00:01" }
  test1:route_add{ dst = "default", via = "10.1.0.1" }
  test2:route_add{ dst = "198.51.100.0/24", dev = "eth0", metric = 7 }
  test2:route_add{ dst = "203.0.113.0/24", via = "192.168.1.1", table = 100 }
  host:veth("x1", "x2", { netns = test1, peer_netns = test2, mtu = 1450 })
  test2:link("x2"):addr_add("192.0.2.9/32", { broadcast = true })
  test2:link("x2"):addr_add("198.51.100.1/31", { broadcast = true })
  test2:link("x2"):addr_add("2001:db8::2/64", { nodad = true })
  test2:link("x2"):up()
  test2:route_add{ family = "inet6", dst = "default", dev = "x2" }
  test2:route_add{ dst = "203.0.113.128/25", dev = test2:link("x2"):index() }
  host:veth("tmp0", "tmp1"):rename("tmp2")
  host:link("tmp2"):delete()
  return { host = host, test1 = test1, test2 = test2 }
end

describe("trace", function()
  before_each(world.fresh)

  it("records one command per primitive, in order", function()
    trace.clear()
    local test1 = netns.add("test1")
    netns.host():veth("veth-test1", "veth-test2", { peer_netns = test1 })
    test1:link("veth-test2"):addr_add("192.168.1.2/24")
    assert.same({
      "ip netns add test1",
      "ip link add veth-test1 type veth peer name veth-test2 netns test1",
      "ip link set dev veth-test1 addrgenmode none", -- nslab.ipv6: no IPv6 in use
      "ip -n test1 link set dev veth-test2 addrgenmode none",
      "ip -n test1 addr add 192.168.1.2/24 dev veth-test2",
    }, trace.history)
  end)

  it("replayed with iproute2, the commands build the same state", function()
    trace.clear()
    local was = trace.record(true) -- the whole build, however long
    local built = build()
    trace.record(was)
    local commands = { table.unpack(trace.history) } -- replaying traces too
    local expected = {}
    for name, ns in pairs(built) do expected[name] = snapshot(ns) end

    world.fresh()
    for _, command in ipairs(commands) do world.sh(nil, command) end
    local replayed = { host = netns.host(), test1 = netns.open("test1"), test2 = netns.open("test2") }
    for name, ns in pairs(replayed) do
      assert.same(expected[name], snapshot(ns), "namespace " .. name)
    end
  end)

  describe("history", function()
    local was
    before_each(function() was = trace.record(false) trace.clear() end)
    after_each(function() trace.record(was) trace.clear() end)

    -- n commands "c1".."cn" straight into the trace
    local function feed(first, last)
      for i = first, last do trace.command("c" .. i) end
    end

    it("keeps only the newest trace.limit commands, in order, by default", function()
      local limit = trace.limit
      local seen = 0
      local unlisten = trace.listen(function() seen = seen + 1 end)
      for round = 1, 10 do
        feed((round - 1) * limit + 1, round * limit)
        assert.is_true(#trace.history <= limit + limit // 4, "round " .. round .. ": " .. #trace.history)
      end
      unlisten()
      assert.equal(10 * limit, seen) -- listeners still see every one
      feed(10 * limit + 1, 10 * limit + 7)
      local n = #trace.history
      assert.is_true(n >= limit and n <= limit + limit // 4, n)
      assert.equal("c" .. (10 * limit + 7), trace.history[n])
      for i = 1, n do
        assert.equal("c" .. (10 * limit + 7 - n + i), trace.history[i], "entry " .. i)
      end
    end)

    it("goes on when a listener removes itself while told, and tells the rest from then on", function()
      local heard, stop = {}, nil
      stop = trace.listen(function(text) heard[#heard + 1] = "first " .. text stop() end)
      local unlisten = trace.listen(function(text) heard[#heard + 1] = "second " .. text end)
      feed(1, 2)
      unlisten()
      -- the list shrank under the loop: the second is told from the next command on
      assert.same({ "first c1", "second c2" }, heard)
    end)

    it("keeps every command while recording, and clear() keeps the same table", function()
      local history = trace.history
      assert.is_false(trace.record(true))
      feed(1, 3 * trace.limit)
      assert.equal(3 * trace.limit, #history)
      assert.equal("c1", history[1])
      assert.equal("c" .. 3 * trace.limit, history[3 * trace.limit])
      assert.is_true(trace.record(false))
      trace.clear()
      assert.equal(history, trace.history)
      assert.equal(0, #trace.history)
    end)
  end)
end)
