-- bench/star.lua N: N namespaces, each joined to the world's host by a
-- veth (peer born inside with its final name), a /30 per pair, IPv6
-- address generation off; then the host pings every namespace at once.
--
--   bin/nslab lua bench/star.lua 1000
--
-- Prints setup and check times. The check runs only for N <= 400: each
-- ping costs two dynamic neighbour entries, and the neighbour table
-- (gc_thresh3 = 1024) is shared by the whole machine, the real host's
-- namespace included (PERFORMANCE.md); overflowing it would disturb it.
local core = require("nslab.core")
local netns = require("nslab.netns")

local n = tonumber(arg[1] or 100)
assert(n >= 1 and n <= 1000, "N must be 1..1000")

local function subnet(i, host_part)
  local base = i * 4
  return string.format("10.%d.%d.%d", base >> 16 & 255, base >> 8 & 255, (base & 255) + host_part)
end

local host = netns.host().handle
local t0 = core.clock()
local targets = {}
for i = 1, n do
  local ns = core.netns_create()
  local name = "h" .. i
  host:link_add{ name = name, kind = "veth", peer = "eth0", peer_netns = ns }
  host:link_set(name, { addrgenmode = "none" })
  ns:link_set("eth0", { addrgenmode = "none" })
  host:addr_add(name, subnet(i, 1) .. "/30")
  ns:addr_add("eth0", subnet(i, 2) .. "/30")
  ns:link_set("eth0", { up = true })
  host:link_set(name, { up = true })
  targets[i] = subnet(i, 2)
  _G["ns" .. i] = ns -- keep the handle (and its socket) alive
end
local t1 = core.clock()
if n > 400 then
  print(string.format("star N=%d: setup %.3f s (%.2f ms per namespace), check skipped (N > 400)",
                      n, t1 - t0, (t1 - t0) * 1000 / n))
  os.exit(0)
end
local results = host:ping(targets, { count = 1, timeout = 5 })
local t2 = core.clock()
local answered = 0
for _, r in ipairs(results) do if r.received > 0 then answered = answered + 1 end end
print(string.format("star N=%d: setup %.3f s (%.2f ms per namespace), check %.3f s, %d/%d answered",
                    n, t1 - t0, (t1 - t0) * 1000 / n, t2 - t1, answered, n))
os.exit(answered == n and 0 or 1)
