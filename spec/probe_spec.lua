-- probe: ICMP echo from inside a namespace (ns:ping), over a veth between
-- two namespaces; the real ping (iputils) run in the same namespace is the
-- witness of what is reachable.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

-- How long a call of fn(...) took, in seconds, and its result.
local function timed(fn, ...)
  local start = core.clock()
  local result = fn(...)
  return core.clock() - start, result
end

-- Does iputils' ping, run inside ns, get an answer from addr within wait
-- seconds (default 1)?
local function real_ping(ns, addr, wait)
  local r = ns:exec({ "ping", "-c", "1", "-W", tostring(wait or 1), addr })
  return r.status == 0
end

describe("ping", function()
  local test1, test2, end1, end2

  -- test1 [veth-test1 192.168.1.1/24] ---- [veth-test2 192.168.1.2/24] test2
  before_each(function()
    world.fresh()
    test1, test2 = netns.add("test1"), netns.add("test2")
    end1, end2 = test1:veth("veth-test1", "veth-test2", { peer_netns = test2 })
    end1:addr_add("192.168.1.1/24")
    end2:addr_add("192.168.1.2/24")
  end)

  -- Both ends up, and both have carrier: the kernel hands carrier to each
  -- end separately (linkwatch), and an end still without it drops what
  -- arrives (IPv6 neighbour discovery then waits a full second to retry).
  local function up()
    end1:up()
    end2:up()
    assert.is_true(end1:wait("UP"))
    assert.is_true(end2:wait("UP"))
  end

  it("reaches the other end over IPv4, with sane round-trip times", function()
    up()
    local r = test1:ping("192.168.1.2", { count = 3, interval = 0.01 })
    assert.equal("192.168.1.2", r.target)
    assert.equal(3, r.sent)
    assert.equal(3, r.received)
    assert.is_nil(r.error)
    assert.is_true(r.rtt_min > 0, "rtt_min > 0")
    assert.is_true(r.rtt_min <= r.rtt_avg, "rtt_min <= rtt_avg")
    assert.is_true(r.rtt_avg <= r.rtt_max, "rtt_avg <= rtt_max")
    assert.is_true(r.rtt_max < 1000, "rtt_max below the 1 s timeout (ms)")
    -- and back the other way
    local back = test2:ping("192.168.1.1")
    assert.same({ 1, 1 }, { back.sent, back.received })
  end)

  it("reaches the other end over IPv6", function()
    end1:addr_add("2001:db8::1/64", { nodad = true })
    end2:addr_add("2001:db8::2/64", { nodad = true })
    up()
    -- ff02::1:ff00:2 and ff02::1:ff00:1, the solicited-node groups
    assert.is_true(test2:link("veth-test2"):wait_ipv6())
    assert.is_true(test1:link("veth-test1"):wait_ipv6())
    local r = test1:ping("2001:db8::2", { count = 3, interval = 0.01, timeout = 0.5 })
    assert.same({ "2001:db8::2", 3, 3 }, { r.target, r.sent, r.received })
    assert.is_nil(r.error)
    assert.is_true(r.rtt_min > 0 and r.rtt_min <= r.rtt_avg and r.rtt_avg <= r.rtt_max)
    assert.equal(1, test2:ping("2001:db8::1").received)
  end)

  it("gets no answer from an address nobody has, within the timeout", function()
    up()
    -- The timeout (1.5 s) is above the default one (1 s), so a ping that
    -- ignored the option would return too soon; the call's deadline is
    -- taken on the same monotonic clock after `timed` starts it, so
    -- took >= timeout holds however loaded the machine. The upper bound
    -- leaves a whole second for wake-up and scheduling delays (ASan, two
    -- busy vCPUs) yet fails a ping that waits twice the timeout, or for
    -- ever.
    local timeout = 1.5
    local took, r = timed(test1.ping, test1, "192.168.1.9", { timeout = timeout })
    assert.same({ "192.168.1.9", 1, 0 }, { r.target, r.sent, r.received })
    assert.is_nil(r.rtt_min)
    assert.is_nil(r.error)
    assert.is_true(took >= timeout, "waited the whole timeout: " .. took)
    assert.is_true(took < timeout + 1, "returned soon after the timeout: " .. took)
  end)

  it("says Network is unreachable at once when there is no route", function()
    end1:addr_add("2001:db8::1/64", { nodad = true })
    up()
    -- "At once" is measured against a long timeout: a ping that waited for
    -- it would take 5 s, while failing at the send takes milliseconds, so
    -- 1 s is far from both ends.
    local timeout = 5
    for _, target in ipairs{ "198.51.100.1", "2001:db8:ffff::1" } do
      local took, r = timed(test1.ping, test1, target, { timeout = timeout })
      assert.equal("Network is unreachable", r.error)
      assert.same({ target, 0, 0 }, { r.target, r.sent, r.received })
      assert.is_true(took < 1, target .. " took " .. took .. " s, not at once")
    end
  end)

  it("says what came back instead of a reply: a reject rule's port unreachable, IPv4 and IPv6", function()
    end1:addr_add("2001:db8::1/64", { nodad = true })
    end2:addr_add("2001:db8::2/64", { nodad = true })
    up()
    -- static neighbours: the reject below also refuses neighbour discovery
    test1:neigh_add("veth-test1", { dst = "2001:db8::2", lladdr = end2:info().address })
    test2:neigh_add("veth-test2", { dst = "2001:db8::1", lladdr = end1:info().address })
    local input = test2:nft_table("inet", "f"):chain("input", { type = "filter", hook = "input", priority = 0 })
    input:rule("meta l4proto icmp reject")
    input:rule("meta l4proto ipv6-icmp reject")
    -- (the kernel may rate-limit an error: the sequence number is the first that got one)
    local took, r = timed(test1.ping, test1, "192.168.1.2", { count = 3, timeout = 5 })
    assert.matches("^From 192%.168%.1%.2 icmp_seq=%d Destination Port Unreachable$", r.error)
    assert.equal("ECONNREFUSED", r.errno)
    assert.equal(0, r.received)
    local seq = tonumber(r.error:match("icmp_seq=(%d)"))
    assert.is_true(r.sent == seq or r.sent == seq + 1, "sent " .. r.sent) -- done at the error, as it knows
    assert.is_true(took < 1, "took " .. took .. " s")
    r = test1:ping("2001:db8::2", { count = 3, timeout = 5 })
    assert.matches("^From 2001:db8::2 icmp_seq=%d Destination unreachable: Port unreachable$", r.error)
    assert.equal("ECONNREFUSED", r.errno)
    -- the witness: iputils says the same
    local real = test1:exec({ "ping", "-c", "1", "-W", "1", "192.168.1.2" })
    assert.truthy(real.stdout:find("From 192.168.1.2 icmp_seq=1 Destination Port Unreachable", 1, true), real.stdout)
    -- another namespace's errors are not ours: a plain drop is silence again
    input:flush()
    input:rule("meta l4proto icmp drop")
    r = test1:ping("192.168.1.2", { timeout = 0.3 })
    assert.same({ 0, "nil" }, { r.received, tostring(r.error) })
  end)

  it("says Net Unreachable from the router that has no route", function()
    local r = netns.add("r")
    local a0, r0 = test1:veth("a0", "r0", { peer_netns = r })
    a0:addr_add("10.9.0.2/24")
    r0:addr_add("10.9.0.1/24")
    a0:up()
    r0:up()
    test1:route_add{ dst = "198.51.100.0/24", via = "10.9.0.1" }
    r:sysctl("net.ipv4.ip_forward", 1)
    local result = test1:ping("198.51.100.7", { timeout = 2 })
    assert.equal("From 10.9.0.1 icmp_seq=1 Destination Net Unreachable", result.error)
    assert.equal("ENETUNREACH", result.errno)
    local real = test1:exec({ "ping", "-c", "1", "-W", "1", "198.51.100.7" })
    assert.truthy(real.stdout:find("From 10.9.0.1 icmp_seq=1 Destination Net Unreachable", 1, true), real.stdout)
  end)

  -- test1 [192.168.1.1] -- [192.168.1.2] test2 [10.8.0.1, MTU 1400] --
  -- [10.8.0.2, MTU 1400] r3: a hop with a smaller MTU.
  local function narrow_hop(v6)
    local r3 = netns.add("r3")
    local x, y = test2:veth("x0", "y0", { peer_netns = r3 })
    x:set{ mtu = 1400 }
    y:set{ mtu = 1400 }
    if v6 then
      end1:addr_add("2001:db8::1/64")
      end2:addr_add("2001:db8::2/64")
      x:addr_add("2001:db8:8::1/64")
      y:addr_add("2001:db8:8::2/64")
    else
      x:addr_add("10.8.0.1/24")
      y:addr_add("10.8.0.2/24")
    end
    up()
    x:up()
    y:up()
    assert.is_true(x:wait("UP") and y:wait("UP"))
    if v6 then
      for _, l in ipairs({ end1, end2, x, y }) do assert.is_true(l:wait_ipv6()) end
      test1:route_add{ dst = "2001:db8:8::/64", via = "2001:db8::2" }
      r3:route_add{ dst = "2001:db8::/64", via = "2001:db8:8::1" }
      test2:sysctl("net.ipv6.conf.all.forwarding", 1)
      return r3, "2001:db8:8::2"
    end
    test1:route_add{ dst = "10.8.0.0/24", via = "192.168.1.2" }
    r3:route_add{ dst = "192.168.1.0/24", via = "10.8.0.1" }
    test2:sysctl("net.ipv4.ip_forward", 1)
    return r3, "10.8.0.2"
  end

  it("sends requests of any size; one too big for a hop, not to be fragmented, fails as ping says", function()
    local _, far = narrow_hop()
    local r = test1:ping(far, { size = 1372, dont_fragment = true, timeout = 2 }) -- 1400 bytes: fits
    assert.same({ 1, 1 }, { r.sent, r.received })
    -- 1500 bytes: the router says so, with the next hop's MTU; as iputils does
    r = test1:ping(far, { size = 1472, dont_fragment = true, count = 3, timeout = 2 })
    assert.equal("From 192.168.1.2 icmp_seq=1 Frag needed and DF set (mtu = 1400)", r.error)
    assert.equal("EMSGSIZE", r.errno)
    assert.equal(0, r.received)
    local real = test1:exec({ "ping", "-c", "1", "-W", "1", "-s", "1472", "-M", "do", "10.8.0.2" })
    assert.truthy(real.stdout:find("Frag needed and DF set (mtu = 1400)", 1, true) or
                  real.stderr:find("message too long, mtu=1400", 1, true), real.stdout .. real.stderr)
    -- now the kernel knows the path's MTU: refused before it leaves
    r = test1:ping(far, { size = 1472, dont_fragment = true, timeout = 2 })
    assert.same({ 0, "EMSGSIZE" }, { r.sent, r.errno })
    assert.matches("^local error: message too long: 1500 bytes", r.error)
    -- fragments may go: the kernel cuts them to the path's MTU, answered
    r = test1:ping(far, { size = 1472, timeout = 2 })
    assert.same({ 1, 1, "nil" }, { r.sent, r.received, tostring(r.error) })
    r = test1:ping(far, { size = 9000, timeout = 2 })
    assert.same({ 1, 1 }, { r.sent, r.received })
  end)

  it("says Packet too big in IPv6, as ping does, and fragments where it may", function()
    local _, far = narrow_hop(true)
    local r = test1:ping(far, { size = 1452, dont_fragment = true, count = 3, timeout = 2 })
    assert.equal("From 2001:db8::2 icmp_seq=1 Packet too big: mtu=1400", r.error)
    assert.equal("EMSGSIZE", r.errno)
    r = test1:ping(far, { size = 3000, timeout = 2 })
    assert.same({ 1, 1 }, { r.sent, r.received })
  end)

  it("a check of a too-big probe says which link's MTU is in the way", function()
    local _, far = narrow_hop()
    local reports = select(2, require("nslab.check").bind({ record = function(passed) return passed end })
      .reachable(test1, far, { size = 1472, dont_fragment = true }))
    assert.truthy(reports[1].cause:find("^too big for the way: 1500%-byte packets "
      .. "%(not to be fragmented: ping %-M do%), and x0 in test2 has MTU 1400"), reports[1].cause)
  end)

  it("gets no reply across a link that is down", function()
    -- both ends down from the start
    local r = test1:ping("192.168.1.2", { timeout = 0.2 })
    assert.equal(0, r.received)
    -- up, then the far end down again
    up()
    assert.equal(1, test1:ping("192.168.1.2").received)
    end2:down()
    r = test1:ping("192.168.1.2", { timeout = 0.2 })
    assert.same({ 1, 0 }, { r.sent, r.received })
    assert.is_false(real_ping(test1, "192.168.1.2", 0.2))
  end)

  it("pings many targets in one call, results in the order asked", function()
    -- 192.168.1.50-99, in a scrambled order (17 is prime to 50), so that
    -- the results could not come back in numeric order by chance
    local targets = {}
    for k = 0, 49 do
      local i = 50 + (k * 17) % 50
      end2:addr_add("192.168.1." .. i .. "/24")
      targets[#targets + 1] = "192.168.1." .. i
    end
    up()
    -- Each target gets two requests an interval apart, so one target alone
    -- needs at least that interval (the replies on a veth take
    -- microseconds): one after the other, 50 targets need 50 x 0.2 = 10 s;
    -- all at once, a little over 0.2 s. The timeout (2 s) is there only so
    -- that a slow machine still gets every reply in. 1.5 s leaves more
    -- than a second for ASan and load, and still fails if as few as 8 of
    -- the 50 targets went one after the other (8 x 0.2 s = 1.6 s).
    local count, interval = 2, 0.2
    local sequential = #targets * (count - 1) * interval
    local took, results = timed(test1.ping, test1, targets,
                                { count = count, interval = interval, timeout = 2 })
    assert.equal(#targets, #results)
    for i, r in ipairs(results) do
      assert.equal(targets[i], r.target)
      assert.same({ count, count }, { r.sent, r.received }, r.target)
      assert.is_nil(r.error, r.target)
    end
    -- the interval was kept (else the bound below would prove nothing)
    assert.is_true(took >= (count - 1) * interval, "the interval was kept: " .. took)
    assert.is_true(took < 1.5 and took < sequential,
                   "in parallel, not one after the other: " .. took .. " s (sequential: "
                   .. sequential .. " s)")
  end)

  it("splits a large call between two threads, each target with its own result", function()
    -- 300 targets over 150 addresses, each address asked twice far apart
    -- in the list (so in both halves when the call is split: 128 targets
    -- or more, on more than one CPU): .100-.199 answer, .50-.99 nobody has
    for i = 100, 199 do end2:addr_add("192.168.1." .. i .. "/24") end
    up()
    local targets = {}
    for k = 0, 299 do targets[#targets + 1] = "192.168.1." .. 50 + (k * 7) % 150 end
    local took, results = timed(test1.ping, test1, targets, { count = 1, timeout = 1 })
    assert.equal(#targets, #results)
    local answered = 0
    for i, r in ipairs(results) do
      local live = tonumber(targets[i]:match("%d+$")) >= 100
      assert.equal(targets[i], r.target)
      assert.same({ 1, live and 1 or 0 }, { r.sent, r.received }, "target " .. i .. " " .. r.target)
      if live then answered = answered + 1 end
    end
    assert.equal(200, answered)
    assert.is_true(took < 2, "one deadline for both halves: " .. took .. " s")
  end)

  it("sizes each half's sockets for every reply they get a copy of, the other half's too", function()
    -- the first half: 127 IPv6 targets and one IPv4; the second: 128 IPv4.
    -- The first half's one IPv4 socket gets a copy of all 129 IPv4
    -- replies of 20,000 bytes: sized for its own one, it overflowed and
    -- dropped its own replies
    end1:addr_add("fd00::1/64")
    end2:addr_add("fd00::2/64")
    up()
    local targets = {}
    for k = 1, 127 do targets[k] = "fd00::2" end
    for k = 128, 256 do targets[k] = "192.168.1.2" end
    local results = test1:ping(targets, { count = 5, interval = 0.05, timeout = 3, size = 20000 })
    local short = {}
    for i, r in ipairs(results) do
      if r.received < 5 then short[#short + 1] = i .. ": " .. r.sent .. "/" .. r.received end
    end
    assert.same({}, short)
  end)

  it("keeps answered, silent and unroutable targets apart in one call", function()
    up()
    local results = test1:ping({ "192.168.1.2", "192.168.1.9", "198.51.100.1", "192.168.1.1" },
                               { timeout = 0.3 })
    local got = {}
    for i, r in ipairs(results) do got[i] = { r.target, r.received, r.error or "" } end
    assert.same({
      { "192.168.1.2", 1, "" },
      { "192.168.1.9", 0, "" },
      { "198.51.100.1", 0, "Network is unreachable" },
      { "192.168.1.1", 0, "" }, -- its own address, but lo is down in test1
    }, got)
  end)

  it("agrees with the real ping on what is reachable", function()
    up()
    local cases = {
      { test1, "192.168.1.2" }, { test2, "192.168.1.1" },  -- the cable
      { test1, "192.168.1.9" },                             -- nobody there
      { test1, "198.51.100.1" },                            -- no route
    }
    for _, case in ipairs(cases) do
      local ns, addr = case[1], case[2]
      local mine = ns:ping(addr, { timeout = 0.3 }).received == 1
      assert.equal(real_ping(ns, addr, 0.3), mine, "ping " .. addr .. " from " .. ns.name)
    end
    assert.is_true(real_ping(test1, "192.168.1.2"), "the witness sees the cable work")
  end)

  it("traces the iputils command that does the same, and that command agrees", function()
    up()
    local trace = require("nslab.trace")
    local cases = {
      { "192.168.1.2", nil, "ping -c 1 -w 1 192.168.1.2", true },
      { "192.168.1.2", { count = 3, replies = 1, timeout = 2 }, "ping -c 1 -i 0.2 -w 2 192.168.1.2", true },
      { "192.168.1.9", { count = 2, interval = 0.1, timeout = 0.3 }, "ping -c 2 -i 0.1 -w 1 192.168.1.9", false },
      -- no timeout, and more requests than the default second holds
      { "192.168.1.2", { count = 7, interval = 0.2 }, "ping -c 7 -i 0.2 -w 3 192.168.1.2", true },
    }
    for _, case in ipairs(cases) do
      local addr, opts, words, answered = case[1], case[2], case[3], case[4]
      trace.clear()
      local r = test1:ping(addr, opts)
      assert.equal(answered, r.received > 0, addr)
      local traced = trace.history[#trace.history]
      assert.equal("ip netns exec test1 " .. words, traced)
      -- the traced command, run as written, sees what the probe saw
      local replay = test1:exec({ "sh", "-c", words .. " >/dev/null 2>&1" })
      assert.equal(answered, replay.status == 0, traced)
    end
  end)

  it("stops sending to a target once it has its replies (replies)", function()
    up()
    -- count 3 one second apart: all of them take 2 s; done at the first
    -- reply, a live peer answers in well under a second
    local took, r = timed(test1.ping, test1, "192.168.1.2", { count = 3, interval = 1, replies = 1, timeout = 5 })
    assert.same({ 1, 1 }, { r.sent, r.received })
    assert.is_true(took < 0.9, "done at the first reply: " .. took)
    -- a silent target still gets every request, one per interval
    took, r = timed(test1.ping, test1, "192.168.1.9", { count = 3, interval = 0.1, replies = 1, timeout = 0.5 })
    assert.same({ 3, 0 }, { r.sent, r.received })
    assert.is_true(took >= 0.5, "waited the whole timeout: " .. took)
    -- two replies wanted: two requests, the interval kept between them
    took, r = timed(test1.ping, test1, "192.168.1.2", { count = 5, interval = 0.3, replies = 2, timeout = 5 })
    assert.same({ 2, 2 }, { r.sent, r.received })
    assert.is_true(took >= 0.3 and took < 1.2, "two requests an interval apart: " .. took)
  end)

  it("sends every request of a count the default deadline would cut short", function()
    up()
    -- 7 requests 0.2 s apart take 1.2 s: without a timeout given, the
    -- deadline is a second after the last one, not the first second
    local took, r = timed(test1.ping, test1, "192.168.1.9", { count = 7, interval = 0.2 })
    assert.same({ 7, 0 }, { r.sent, r.received })
    assert.is_true(took >= 2.2 and took < 3.5, "the last request and a second: " .. took)
    r = test1:ping("192.168.1.2", { count = 7, interval = 0.2 })
    assert.same({ 7, 7 }, { r.sent, r.received })
    -- a count that fits in the second keeps the one-second deadline; a
    -- timeout given is the deadline
    took, r = timed(test1.ping, test1, "192.168.1.9", { count = 3, interval = 0.2 })
    assert.same(3, r.sent)
    assert.is_true(took >= 1 and took < 1.5, "one second: " .. took)
    took, r = timed(test1.ping, test1, "192.168.1.9", { count = 7, interval = 0.2, timeout = 0.5 })
    assert.same(3, r.sent)
    assert.is_true(took >= 0.5 and took < 1, "the timeout given: " .. took)
  end)

  describe("ping_many: several namespaces in one poll loop", function()
    it("probes from every source at once, results in the order asked", function()
      local test3 = netns.add("test3")
      local a3, b3 = test2:veth("veth-23", "veth-32", { peer_netns = test3 })
      a3:addr_add("10.0.23.2/24")
      b3:addr_add("10.0.23.3/24")
      a3:up()
      b3:up()
      up()
      assert.is_true(a3:wait("UP") and b3:wait("UP"))
      local probes = {
        { test1.handle, "192.168.1.2" }, { test2.handle, "192.168.1.1" },
        { test3.handle, "10.0.23.2" }, { test2.handle, "10.0.23.3" },
        { test1.handle, "192.168.1.9" },                -- nobody there
        { test3.handle, "198.51.100.1" },               -- no route
      }
      -- Two requests an interval (0.3 s) apart for each of the answered
      -- probes: one source after another would take at least 4 x 0.3 s
      -- plus the silent one's timeout; at once, the timeout (1 s) bounds it.
      local took, results = timed(core.ping_many, probes, { count = 2, interval = 0.3, timeout = 1 })
      local got = {}
      for i, r in ipairs(results) do got[i] = { r.target, r.sent, r.received, r.errno or "" } end
      assert.same({
        { "192.168.1.2", 2, 2, "" }, { "192.168.1.1", 2, 2, "" },
        { "10.0.23.2", 2, 2, "" }, { "10.0.23.3", 2, 2, "" },
        { "192.168.1.9", 2, 0, "" }, { "198.51.100.1", 0, 0, "ENETUNREACH" },
      }, got)
      assert.is_true(took >= 1 and took < 1.9, "one loop, bounded by the timeout: " .. took)
      -- the witness agrees, from the same namespaces
      assert.is_true(real_ping(test3, "10.0.23.2"))
      assert.is_false(real_ping(test1, "192.168.1.9", 0.2))
    end)

    it("keeps two handles of one namespace apart from each other's replies", function()
      up()
      local again = netns.open("test1")
      local results = core.ping_many({ { test1.handle, "192.168.1.2" }, { again.handle, "192.168.1.2" } },
                                     { count = 3, interval = 0.01, timeout = 2 })
      for _, r in ipairs(results) do assert.same({ 3, 3 }, { r.sent, r.received }) end
      again:close()
    end)

    it("ends as soon as every probe has its replies", function()
      up()
      local took, results = timed(core.ping_many, { { test1.handle, "192.168.1.2" }, { test2.handle, "192.168.1.1" } },
                                  { count = 3, interval = 1, replies = 1, timeout = 5 })
      assert.same({ 1, 1 }, { results[1].received, results[2].received })
      assert.is_true(took < 0.9, "done at the first replies: " .. took)
      assert.same({}, core.ping_many({}))
    end)

    it("refuses what is no probe, before any wait", function()
      local h = test1.handle
      local cases = {
        { { 5 }, "ping many: argument 1 (probes) item 1 must be a table, got 5" },
        { { { h } }, "ping many: argument 1 (probes) item 1 [2] (target) must be a string of 1..64 bytes "
          .. "without NUL, got nil" },
        { { { "test1", "192.168.1.2" } }, 'ping many: argument 1 (probes) item 1 [1] (netns) must be a netns, '
          .. 'got "test1"' },
        { { { h, "192.168.1.300" } }, 'ping many "192.168.1.300": not an IPv4 or IPv6 address' },
      }
      for _, case in ipairs(cases) do
        local ok, err = pcall(core.ping_many, case[1])
        assert.is_false(ok)
        assert.equal(case[2], err)
      end
      assert.has_error(function() core.ping_many() end, "ping many: argument 1 (probes) must be a table, got nil")
      assert.has_error(function() core.ping_many({}, { replies = 2 }) end,
        "ping many: option 'replies' must be at most count (1), got 2")
      assert.has_error(function() core.ping_many({}, { cuont = 2 }) end, "ping many: invalid option 'cuont'")
      assert.has_error(function() core.ping_many({}, {}, 1) end, "ping many: too many arguments (3 given, at most 2)")
      local closed = netns.new()
      closed:close()
      assert.has_error(function() core.ping_many{ { closed.handle, "192.168.1.2" } } end,
        "ping many: argument 1 (probes) item 1 [1] (netns): attempt to use a closed netns (anonymous)")
    end)
  end)

  describe("the checks", function()
    local check, recorded
    before_each(function()
      recorded = {}
      check = require("nslab.check").bind{
        record = function(passed, description, detail, why)
          recorded[#recorded + 1] = { passed, description, detail, why }
          return passed
        end,
        host = function() return netns.host() end,
      }
    end)

    it("reachable passes at the first reply, unreachable waits its whole timeout", function()
      up()
      -- count 3 one second apart would take 2 s if it waited for them all
      local took, passed = timed(check.reachable, test1, "192.168.1.2", { interval = 1 })
      assert.is_true(passed)
      assert.is_true(took < 0.9, "done at the first reply: " .. took)
      assert.equal("ping 192.168.1.2 from test1: 1/1 replies", recorded[1][2]:match("^(.-), avg"))
      took, passed = timed(check.unreachable, test1, "192.168.1.9", { timeout = 0.4 })
      assert.is_true(passed)
      assert.is_true(took >= 0.4, "waited the whole timeout: " .. took)
      assert.equal("ping 192.168.1.9 from test1: no reply within 0.4 s", recorded[2][2])
      -- passed, it returns true alone (a prompt prints "true", not "true nil")
      assert.equal(1, select("#", check.reachable(test1, "192.168.1.2")))
      assert.equal(2, select("#", check.reachable(test1, "192.168.1.9", { count = 1, timeout = 0.2 })))
    end)

    it("reachable and unreachable take {ns, target} pairs, probed at once", function()
      up()
      local took, passed = timed(check.reachable, { { test1, "192.168.1.2" }, { test2, { "192.168.1.1" } } },
                                 { interval = 1 })
      assert.is_true(passed)
      assert.is_true(took < 0.9, "at once, done at the first replies: " .. took)
      assert.equal(2, #recorded)
      assert.matches("^ping 192.168.1.2 from test1: 1/1 replies", recorded[1][2])
      assert.matches("^ping 192.168.1.1 from test2: 1/1 replies", recorded[2][2])
      -- the silent ones wait their timeout once, together
      took, passed = timed(check.unreachable, { { test1, "192.168.1.9" }, { test2, "192.168.1.8" } },
                           { timeout = 0.5 })
      assert.is_true(passed)
      assert.is_true(took >= 0.5 and took < 0.95, "one timeout for both: " .. took)
      -- a failing pair fails its own check only
      passed = check.reachable({ { test1, "192.168.1.2" }, { test1, "192.168.1.9" } }, { timeout = 0.3 })
      assert.is_false(passed)
      assert.same({ true, false }, { recorded[5][1], recorded[6][1] })
      assert.equal("no reply within 0.3 s", recorded[6][3])
      assert.has_error(function() check.reachable({}) end,
        "check.reachable: argument 1 (probes) must hold at least one {ns, target} pair, got an empty table")
      assert.has_error(function() check.reachable({ { 5, "192.168.1.2" } }) end,
        "check.reachable: argument 1 (probes) item 1 [1] (ns) must be a netns, got number")
      -- a table that cannot ping is no netns either (it failed as a call of nil)
      assert.has_error(function() check.reachable({ { {}, "192.168.1.2" } }) end,
        "check.reachable: argument 1 (probes) item 1 [1] (ns) must be a netns, got table")
      assert.has_error(function() check.reachable({}, "192.168.1.2") end,
        "check.reachable: argument 1 (ns) must be a netns or a list of {ns, target} pairs, got a table with "
          .. "a target after it")
      assert.has_error(function() check.reachable({ { test1, "192.168.1.2" } }, { replies = 5 }) end,
        "check.reachable: option 'replies' must be at most count (3), got 5")
    end)

    it("mesh: every node pings every other one, one check for all, the failures returned", function()
      -- three namespaces on a bridge in the host, and one that is cut off
      local host = netns.host()
      local br = host:bridge("br0", { stp = false })
      br:up()
      local nodes = {}
      for i = 1, 3 do
        local ns = netns.add("m" .. i)
        local port = host:veth("p" .. i, "eth0", { peer_netns = ns })
        br:attach(port)
        port:up()
        local eth0 = ns:link("eth0")
        eth0:addr_add("10.9.0." .. i .. "/24")
        eth0:up()
        assert.is_true(eth0:wait("UP") and port:wait("UP"))
        nodes[i] = { ns, "10.9.0." .. i }
      end
      local passed, failures = check.mesh(nodes, { timeout = 3 })
      assert.is_true(passed)
      assert.same({}, failures)
      assert.same({ true, "mesh of 3: every node reaches every other one (6 probes)" },
                  { recorded[1][1], recorded[1][2] })
      -- the witness: each node reaches the others with the real ping too
      assert.is_true(real_ping(nodes[3][1], "10.9.0.1"))
      nodes[4] = { netns.add("m4"), "10.9.0.4" }
      passed, failures = check.mesh(nodes, { timeout = 0.5 })
      assert.is_false(passed)
      assert.equal(6, #failures)   -- 3 to m4 (nobody there), 3 from it (no route)
      for _, f in ipairs(failures) do
        assert.is_true(f.to == "10.9.0.4" or rawequal(f.from, nodes[4][1]), f.to)
      end
      assert.matches("^6 of 12 probes failed: ", recorded[2][3])
      -- the first failure diagnosed under the FAIL line: m1 to m4, where
      -- no port of the bridge leads to 10.9.0.4
      assert.equal(failures[1].why, recorded[2][4])
      assert.truthy(recorded[2][4]:text():find("the way there (m1 10.9.0.1 → 10.9.0.4)", 1, true),
                    recorded[2][4]:text())
      assert.equal("no port of bridge br0 in host leads to 10.9.0.4", failures[1].why.cause)
      assert.is_nil(failures[2].why)
      assert.has_error(function() check.mesh({ nodes[1] }) end,
        "check.mesh: argument 1 (nodes) must hold at least 2 nodes, got 1")
      assert.has_error(function() check.mesh({ nodes[1], 5 }) end,
        "check.mesh: argument 1 (nodes) item 2 must be a {ns, address} pair or a container with an address, got 5")
      assert.has_error(function() check.mesh({ nodes[1], { 5, "10.9.0.9" } }) end,
        "check.mesh: argument 1 (nodes) item 2 [1] (ns) must be a netns, got number")
      assert.has_error(function() check.mesh({ nodes[1], { {}, "10.9.0.9" } }) end,
        "check.mesh: argument 1 (nodes) item 2 [1] (ns) must be a netns, got table")
    end)
  end)

  describe("errors", function()
    it("a malformed target", function()
      assert.has_error(function() test1:ping("192.168.1.300") end,
        'ping "192.168.1.300": not an IPv4 or IPv6 address')
      assert.has_error(function() test1:ping({ "192.168.1.2", "2001:db8::zz" }) end,
        'ping "2001:db8::zz": not an IPv4 or IPv6 address')
      assert.has_error(function() test1:ping("192.168.1.0/24") end,
        'ping "192.168.1.0/24": not an IPv4 or IPv6 address')
    end)
    it("a misspelled option", function()
      assert.has_error(function() test1:ping("192.168.1.2", { cuont = 3 }) end,
        "ping: invalid option 'cuont'")
    end)
    it("bad option values", function()
      local cases = {
        { { count = 0 }, "ping: option 'count' must be an integer 1..65536, got 0" },
        { { count = 1.5 }, "ping: option 'count' must be an integer 1..65536, got 1.5" },
        { { count = 2 ^ 53 }, "ping: option 'count' must be an integer 1..65536, got 9.007199254741e+15" },
        { { timeout = 0 }, "ping: option 'timeout' must be a number 0.001..3600, got 0" },
        { { timeout = "1" }, "ping: option 'timeout' must be a number 0.001..3600, got \"1\"" },
        { { timeout = 0 / 0 },
          "ping: option 'timeout' must be a number 0.001..3600, got " .. tostring(0 / 0):gsub("^%-", "") },
        { { timeout = 1 / 0 }, "ping: option 'timeout' must be a number 0.001..3600, got inf" },
        { { timeout = 3601 }, "ping: option 'timeout' must be a number 0.001..3600, got 3601" },
        { { interval = -1 }, "ping: option 'interval' must be a number 0..60, got -1" },
        { 5, "ping: options must be a table, got 5" },
      }
      for _, case in ipairs(cases) do
        local start = core.clock()
        local ok, err = pcall(function() return test1.handle:ping("192.168.1.2", case[1]) end)
        assert.is_false(ok)
        assert.equal(case[2], err)
        assert.is_true(core.clock() - start < 0.5, "refused before any wait")
      end
    end)
    it("a target that is not a string, and extra arguments", function()
      assert.has_error(function() test1:ping({ "192.168.1.2", 5 }) end,
        "ping: argument 1 (targets) item 2 must be a string of 1..64 bytes without NUL, got 5")
      assert.has_error(function() test1:ping(42) end,
        "ping: argument 1 (target) must be a string of 1..64 bytes without NUL, got 42")
      assert.has_error(function() test1:ping("192.168.1.2\0") end,
        "ping: argument 1 (target) must be a string of 1..64 bytes without NUL, got a string with a NUL byte")
      assert.has_error(function() test1.handle:ping("192.168.1.2", {}, 1) end,
        "ping: too many arguments (3 given, at most 2)")
      assert.has_error(function() test1.handle.ping(5, "192.168.1.2") end)
    end)
  end)
end)
