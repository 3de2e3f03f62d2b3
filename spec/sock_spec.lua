-- sockets: TCP listeners and connections born inside namespaces, across a
-- veth between two of them; what each end sees is checked against `ss`
-- run in the same namespace.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

-- test1 (10.0.0.1) and test2 (10.0.0.2) on a veth, lo up in both.
local function pair()
  local test1, test2 = netns.add("test1"), netns.add("test2")
  local a, b = test1:veth("veth-test1", "veth-test2", { peer_netns = test2 })
  a:addr_add("10.0.0.1/24")
  b:addr_add("10.0.0.2/24")
  for _, l in ipairs{ a, b, test1:link("lo"), test2:link("lo") } do l:up() end
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
    local other <close> = test2.handle:tcp_listen("0.0.0.0", 80)
    local host <close> = netns.host().handle:tcp_listen("0.0.0.0", 80)
    assert.same({ { "0.0.0.0:80", "0.0.0.0:*" } }, ss(test1, "listening"))
    assert.same({ { "0.0.0.0:80", "0.0.0.0:*" } }, ss(test2, "listening"))
    -- closing frees the port at once
    first:close()
    assert.equal("tcp socket 0.0.0.0:80 in netns test1 (closed)", tostring(first))
    local again <close> = test1.handle:tcp_listen("0.0.0.0", 80)
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
    local c6 <close> = test1.handle:tcp_connect("::1", l:port())
    local _, peer6 = l:accept(1)
    assert.equal("::1", peer6)
    local c4 <close> = test2.handle:tcp_connect("10.0.0.1", l:port())
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
    local conn <close> = joined:tcp_connect("127.0.0.1", 8080, { timeout = 1 })
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
        "tcp connect 10.0.0.1: port must be 0..65535")
      assert.has_error(function() ns:tcp_listen("0.0.0.0", 80, { reuse = true }) end,
        "tcp listen: invalid option 'reuse'")
      assert.has_error(function() ns:tcp_connect("10.0.0.1", 80, { timout = 1 }) end,
        "tcp connect: invalid option 'timout'")
      assert.has_error(function() ns:tcp_listen("0.0.0.0", 80, { reuseaddr = 1 }) end,
        "tcp listen: option 'reuseaddr' must be a boolean")
      local l <close> = ns:tcp_listen("127.0.0.1", 80)
      assert.has_error(function() l:recv() end,
        "tcp recv 127.0.0.1:80 in netns test1: a listening socket has no data")
      assert.has_error(function() l:accept(-1) end)
      local c = ns:tcp_connect("127.0.0.1", 80)
      assert.has_error(function() c:accept() end,
        "tcp accept 127.0.0.1:80 in netns test1: not a listening socket")
      c:close()
      c:close()   -- twice is fine
      assert.has_error(function() c:send("x") end, "attempt to use a closed socket")
    end)
  end)
end)
