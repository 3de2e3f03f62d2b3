-- sockets: TCP listeners and connections, and UDP sockets, born inside
-- namespaces, across a veth between two of them; what each end sees is
-- checked against `ss` run in the same namespace.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

-- test1 (10.0.0.1) and test2 (10.0.0.2) on a veth, lo up in both. The
-- veth is waited for: a first ARP request sent before the carrier is up is
-- lost, and the next comes a second later (a datagram waits that long).
-- fn raises exactly message. Not assert.has_error: it cuts what looks
-- like a "file:line: " position, and "tcp listen 0.0.0.0:80: ..." does.
local function raises(message, fn)
  local ok, err = pcall(fn)
  assert.is_false(ok, "no error raised")
  assert.equal(message, err)
end

local function pair()
  local test1, test2 = netns.add("test1"), netns.add("test2")
  world.cable(test1, test2, "10.0.0.1/24", "10.0.0.2/24")
  test1:link("lo"):up()
  test2:link("lo"):up()
  return test1, test2
end

-- `ss -Htn` rows in ns as {local, peer} pairs (state: established, listening).
local function ss(ns, state)
  local rows = {}
  for line in world.sh(ns, "ss -Htn state " .. state):gmatch("[^\n]+") do
    local l, p = line:match("(%S+)%s+(%S+)%s*$")
    rows[#rows + 1] = { l, p }
  end
  return rows
end

-- The local address:port of each UDP socket this process holds in ns, as
-- `ss -Huanp` (run there) lists them, sorted.
local function ss_udp(ns)
  local rows, pid = {}, world.pid()
  for line in world.sh(ns, "ss -H -u -a -n -p"):gmatch("[^\n]+") do
    local l = line:match("^%S+%s+%d+%s+%d+%s+(%S+)")
    if line:find("pid=" .. pid .. ",", 1, true) then rows[#rows + 1] = l end
  end
  table.sort(rows)
  return rows
end

-- pair(), plus 2001:db8::1/64 and ::2 on the veth (no DAD, usable at once,
-- once each end listens to its solicited-node group).
local function pair6()
  local test1, test2 = pair()
  test1:link("veth-test1"):addr_add("2001:db8::1/64", { nodad = true })
  test2:link("veth-test2"):addr_add("2001:db8::2/64", { nodad = true })
  assert.is_true(test1:link("veth-test1"):wait_ipv6())
  assert.is_true(test2:link("veth-test2"):wait_ipv6())
  return test1, test2
end

-- Call fn until it raises (at most 2 s, as a queued ICMP error comes back
-- in its own time); its error.
local function until_raises(fn)
  local deadline = core.clock() + 2
  repeat
    local ok, err = pcall(fn)
    if not ok then return err end
    core.sleep(0.01)
  until core.clock() > deadline
  error("did not raise within 2 s")
end

describe("tcp", function()
  before_each(world.fresh)

  it("listens, connects and accepts across a veth; both ends see the right peers", function()
    local test1, test2 = pair()
    local l <close> = test1.handle:tcp_listen("0.0.0.0", 80)
    assert.same({ { "0.0.0.0:80", "0.0.0.0:*" } }, ss(test1, "listening"))
    assert.same({}, ss(test2, "listening"))
    local c <close> = test2.handle:tcp_connect("10.0.0.1", 80, { timeout = 2 })
    local s <close>, peer, peer_port = l:accept(2)
    local c_addr, c_port = c:local_address()
    assert.same({ "10.0.0.2", c_port }, { peer, peer_port })
    assert.same({ "10.0.0.2", c_port }, { s:peer() })
    assert.same({ "10.0.0.1", 80 }, { c:peer() })
    assert.same({ "10.0.0.1", 80 }, { s:local_address() })
    assert.equal("10.0.0.2", c_addr)
    -- the kernel agrees, in each namespace
    assert.same({ { "10.0.0.1:80", "10.0.0.2:" .. c_port } }, ss(test1, "established"))
    assert.same({ { "10.0.0.2:" .. c_port, "10.0.0.1:80" } }, ss(test2, "established"))
    assert.equal("tcp socket 10.0.0.2:" .. c_port .. " in netns test1", tostring(s))
  end)

  it("carries data both ways; recv gives \"\" once the peer shut down", function()
    local test1, test2 = pair()
    local l <close> = test1.handle:tcp_listen("10.0.0.1", 8080)
    local c <close> = test2.handle:tcp_connect("10.0.0.1", 8080)
    local s <close> = l:accept()
    assert.equal(5, c:send("hello"))
    assert.equal("hello", s:recv(100, 1))
    s:send("world!")
    assert.equal("wor", c:recv(3, 1))
    assert.equal("ld!", c:recv(100, 1))
    c:shutdown()
    assert.equal("", s:recv(10, 1))
    -- only sending is shut: the other way still works
    s:send("bye")
    assert.equal("bye", c:recv(10, 1))
  end)

  it("an in-use port: EADDRINUSE in one namespace, success in two (Docker's host mode)", function()
    local test1, test2 = pair()
    local first <close> = test1.handle:tcp_listen("0.0.0.0", 80)
    assert.has_error(function() test1.handle:tcp_listen("0.0.0.0", 80) end,
      "tcp listen 0.0.0.0:80 in netns test1: Address already in use")
    assert.has_error(function() test1.handle:tcp_listen("10.0.0.1", 80) end,
      "tcp listen 10.0.0.1:80 in netns test1: Address already in use")
    local _other <close> = test2.handle:tcp_listen("0.0.0.0", 80)
    local _host <close> = netns.host().handle:tcp_listen("0.0.0.0", 80)
    assert.same({ { "0.0.0.0:80", "0.0.0.0:*" } }, ss(test1, "listening"))
    assert.same({ { "0.0.0.0:80", "0.0.0.0:*" } }, ss(test2, "listening"))
    -- closing frees the port at once
    first:close()
    assert.equal("tcp socket 0.0.0.0:80 in netns test1 (closed)", tostring(first))
    local _again <close> = test1.handle:tcp_listen("0.0.0.0", 80)
  end)

  it("port 0: the kernel picks a port, port() says which", function()
    local test1, test2 = pair()
    local l <close> = test1.handle:tcp_listen("0.0.0.0", 0)
    local port = l:port()
    assert.is_true(port > 0)
    assert.same({ { "0.0.0.0:" .. port, "0.0.0.0:*" } }, ss(test1, "listening"))
    assert.equal("tcp socket 0.0.0.0:" .. port .. " in netns test1 (listening)", tostring(l))
    local c <close> = test2.handle:tcp_connect("10.0.0.1", port)
    assert.equal(port, select(2, c:peer()))
  end)

  it("IPv6 on lo; a dual-stack listener names IPv4 peers plainly", function()
    local test1, test2 = pair()
    local l <close> = test1.handle:tcp_listen("::", 0)
    local _c6 <close> = test1.handle:tcp_connect("::1", l:port())
    local _, peer6 = l:accept(1)
    assert.equal("::1", peer6)
    local _c4 <close> = test2.handle:tcp_connect("10.0.0.1", l:port())
    local _, peer4 = l:accept(1)
    assert.equal("10.0.0.2", peer4)
    assert.equal("tcp socket [::]:" .. l:port() .. " in netns test1 (listening)", tostring(l))
  end)

  it("a connection from a container process's namespace (the container-mode lab)", function()
    local test1 = netns.add("test1")
    test1:link("lo"):up()
    local l <close> = test1.handle:tcp_listen("127.0.0.1", 8080)
    local c = core.container_start{ net = test1.handle, hostname = "test2" }
    local joined = core.netns_open_pid(c:pid())
    local _conn <close> = joined:tcp_connect("127.0.0.1", 8080, { timeout = 1 })
    assert.equal("127.0.0.1", select(2, l:accept(1)))
    joined:close()
    c:stop()
  end)

  describe("errors", function()
    it("connection refused", function()
      local _, test2 = pair()
      assert.has_error(function() test2.handle:tcp_connect("10.0.0.1", 81, { timeout = 1 }) end,
        "tcp connect 10.0.0.1:81 in netns test2: Connection refused")
    end)

    it("no route", function()
      local _, test2 = pair()
      assert.has_error(function() test2.handle:tcp_connect("198.51.100.1", 80) end,
        "tcp connect 198.51.100.1:80 in netns test2: Network is unreachable")
    end)

    it("timeouts: connect to a silent address, accept, recv", function()
      local test1, test2 = pair()
      local t0 = core.clock()
      assert.has_error(function() test2.handle:tcp_connect("10.0.0.99", 80, { timeout = 0.3 }) end,
        "tcp connect 10.0.0.99:80 in netns test2: timed out after 0.3 s")
      local took = core.clock() - t0
      assert.is_true(took >= 0.29 and took < 1.5, "took " .. took)
      local l <close> = test1.handle:tcp_listen("0.0.0.0", 80)
      assert.has_error(function() l:accept(0.2) end,
        "tcp accept 0.0.0.0:80 in netns test1: timed out after 0.2 s")
      local c <close> = test2.handle:tcp_connect("10.0.0.1", 80)
      assert.has_error(function() c:recv(10, 0.1) end,
        "tcp recv 10.0.0.1:80 in netns test2: timed out after 0.1 s")
      -- 0 only looks
      local s <close> = l:accept(0)
      assert.has_error(function() s:recv(10, 0) end)
      -- a peer that does not read: the buffers fill, then send gives up
      assert.has_error(function() c:send(("x"):rep(64 << 20), 0.2) end,
        "tcp send 10.0.0.1:80 in netns test2: timed out after 0.2 s")
    end)

    it("sending to a peer that is gone", function()
      local test1, test2 = pair()
      local l <close> = test1.handle:tcp_listen("0.0.0.0", 80)
      local c <close> = test2.handle:tcp_connect("10.0.0.1", 80)
      local s = l:accept(1)
      s:close()
      assert.equal("", c:recv(10, 1))
      local ok, err
      for _ = 1, 10 do   -- the first send may still be taken before the RST
        ok, err = pcall(c.send, c, "x")
        if not ok then break end
        core.sleep(0.01)
      end
      assert.is_false(ok)
      assert.matches("^tcp send 10.0.0.1:80 in netns test2: ", err)
    end)

    it("bad arguments and misuse", function()
      local test1 = pair()
      local ns = test1.handle
      assert.has_error(function() ns:tcp_listen("10.0.0.300", 80) end,
        'tcp listen "10.0.0.300": not an IPv4 or IPv6 address')
      assert.has_error(function() ns:tcp_listen("10.0.0.0/24", 80) end,
        'tcp listen "10.0.0.0/24": not an IPv4 or IPv6 address')
      assert.has_error(function() ns:tcp_connect("10.0.0.1", 70000) end,
        "tcp connect 10.0.0.1: argument 2 (port) must be an integer 0..65535, got 70000")
      assert.has_error(function() ns:tcp_connect("10.0.0.1", 80.5) end,
        "tcp connect 10.0.0.1: argument 2 (port) must be an integer 0..65535, got 80.5")
      assert.has_error(function() ns:tcp_connect("10.0.0.1", "80") end,
        'tcp connect 10.0.0.1: argument 2 (port) must be an integer 0..65535, got "80"')
      raises("tcp listen 0.0.0.0:80: invalid option 'reuse'",
        function() ns:tcp_listen("0.0.0.0", 80, { reuse = true }) end)
      raises("tcp connect 10.0.0.1:80: invalid option 'timout'",
        function() ns:tcp_connect("10.0.0.1", 80, { timout = 1 }) end)
      raises("tcp listen 0.0.0.0:80: option 'reuseaddr' must be a boolean, got 1",
        function() ns:tcp_listen("0.0.0.0", 80, { reuseaddr = 1 }) end)
      assert.has_error(function() ns:tcp_listen("0.0.0.0", 80, {}, 1) end,
        "tcp listen: too many arguments (4 given, at most 3)")
      local l <close> = ns:tcp_listen("127.0.0.1", 80)
      assert.has_error(function() l:recv() end,
        "tcp recv 127.0.0.1:80 in netns test1: a listening socket has no data")
      raises("tcp accept 127.0.0.1:80 in netns test1: argument 1 (timeout) must be a number 0..3600, got -1",
        function() l:accept(-1) end)
      local c = ns:tcp_connect("127.0.0.1", 80)
      assert.has_error(function() c:accept() end,
        "tcp accept 127.0.0.1:80 in netns test1: not a listening socket")
      c:close()
      c:close()   -- twice is fine
      assert.has_error(function() c:send("x") end, "tcp send: attempt to use a closed socket")
      assert.has_error(function() c.send(ns, "x") end, "tcp send: argument self must be a socket, got userdata")
    end)

    -- Every wait is bounded: a timeout that is not a finite number of
    -- seconds in 0..3600 (NaN, inf, a numeric string, a negative one, a
    -- year) is refused before anything waits, for every call that waits.
    it("timeouts: finite, non-negative, bounded, never a string", function()
      local test1 = pair()
      local ns = test1.handle
      local l <close> = ns:tcp_listen("127.0.0.1", 80)
      local c <close> = ns:tcp_connect("127.0.0.1", 80)
      local _s <close> = l:accept(1)
      local u <close> = ns:udp_bind("127.0.0.1", 5353)
      local calls = {
        { "tcp accept 127.0.0.1:80 in netns test1: argument 1", function(t) return l:accept(t) end },
        { "tcp recv 127.0.0.1:80 in netns test1: argument 2", function(t) return c:recv(10, t) end },
        { "tcp send 127.0.0.1:80 in netns test1: argument 2", function(t) return c:send("x", t) end },
        { "udp recvfrom 127.0.0.1:5353 in netns test1: argument 2", function(t) return u:recvfrom(10, t) end },
        { "udp sendto 127.0.0.1:5353 in netns test1: argument 4",
          function(t) return u:sendto("x", "127.0.0.1", 5353, t) end },
        { "tcp connect 127.0.0.1:80: option", function(t) return ns:tcp_connect("127.0.0.1", 80, { timeout = t }) end },
        { "udp send 127.0.0.1:53: option", function(t) return ns:udp_send("127.0.0.1", 53, "x", { timeout = t }) end },
      }
      local bad = { { 0 / 0, "nan" }, { 1 / 0, "inf" }, { -1 / 0, "-inf" }, { -1, "-1" },
                    { "1", '"1"' }, { 3601, "3601" }, { 2 ^ 53, "9.007199254741e+15" }, { true, "boolean" } }
      for _, call in ipairs(calls) do
        for _, b in ipairs(bad) do
          local start = core.clock()
          local ok, err = pcall(call[2], b[1])
          assert.is_false(ok, call[1] .. " accepted " .. b[2])
          assert.is_true(core.clock() - start < 0.5, call[1] .. " waited for " .. b[2])
          local what = call[1]:match("option$") and " 'timeout'" or " (timeout)"
          assert.equal(call[1] .. what .. " must be a number 0..3600, got " .. b[2], err)
        end
      end
      -- in range they wait as long as asked
      local start = core.clock()
      assert.has_error(function() u:recvfrom(10, 0.2) end)
      assert.is_true(core.clock() - start >= 0.2)
    end)
  end)
end)

describe("udp", function()
  before_each(world.fresh)

  it("a datagram and its reply cross; the receiver sees the sender's real address and port", function()
    local test1, test2 = pair()
    local u <close> = test1.handle:udp_bind("0.0.0.0", 5353)
    assert.equal("udp socket 0.0.0.0:5353 in netns test1", tostring(u))
    assert.same({ "0.0.0.0:5353" }, ss_udp(test1))
    local p <close> = test2.handle:udp_send("10.0.0.1", 5353, "ping")
    local port = p:port()
    assert.is_true(port > 0)
    -- the kernel agrees on the sender's port, in the sender's namespace
    assert.same({ "0.0.0.0:" .. port }, ss_udp(test2))
    assert.equal("udp socket 0.0.0.0:" .. port .. " in netns test2", tostring(p))
    assert.same({ "ping", "10.0.0.2", port }, { u:recvfrom(100, 1) })
    assert.equal(4, u:sendto("pong", "10.0.0.2", port))
    assert.same({ "pong", "10.0.0.1", 5353 }, { p:recvfrom(100, 1) })
    -- from_port: the datagram leaves from that port
    local q <close> = test2.handle:udp_send("10.0.0.1", 5353, "again", { from_port = 5000, timeout = 1 })
    assert.equal(5000, q:port())
    local both = { "0.0.0.0:5000", "0.0.0.0:" .. port }
    table.sort(both)
    assert.same(both, ss_udp(test2))
    assert.same({ "again", "10.0.0.2", 5000 }, { u:recvfrom(100, 1) })
  end)

  it("port 0: the kernel picks a port, port() says which", function()
    local test1, test2 = pair()
    local u <close> = test1.handle:udp_bind("10.0.0.1", 0)
    local port = u:port()
    assert.is_true(port > 0)
    assert.same({ "10.0.0.1:" .. port }, ss_udp(test1))
    assert.equal("udp socket 10.0.0.1:" .. port .. " in netns test1", tostring(u))
    assert.same({ "10.0.0.1", port }, { u:local_address() })
    local p <close> = test2.handle:udp_bind("0.0.0.0", 0)
    p:sendto("x", "10.0.0.1", port)
    assert.same({ "x", "10.0.0.2", p:port() }, { u:recvfrom(10, 1) })
  end)

  it("datagrams keep their bounds: an empty one is \"\", a long one is cut to max", function()
    local test1, test2 = pair()
    local u <close> = test1.handle:udp_bind("0.0.0.0", 0)
    local p <close> = test2.handle:udp_bind("0.0.0.0", 0)
    p:sendto("", "10.0.0.1", u:port())
    p:sendto("abcdef", "10.0.0.1", u:port())
    p:sendto("gh", "10.0.0.1", u:port())
    assert.equal("", (u:recvfrom(10, 1)))
    assert.equal("abc", (u:recvfrom(3, 1)))   -- "def" is gone with it
    assert.equal("gh", (u:recvfrom(3, 1)))
  end)

  it("IPv6 across the veth; a dual-stack socket names IPv4 peers plainly and answers them", function()
    local test1, test2 = pair6()
    local u <close> = test1.handle:udp_bind("::", 0)
    assert.equal("udp socket [::]:" .. u:port() .. " in netns test1", tostring(u))
    local p6 <close> = test2.handle:udp_send("2001:db8::1", u:port(), "six")
    assert.same({ "six", "2001:db8::2", p6:port() }, { u:recvfrom(100, 1) })
    u:sendto("back", "2001:db8::2", p6:port())
    assert.same({ "back", "2001:db8::1", u:port() }, { p6:recvfrom(100, 1) })
    assert.same({ "*:" .. p6:port() }, ss_udp(test2))   -- ss: dual-stack
    local p4 <close> = test2.handle:udp_send("10.0.0.1", u:port(), "four")
    local data, addr, port = u:recvfrom(100, 1)
    assert.same({ "four", "10.0.0.2", p4:port() }, { data, addr, port })
    u:sendto("back4", addr, port)
    assert.same({ "back4", "10.0.0.1", u:port() }, { p4:recvfrom(100, 1) })
  end)

  it("after MASQUERADE the receiver sees the router's address, and its reply comes back", function()
    local test1, test2 = pair()   -- test1 routes for test2, out to test3
    local test3 = netns.add("test3")
    local out, far = test1:veth("veth-out", "veth-test3", { peer_netns = test3 })
    out:addr_add("203.0.113.1/24")
    far:addr_add("203.0.113.2/24")
    for _, l in ipairs{ out, far, test3:link("lo") } do l:up() end
    assert.is_true(out:wait("UP"))
    assert.is_true(far:wait("UP"))
    test1:sysctl("net.ipv4.ip_forward", 1)
    test2:route_add{ dst = "default", via = "10.0.0.1" }
    -- test3 has no route back to 10.0.0.0/24: only NAT brings replies home
    local server <close> = test3.handle:udp_bind("0.0.0.0", 53)
    local _plain <close> = test2.handle:udp_send("203.0.113.2", 53, "q1", { from_port = 5000 })
    assert.same({ "q1", "10.0.0.2", 5000 }, { server:recvfrom(100, 1) })
    assert.has_error(function() server:sendto("a1", "10.0.0.2", 5000) end,
      "udp sendto 10.0.0.2:5000 in netns test3: Network is unreachable")
    world.sh(test1, "nft add table ip nat"
      .. " && nft 'add chain ip nat postrouting { type nat hook postrouting priority srcnat; }'"
      .. " && nft add rule ip nat postrouting oifname veth-out masquerade")
    -- a new flow (a new source port: the old one's conntrack entry has no NAT)
    local natted <close> = test2.handle:udp_send("203.0.113.2", 53, "q2", { from_port = 5001 })
    local data, addr, port = server:recvfrom(100, 1)
    assert.same({ "q2", "203.0.113.1", 5001 }, { data, addr, port })
    server:sendto("a2", addr, port)
    assert.same({ "a2", "203.0.113.2", 53 }, { natted:recvfrom(100, 1) })
  end)

  it("recvfrom times out; 0 only looks", function()
    local test1 = pair()
    local u <close> = test1.handle:udp_bind("0.0.0.0", 5353)
    local t0 = core.clock()
    assert.has_error(function() u:recvfrom(100, 0.3) end,
      "udp recvfrom 0.0.0.0:5353 in netns test1: timed out after 0.3 s")
    local took = core.clock() - t0
    assert.is_true(took >= 0.29 and took < 1.5, "took " .. took)
    assert.has_error(function() u:recvfrom(100, 0) end,
      "udp recvfrom 0.0.0.0:5353 in netns test1: timed out after 0 s")
  end)

  describe("ICMP errors", function()
    it("a closed port: the next recvfrom says Connection refused, once", function()
      local _, test2 = pair()
      local p <close> = test2.handle:udp_send("10.0.0.1", 9, "anyone?")
      local port = p:port()
      assert.has_error(function() p:recvfrom(100, 2) end,
        "udp recvfrom 0.0.0.0:" .. port .. " in netns test2: Connection refused "
        .. "(ICMP port unreachable from 10.0.0.1 for a datagram to 10.0.0.1:9)")
      -- reported once: then the socket waits as before
      assert.has_error(function() p:recvfrom(100, 0.1) end,
        "udp recvfrom 0.0.0.0:" .. port .. " in netns test2: timed out after 0.1 s")
    end)

    it("an error that comes back before the next send fails that send, which is not sent", function()
      local test1, test2 = pair()
      local u <close> = test1.handle:udp_bind("0.0.0.0", 5353)
      local p <close> = test2.handle:udp_send("10.0.0.1", 9, "x")
      local n, sent = 0, {}
      local err = until_raises(function()
        n = n + 1
        p:sendto(tostring(n), "10.0.0.1", 5353)
        sent[#sent + 1] = tostring(n)
      end)
      assert.equal("udp sendto 10.0.0.1:5353 in netns test2: Connection refused "
        .. "(ICMP port unreachable from 10.0.0.1 for an earlier datagram to 10.0.0.1:9; "
        .. "this one was not sent)", err)
      -- the datagrams sent before it arrived; the one that failed did not
      local got = {}
      while true do
        local ok, data = pcall(u.recvfrom, u, 10, 0.1)
        if not ok then break end
        got[#got + 1] = data
      end
      assert.same(sent, got)
      -- the error is gone: the socket sends again
      p:sendto("z", "10.0.0.1", 5353)
      assert.equal("z", (u:recvfrom(10, 1)))
    end)

    it("IPv6: ICMPv6 port unreachable", function()
      local _, test2 = pair6()
      local p <close> = test2.handle:udp_send("2001:db8::1", 9, "x")
      assert.has_error(function() p:recvfrom(100, 2) end,
        "udp recvfrom [::]:" .. p:port() .. " in netns test2: Connection refused "
        .. "(ICMPv6 port unreachable from 2001:db8::1 for a datagram to [2001:db8::1]:9)")
    end)

    it("an error from a router on the way names the router; a reject rule's type is told", function()
      local test1, test2 = pair()   -- test1 routes for test2, but knows no 203.0.113.0/24
      test1:sysctl("net.ipv4.ip_forward", 1)
      test2:route_add{ dst = "default", via = "10.0.0.1" }
      local p <close> = test2.handle:udp_send("203.0.113.9", 53, "x")
      assert.has_error(function() p:recvfrom(100, 2) end,
        "udp recvfrom 0.0.0.0:" .. p:port() .. " in netns test2: Network is unreachable "
        .. "(ICMP net unreachable from 10.0.0.1 for a datagram to 203.0.113.9:53)")
      world.sh(test1, "nft add table ip f"
        .. " && nft 'add chain ip f input { type filter hook input priority 0; }'"
        .. " && nft add rule ip f input udp dport 53 reject with icmp type admin-prohibited")
      p:sendto("y", "10.0.0.1", 53)
      assert.has_error(function() p:recvfrom(100, 2) end,
        "udp recvfrom 0.0.0.0:" .. p:port() .. " in netns test2: No route to host "
        .. "(ICMP admin prohibited from 10.0.0.1 for a datagram to 10.0.0.1:53)")
    end)

    it("a neighbour that never answers ARP: No route to host, from the sender itself", function()
      local _, test2 = pair()
      -- one ARP probe, 0.1 s: the kernel gives up at once instead of after 3 s
      test2.handle:sysctl_set("net.ipv4.neigh.veth-test2.mcast_solicit", "1")
      test2.handle:sysctl_set("net.ipv4.neigh.veth-test2.retrans_time_ms", "100")
      local p <close> = test2.handle:udp_send("10.0.0.99", 53, "x")
      assert.has_error(function() p:recvfrom(100, 2) end,
        "udp recvfrom 0.0.0.0:" .. p:port() .. " in netns test2: No route to host "
        .. "(ICMP host unreachable from 10.0.0.2 for a datagram to 10.0.0.99:53)")
    end)
  end)

  describe("errors", function()
    it("the world says no: port in use, no route, too long, wrong family", function()
      local test1, test2 = pair()
      local u <close> = test1.handle:udp_bind("0.0.0.0", 5353)
      assert.has_error(function() test1.handle:udp_bind("0.0.0.0", 5353) end,
        "udp bind 0.0.0.0:5353 in netns test1: Address already in use")
      assert.has_error(function() test1.handle:udp_send("10.0.0.2", 53, "x", { from_port = 5353 }) end,
        "udp bind 0.0.0.0:5353 in netns test1: Address already in use")
      assert.has_error(function() test1.handle:udp_bind("10.0.0.2", 53) end,
        "udp bind 10.0.0.2:53 in netns test1: Cannot assign requested address")
      local _free <close> = test2.handle:udp_bind("0.0.0.0", 5353)   -- another namespace: free
      assert.has_error(function() test2.handle:udp_send("198.51.100.1", 53, "x") end,
        "udp sendto 198.51.100.1:53 in netns test2: Network is unreachable")
      assert.has_error(function() u:sendto(("x"):rep(70000), "10.0.0.2", 53) end,
        "udp sendto 10.0.0.2:53 in netns test1: Message too long")
      assert.has_error(function() u:sendto("x", "2001:db8::2", 53) end,
        "udp sendto [2001:db8::2]:53 in netns test1: an IPv4 socket cannot send to an IPv6 address")
      assert.same({ "0.0.0.0:5353" }, ss_udp(test1))   -- the failed ones left nothing open
    end)

    it("bad arguments, by signature", function()
      local test1 = pair()
      local ns = test1.handle
      local u = ns:udp_bind("127.0.0.1", 0)
      local label = "127.0.0.1:" .. u:port() .. " in netns test1"
      local cases = {
        -- udp_bind(addr, port)
        { function() ns:udp_bind("10.0.0.300", 53) end, 'udp bind "10.0.0.300": not an IPv4 or IPv6 address' },
        { function() ns:udp_bind("10.0.0.0/24", 53) end, 'udp bind "10.0.0.0/24": not an IPv4 or IPv6 address' },
        { function() ns:udp_bind("10.0.0.1", -1) end,
          "udp bind 10.0.0.1: argument 2 (port) must be an integer 0..65535, got -1" },
        { function() ns:udp_bind("10.0.0.1", 65536) end,
          "udp bind 10.0.0.1: argument 2 (port) must be an integer 0..65535, got 65536" },
        { function() ns:udp_bind("10.0.0.1", 2 ^ 53) end,
          "udp bind 10.0.0.1: argument 2 (port) must be an integer 0..65535, got 9.007199254741e+15" },
        { function() ns:udp_bind("10.0.0.1", 53, { reuseaddr = true }) end,
          "udp bind: too many arguments (3 given, at most 2)" },
        { function() ns:udp_bind("10.0.0.1") end,
          "udp bind 10.0.0.1: argument 2 (port) must be an integer 0..65535, got nil" },
        { function() ns:udp_bind(53, 53) end,
          "udp bind: argument 1 (addr) must be a string of 1..64 bytes without NUL, got 53" },
        { function() ns:udp_bind("10.0.0.1\0x", 53) end,
          "udp bind: argument 1 (addr) must be a string of 1..64 bytes without NUL, got a string with a NUL byte" },
        { function() ns:udp_bind(("1"):rep(1 << 20), 53) end,
          "udp bind: argument 1 (addr) must be a string of 1..64 bytes without NUL, got a string of 1048576 bytes" },
        -- udp_send(addr, port, data [, opts])
        { function() ns:udp_send("host", 53, "x") end, 'udp send "host": not an IPv4 or IPv6 address' },
        { function() ns:udp_send("10.0.0.2", 0, "x") end,
          "udp send 10.0.0.2: argument 2 (port) must be an integer 1..65535, got 0" },
        { function() ns:udp_send("10.0.0.2", 70000, "x") end,
          "udp send 10.0.0.2: argument 2 (port) must be an integer 1..65535, got 70000" },
        { function() ns:udp_send("10.0.0.2", 53) end,
          "udp send 10.0.0.2:53: argument 3 (data) must be a string, got nil" },
        { function() ns:udp_send("10.0.0.2", 53, "x", { from = 5000 }) end,
          "udp send 10.0.0.2:53: invalid option 'from'" },
        { function() ns:udp_send("10.0.0.2", 53, "x", { timout = 1 }) end,
          "udp send 10.0.0.2:53: invalid option 'timout'" },
        { function() ns:udp_send("10.0.0.2", 53, "x", { from_port = 65536 }) end,
          "udp send 10.0.0.2:53: option 'from_port' must be an integer 0..65535, got 65536" },
        { function() ns:udp_send("10.0.0.2", 53, "x", { from_port = 1.5 }) end,
          "udp send 10.0.0.2:53: option 'from_port' must be an integer 0..65535, got 1.5" },
        { function() ns:udp_send("10.0.0.2", 53, "x", { timeout = "1" }) end,
          'udp send 10.0.0.2:53: option \'timeout\' must be a number 0..3600, got "1"' },
        { function() ns:udp_send("10.0.0.2", 53, "x", { timeout = -1 }) end,
          "udp send 10.0.0.2:53: option 'timeout' must be a number 0..3600, got -1" },
        { function() ns:udp_send("10.0.0.2", 53, "x", 5) end, 'udp send 10.0.0.2:53: options must be a table, got 5' },
        -- sock:sendto(data, addr, port [, timeout])
        { function() u:sendto("x", "10.0.0.2.1", 53) end, 'udp sendto "10.0.0.2.1": not an IPv4 or IPv6 address' },
        { function() u:sendto("x", "10.0.0.2", 0) end,
          "udp sendto 10.0.0.2: argument 3 (port) must be an integer 1..65535, got 0" },
        { function() u:sendto("x", "10.0.0.2", 53, -1) end,
          "udp sendto " .. label .. ": argument 4 (timeout) must be a number 0..3600, got -1" },
        { function() u:sendto(5, "10.0.0.2", 53) end,
          "udp sendto " .. label .. ": argument 1 (data) must be a string, got number" },
        { function() u:sendto("x", "10.0.0.2", 53, 1, 1) end, "udp sendto: too many arguments (5 given, at most 4)" },
        -- sock:recvfrom([max [, timeout]])
        { function() u:recvfrom(0) end,
          "udp recvfrom " .. label .. ": argument 1 (max) must be an integer 1..65536, got 0" },
        { function() u:recvfrom(65537) end,
          "udp recvfrom " .. label .. ": argument 1 (max) must be an integer 1..65536, got 65537" },
        { function() u:recvfrom(10.5) end,
          "udp recvfrom " .. label .. ": argument 1 (max) must be an integer 1..65536, got 10.5" },
        { function() u:recvfrom(10, 1 / 0) end,
          "udp recvfrom " .. label .. ": argument 2 (timeout) must be a number 0..3600, got inf" },
        { function() u.recvfrom(5) end, "udp recvfrom: argument self must be a socket, got number" },
        -- tcp methods on a udp socket, and the other way round
        { function() u:send("x") end, "tcp send " .. label .. ": not a tcp socket (udp: sendto, recvfrom)" },
        { function() u:recv() end, "tcp recv " .. label .. ": not a tcp socket (udp: sendto, recvfrom)" },
        { function() u:accept() end, "tcp accept " .. label .. ": not a listening socket" },
        { function() u:peer() end, "udp peer " .. label .. ": Transport endpoint is not connected" },
        { function() u:peer(1) end, "socket peer: too many arguments (1 given, at most 0)" },
        { function() u:close(1) end, "socket close: too many arguments (1 given, at most 0)" },
      }
      -- argument numbers count from after self, as Lua's own methods do
      for i, case in ipairs(cases) do
        local ok, err = pcall(case[1])
        assert.is_false(ok, "case " .. i .. " did not raise")
        -- luaL_argerror says where the caller was: not part of the message
        assert.equal(case[2], (err:gsub("^spec/sock_spec%.lua:%d+: ", "")), "case " .. i)
      end
      local l <close> = ns:tcp_listen("127.0.0.1", 0)
      assert.has_error(function() l:sendto("x", "127.0.0.1", 53) end,
        "udp sendto 127.0.0.1:" .. l:port() .. " in netns test1: not a udp socket")
      u:close()
      u:close()   -- twice is fine
      assert.equal("udp socket " .. label .. " (closed)", tostring(u))
      assert.has_error(function() u:sendto("x", "127.0.0.1", 53) end, "udp sendto: attempt to use a closed socket")
      assert.has_error(function() u:recvfrom() end, "udp recvfrom: attempt to use a closed socket")
      assert.has_error(function() u:port() end, "socket port: attempt to use a closed socket")
    end)
  end)
end)
