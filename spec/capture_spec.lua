-- capture: what went over a link, in-process (AF_PACKET in the link's
-- namespace, a libpcap-compiled filter); the pcap file is read back by
-- Debian's tcpdump, and the decoded fields and text are compared with what
-- tcpdump says about the same packets.
local world = require("spec.support.world")
local program = require("spec.support.program")
local netns = require("nslab").netns -- with the kinds (ns:vxlan)
local core = require("nslab.core")

local function raises(message, fn)
  local ok, err = pcall(fn)
  assert.is_false(ok, "no error raised")
  assert.equal(message, err)
end

-- test1 (10.0.0.1) ---- test2 (10.0.0.2); the two ends.
local function pair()
  local test1, test2 = netns.add("test1"), netns.add("test2")
  local a, b = world.cable(test1, test2, "10.0.0.1/24", "10.0.0.2/24")
  return test1, test2, a, b
end

-- tcpdump -nn -t ARGS -r path: its lines; a VXLAN packet's inner packet,
-- which tcpdump prints on a line of its own, joined to it with ": ", and
-- TCP options left out (the decoder does not spell them).
local function tcpdump(path, args)
  local out = world.sh(nil, "tcpdump -nn -t " .. (args or "") .. " -r " .. program.quote(path) .. " 2>/dev/null")
  local lines = {}
  for line in out:gmatch("[^\n]+") do
    line = line:gsub(", options %b[]", "")
    if lines[#lines] and lines[#lines]:match("vni %d+$") then
      lines[#lines] = lines[#lines] .. ": " .. line
    else
      lines[#lines + 1] = line
    end
  end
  return lines
end

local function texts(packets)
  local out = {}
  for i, p in ipairs(packets) do out[i] = p.text end
  return out
end

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir " .. dir))
  return dir
end

describe("capture", function()
  before_each(world.fresh)

  it("sees both directions, each packet with its direction, as tcpdump -r reads the file", function()
    local test1, _, a = pair()
    local path = os.tmpname()
    local cap = a:capture{ filter = "icmp", file = path }
    assert.equal(3, test1:ping("10.0.0.2", { count = 3, interval = 0.01 }).received)
    assert.is_true(cap:wait(1))
    local packets = cap:stop()
    assert.equal(6, #packets)
    local dirs = {}
    for _, p in ipairs(packets) do
      dirs[p.dir] = (dirs[p.dir] or 0) + 1
      assert.same({ "eth", "ip", "icmp" }, p.layers)
      assert.equal(p.dir == "out" and 8 or 0, p.icmp.type)
      assert.equal(p.dir == "out" and "10.0.0.1" or "10.0.0.2", p.ip.src)
      assert.equal(98, p.len)
      assert.equal(98, #p.data)
    end
    assert.same({ out = 3, ["in"] = 3 }, dirs)
    assert.same(tcpdump(path), texts(packets))
    -- the direction as tcpdump tells it (-Q), and the Ethernet header (-e)
    assert.equal(3, #tcpdump(path, "-e ether src " .. a:info().address))
    local first = tcpdump(path, "-e")[1]
    assert.equal(first:match("^(%S+) > (%S+),"), packets[1].eth.src)
    assert.equal(select(2, first:match("^(%S+) > (%S+),")), packets[1].eth.dst)
    os.remove(path)
  end)

  it("stops after count packets, in the file as in Lua", function()
    local test1, _, a = pair()
    local path = os.tmpname()
    local cap = a:capture{ filter = "icmp", count = 2, file = path }
    test1:ping("10.0.0.2", { count = 3, interval = 0.01 })
    assert.is_true(cap:wait(1))
    assert.equal(2, #cap:packets())
    local s = cap:stats()
    assert.same({ 2, 2, false, "icmp" }, { s.packets, s.count, s.running, s.filter })
    assert.equal(2, #tcpdump(path))
    assert.matches("2 packets %(stopped%)$", tostring(cap))
    assert.equal(2, #cap:stop()) -- stopping again is fine
    os.remove(path)
  end)

  it("keeps snaplen bytes of each frame and says to whom it was sent (pkttype)", function()
    local test1, _, a, b = pair()
    local path = os.tmpname()
    local cap = a:capture{ filter = "icmp", snaplen = 64, file = path }
    local arp = b:capture{ filter = "arp" }
    world.sh(test1, "ip neigh flush all")
    test1:ping("10.0.0.2")
    local p = cap:stop()[1]
    assert.same({ 98, 64, "out", "outgoing" }, { p.len, #p.data, p.dir, p.pkttype })
    assert.same({ "eth", "ip", "icmp" }, p.layers) -- the headers fit in 64 bytes
    assert.same({ "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id " .. p.icmp.id .. ", seq 0, length 64" },
                { tcpdump(path)[1] })
    local kinds = {}
    for _, q in ipairs(arp:stop()) do kinds[#kinds + 1] = q.dir .. " " .. q.pkttype end
    assert.same({ "in broadcast", "out outgoing" }, kinds)
    os.remove(path)
  end)

  it("waits no longer than its timeout when the count is not reached", function()
    local _, _, a = pair()
    local cap = a:capture{ filter = "udp port 9", count = 5 }
    local t0 = core.clock()
    assert.is_false(cap:wait(0.2))
    assert.is_true(core.clock() - t0 < 1)
    assert.same({}, cap:packets())
    cap:close()
  end)

  it("decodes TCP, UDP and ARP as tcpdump prints them (flags S, SA...)", function()
    local test1, test2, a = pair()
    local path = os.tmpname()
    local cap = a:capture{ filter = "tcp port 7777 or udp port 7777 or arp", file = path }
    world.sh(test1, "ip neigh flush all")
    local l = test2:tcp_listen("10.0.0.2", 7777)
    local c = test1:tcp_connect("10.0.0.2", 7777, { timeout = 2 })
    local s = l:accept(2)
    c:send("hello")
    assert.equal("hello", s:recv(5, 2))
    c:close(); s:close(); l:close()
    local u = test2:udp_bind("10.0.0.2", 7777)
    test1:udp_send("10.0.0.2", 7777, "query", { from_port = 5000 })
    assert.equal("query", (u:recvfrom(100, 2)))
    core.sleep(0.05)
    local packets = cap:stop()
    assert.same(tcpdump(path, "-S"), texts(packets))
    local syn = cap:find{ tcp = { flags = "S" } }[1]
    local synack = cap:find{ tcp = { flags = "SA" } }[1]
    assert.same({ "out", "10.0.0.1", "10.0.0.2", 7777, 6 },
                { syn.dir, syn.ip.src, syn.ip.dst, syn.tcp.dport, syn.ip.proto })
    assert.same({ "in", 7777, syn.tcp.sport, syn.tcp.seq + 1 },
                { synack.dir, synack.tcp.sport, synack.tcp.dport, synack.tcp.ack })
    local data = cap:find(function(p) return p.tcp and p.tcp.flags:find("P") end)[1]
    assert.equal("hello", data.data:sub(-5))
    local dgram = cap:find{ udp = { dport = 7777 } }[1]
    assert.same({ 5000, 13 }, { dgram.udp.sport, dgram.udp.len })
    local arp = cap:find{ arp = { op = 1 } }[1]
    assert.same({ "10.0.0.1", "10.0.0.2", a:info().address }, { arp.arp.spa, arp.arp.tpa, arp.arp.sha })
    os.remove(path)
  end)

  it("decodes ICMPv6 and neighbour discovery as tcpdump prints them", function()
    local test1, test2, a, b = pair()
    a:addr_add("2001:db8::1/64", { nodad = true })
    b:addr_add("2001:db8::2/64", { nodad = true })
    assert.is_true(a:wait_ipv6() and b:wait_ipv6())
    local path = os.tmpname()
    -- echo and NS/NA only (not MLD, which tcpdump spells at length)
    local cap = a:capture{ filter = "icmp6 and ip6[40] >= 128 and ip6[40] <= 136 and ip6[40] != 130",
                           file = path }
    assert.equal(1, test1:ping("2001:db8::2").received)
    local packets = cap:stop()
    assert.same(tcpdump(path), texts(packets))
    local req = cap:find{ icmp6 = { type = 128 } }[1]
    assert.same({ "ip6", "2001:db8::1", "2001:db8::2", 58 }, { req.layers[2], req.ip6.src, req.ip6.dst, req.ip6.proto })
    local ns = cap:find{ icmp6 = { type = 135 } }[1]
    assert.equal("2001:db8::2", ns.icmp6.target)
    assert.is_truthy(test2)
    os.remove(path)
  end)

  it("decodes VXLAN with its inner frame, as tcpdump does", function()
    local a, b = netns.add("hostA"), netns.add("hostB")
    local ua, ub = world.cable(a, b, "192.0.2.1/24", "192.0.2.2/24")
    for _, h in ipairs{ { a, "192.0.2.1", "192.0.2.2", "veth-test1", "10.10.0.1/24" },
                        { b, "192.0.2.2", "192.0.2.1", "veth-test2", "10.10.0.2/24" } } do
      local vx = h[1]:vxlan("vx0", { id = 42, dstport = 4789, ["local"] = h[2], remote = h[3], dev = h[4] })
      vx:addr_add(h[5])
      vx:up()
    end
    local path = os.tmpname()
    local cap = ua:capture{ filter = "udp port 4789", file = path }
    assert.equal(1, a:ping("10.10.0.2", { timeout = 2 }).received)
    -- (IGMP reports of vx0's groups may ride along: tcpdump spells them, the
    -- decoder does not)
    local packets = cap:find(function(p) return not (p.inner and p.inner.ip and p.inner.ip.proto == 2) end)
    local lines = {}
    for _, l in ipairs(tcpdump(path)) do if not l:find("igmp", 1, true) then lines[#lines + 1] = l end end
    assert.same(lines, texts(packets))
    cap:stop()
    local echo = cap:find{ inner = { icmp = { type = 8 } } }[1]
    assert.same({ "eth", "ip", "udp", "vxlan" }, echo.layers)
    assert.same({ 42, 4789, "10.10.0.1", "10.10.0.2", a:link("vx0"):info().address },
                { echo.vxlan.vni, echo.udp.dport, echo.inner.ip.src, echo.inner.ip.dst, echo.inner.eth.src })
    assert.is_truthy(ub)
    os.remove(path)
  end)

  it("says clearly what is wrong: a filter, an option, a device, a file", function()
    local test1, _, a = pair()
    raises("capture veth-test1 in netns test1: filter 'tcp prot 80': syntax error",
           function() a:capture{ filter = "tcp prot 80" } end)
    raises("capture veth-test1: invalid option 'filtr'", function() a:capture{ filtr = "tcp" } end)
    raises("capture veth-test1: option 'count' must be an integer 1..100000000, got 0",
           function() a:capture{ count = 0 } end)
    raises("capture veth-test1: option 'snaplen' must be an integer 64..262144, got 1.5",
           function() a:capture{ snaplen = 1.5 } end)
    raises("capture veth-test1: too many arguments (2 given, at most 1)", function() a:capture({}, 1) end)
    raises("capture nope in netns test1: No such device", function() test1.handle:capture("nope") end)
    raises("capture veth-test1 in netns test1: file '/nonexistent/x.pcap': No such file or directory",
           function() a:capture{ file = "/nonexistent/x.pcap" } end)
    raises("packet decode: argument 1 (data) must be a string, got number", function() core.packet_decode(5) end)
    a:delete()
    local ok, err = pcall(a.capture, a, {})
    assert.is_false(ok)
    assert.matches("^capture veth%-test1: No such device %(deleted", err)
  end)

  it("refuses to be used once closed, and leaves nothing open", function()
    local test1, _, a = pair()
    local before = world.open_fds()
    local cap = a:capture{ filter = "icmp" }
    assert.equal(before + 1, world.open_fds())
    test1:ping("10.0.0.2")
    cap:close()
    cap:close() -- twice is fine
    assert.equal(before, world.open_fds())
    assert.matches("%(closed%)$", tostring(cap))
    raises("capture drain: attempt to use a closed capture", function() cap:packets() end)
    raises("capture stop: attempt to use a closed capture", function() cap:stop() end)
    raises("capture stats: attempt to use a closed capture", function() cap:stats() end)
    do
      local scoped <close> = a:capture{} -- luacheck: ignore
      assert.equal(before + 1, world.open_fds())
    end
    assert.equal(before, world.open_fds())
    for _ = 1, 20 do a:capture{ file = "/dev/null" } end
    collectgarbage()
    collectgarbage()
    assert.equal(before, world.open_fds())
    -- a userdata method on something else
    local raw = test1.handle:capture("veth-test1")
    raises("capture drain: argument self must be a capture, got table", function() raw.drain({}) end)
    raises("capture drain veth-test1 in netns test1: argument 1 (timeout) must be a number 0..3600, got -1",
           function() raw:drain(-1) end)
    raw:close()
  end)

  it("decodes any bytes without trouble: short, empty, garbage", function()
    assert.equal("[truncated]", core.packet_decode("").text)
    local short = core.packet_decode(("\0"):rep(10))
    assert.same({}, short.layers)
    local eth = string.char(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0)
    local cut = core.packet_decode(eth .. "\69\0")
    assert.same({ "eth" }, cut.layers)
    assert.is_true(cut.truncated)
    for _ = 1, 200 do
      local bytes = {}
      for i = 1, math.random(0, 120) do bytes[i] = string.char(math.random(0, 255)) end
      local p = core.packet_decode(eth .. table.concat(bytes))
      assert.equal("string", type(p.text))
    end
    local ip = core.packet_decode("\69\0\0\20\0\0\0\0\64\1\0\0\10\0\0\1\10\0\0\2", "raw")
    assert.same({ "ip" }, ip.layers)
    assert.equal("10.0.0.1", ip.ip.src)
    local names = {}
    for _, h in ipairs(core.packet_headers()) do names[#names + 1] = h.name end
    assert.same({ "eth", "arp", "ip", "ip6", "icmp", "icmp6", "tcp", "udp", "vxlan" }, names)
  end)

  it("nslab run --pcap DIR captures every link the lab makes, one file per link and namespace", function()
    local dir = tmpdir()
    local out, code, err = program.nslab("run --pcap " .. dir .. " labs/veth.lua")
    assert.equal(0, code, err .. out)
    local files = {}
    for f in io.popen("ls " .. dir):lines() do files[#files + 1] = f end
    table.sort(files)
    -- the pair is made in test1 and test2 (the lab's moves happen before it exists)
    assert.is_truthy(files[1])
    local found = {}
    for _, f in ipairs(files) do found[f] = true end
    assert.is_true(found["test1-veth-test1.pcap"], table.concat(files, " "))
    assert.is_true(found["test2-veth-test2.pcap"], table.concat(files, " "))
    local lines = tcpdump(dir .. "/test2-veth-test2.pcap")
    local echo = 0
    for _, l in ipairs(lines) do if l:find("ICMP echo request", 1, true) then echo = echo + 1 end end
    assert.is_true(echo >= 1, table.concat(lines, "\n"))
    -- the captures do not keep a stopped container's namespace alive: its
    -- veth goes with it, as without --pcap (docker rm waits for the kernel
    -- to remove it, and deletes it itself only when it does not)
    local lab = program.temp_file([[
lab "gone"
step("two containers, then docker rm -f c1 c2", function()
  docker.run{ name = "c1" }
  docker.run{ name = "c2" }
  docker.rm({ "c1", "c2" }, true)
end)
check.equal(host:link_names(), { "lo", "docker0" }, "the host has no veth left")
]])
    out, code, err = program.nslab("run --pcap " .. dir .. " " .. lab)
    assert.equal(0, code, err .. out)
    assert.matches("1 passed, 0 failed", out)
    assert.matches("while ip link show", out)
    assert.is_nil(out:find("ip link delete", 1, true), out)
    os.remove(lab)
    -- a container's files are named after it, not its namespace's inode
    local names = {}
    for f in io.popen("ls " .. dir):lines() do names[f] = true end
    assert.is_true(names["c1-eth0.pcap"] and names["c2-eth0.pcap"], table.concat(files, " "))
    local _, bad = program.nslab("run --pcap /proc/nope labs/veth.lua")
    assert.equal(2, bad)
    os.execute("rm -rf " .. dir)
  end)
end)
