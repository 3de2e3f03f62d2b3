-- Traffic shaping with a token bucket: tc qdisc replace dev X root tbf.
--
--   tc qdisc replace dev veth-a root tbf rate 20mbit burst 25000 latency 50ms
-- Two namespaces on a veth pair; a TCP transfer from a to b measured
-- before and after the sender's end is shaped (over rtnetlink, no tc
-- process; `tc -j qdisc show` reads it back). The rate is a measurement
-- with generous bounds, not a timing test. Delay and loss need netem,
-- which this kernel may lack: link:shape says so plainly when it does.
lab "shaping: tbf on a veth"

local core = require("nslab.core")
local RATE = 20e6 -- bits per second
local BYTES = 2500000 -- about a second at RATE

step("namespaces a 10.0.0.1 and b 10.0.0.2 on a veth pair", function()
  a, b = netns.add("a"), netns.add("b")
  ea, eb = a:veth("veth-a", "veth-b", { peer_netns = b })
  ea:addr_add("10.0.0.1/24"); eb:addr_add("10.0.0.2/24")
  ea:up(); eb:up()
end)
check.ok(ea:wait("UP") and eb:wait("UP"), "the pair is up")

-- Send bytes from a to b over one connection, both ends in this process:
-- at most WINDOW bytes sent and not yet read, so that a send never waits
-- for a read that only this same loop could do. Bits per second, from
-- the first byte sent to the last one read.
local WINDOW, CHUNK = 32768, 8192
local function transfer(bytes)
  local listener = b:tcp_listen("10.0.0.2", 5001)
  local c = a:tcp_connect("10.0.0.2", 5001, { timeout = 2 })
  local s = listener:accept(2)
  local chunk = string.rep("x", CHUNK)
  local sent, got = 0, 0
  local t0 = core.clock()
  while got < bytes do
    if sent < bytes and sent - got < WINDOW then
      local n = math.min(CHUNK, bytes - sent)
      c:send(n == CHUNK and chunk or chunk:sub(1, n))
      sent = sent + n
    else
      local data = s:recv(1 << 20, 5)
      if data == "" then break end
      got = got + #data
    end
  end
  local seconds = core.clock() - t0
  c:close(); s:close(); listener:close()
  return got * 8 / seconds, got
end

local function mbit(bps) return string.format("%.1f Mbit/s", bps / 1e6) end

section "Unshaped: as fast as the kernel copies"
local free = transfer(BYTES)
show("a → b: " .. mbit(free))

section "Shaped to 20mbit on a's end"
step("veth-a: tbf rate 20mbit", function() ea:shape{ rate = "20mbit", burst = "25000", latency = "50ms" } end)
local q = a:exec("tc -j qdisc show dev veth-a")
show(q)
check.match(q.stdout, '"kind":"tbf".-"rate":2500000,"burst":25000,"lat":50000',
            "tc reads back the qdisc: rate 2500000 bytes/s, burst 25000 b, latency 50 ms")
local shaped, got = transfer(BYTES)
show(string.format("a → b: %s (%d bytes)", mbit(shaped), got))
check.ok(got == BYTES and shaped > 0.4 * RATE and shaped < 1.3 * RATE,
         string.format("the transfer runs at about 20 Mbit/s: %s, within 8..26", mbit(shaped)))
check.ok(free > 2 * shaped, string.format("and unshaped it ran faster: %s", mbit(free)))

section "Delay and loss: netem"
local ok, err = pcall(function() ea:shape{ delay = "100ms", loss = "1%" } end)
if ok then
  show(a:exec("tc -j qdisc show dev veth-a"))
  check.ok(true, "this kernel has netem: delay and loss set")
else
  show(err)
  check.match(err, "no netem qdisc", "this kernel has no netem: link:shape says so, and what works instead")
end

section "Unshaped again"
step("veth-a: tc qdisc del root", function() ea:unshape() end)
check.match(a:exec("tc -j qdisc show dev veth-a").stdout, '"kind":"noqueue"', "back to the veth's noqueue")
