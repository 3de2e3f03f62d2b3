-- The loopback device and the local routing table: seed 003.
--
--   ip route show table local
--     local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1
--     local 10.141.155.131 dev eth0 proto kernel scope host src 10.141.155.131
--     broadcast 10.141.191.255 dev eth0 proto kernel scope link src ...
--   Traffic to any local address is handed to lo, never to eth0's wire.
lab "loopback: lo and the local table"

local function key(r)
  return table.concat({ r.type, r.dst, r.dev, r.scope, r.prefsrc or "" }, " ")
end

section "A namespace with lo and an eth0"
step("ip netns add n1; lo up; a veth eth0 with 10.141.155.131/18", function()
  n1 = netns.add "n1"
  n1:link("lo"):up()
  -- (no IPv6 chatter on either end: nslab makes them without IPv6 address
  -- generation, as the note under the command says, so eth0's counters
  -- stay still)
  local peer0 = host:veth("peer0", "eth0", { peer_netns = n1 })
  peer0:up() -- carrier for eth0
  eth0 = n1:link("eth0")
  eth0:addr_add("10.141.155.131/18", { broadcast = true })
  eth0:up()
end)
check.ok(n1:link("eth0"):wait("UP"), "eth0 is UP: it could send, if anything were sent its way")

section "ip route show table local"
show(n1:exec("ip route show table local").stdout)
local mine = {}
for _, r in ipairs(n1:routes{ table = "local", family = "inet" }) do mine[#mine + 1] = key(r) end
table.sort(mine)
check.ok(#mine >= 5, ("%d IPv4 routes in table local"):format(#mine))
local want = {
  "local 127.0.0.0/8 lo host 127.0.0.1",
  "local 127.0.0.1 lo host 127.0.0.1",
  "broadcast 127.255.255.255 lo link 127.0.0.1",
  "local 10.141.155.131 eth0 host 10.141.155.131",
  "broadcast 10.141.191.255 eth0 link 10.141.155.131",
}
for _, line in ipairs(want) do
  local present = false
  for _, m in ipairs(mine) do present = present or m == line end
  check.ok(present, "table local has: " .. line)
end
-- The tutorial's table also has "broadcast 10.141.128.0" and "broadcast
-- 127.0.0.0": the older kernel it ran added a broadcast route for each
-- network's own address, and this one does not.
local old_kernel = 0
for _, m in ipairs(mine) do
  if m:find("^broadcast 10%.141%.128%.0 ") or m:find("^broadcast 127%.0%.0%.0 ") then old_kernel = old_kernel + 1 end
end
check.equal(old_kernel, 0, "no broadcast 10.141.128.0 nor 127.0.0.0 lines, which the tutorial's older kernel had")
local ip_view = {}
for _, r in ipairs(require("dkjson").decode(n1:exec("ip -j -4 route show table local").stdout)) do
  ip_view[#ip_view + 1] = key(r)
end
table.sort(ip_view)
check.equal(mine, ip_view, "nslab's table local equals ip -j route show table local")

section "Local traffic goes through lo"
local function counter(dev, which)
  return tonumber(n1:exec({ "cat", ("/sys/class/net/%s/statistics/%s"):format(dev, which) }).stdout)
end
local lo_before, eth0_before = counter("lo", "rx_packets"), counter("eth0", "tx_packets")
check.reachable(n1, { "127.0.0.1", "127.8.9.10", "10.141.155.131" }, { replies = 3 })  -- all 3 echoes each
check.ok(counter("lo", "rx_packets") - lo_before >= 18,
         "lo carried the 9 echo requests and 9 replies, even those to eth0's address")
check.equal(counter("eth0", "tx_packets") - eth0_before, 0, "eth0 sent nothing")
check.equal(counter("eth0", "tx_dropped"), 0, "and dropped nothing either")
