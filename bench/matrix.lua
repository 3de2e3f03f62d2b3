-- bench/matrix.lua [N] [REPS]: what check.matrix costs for about 1,000 cells
-- (issue 10: at most 0.2 s on this machine kind).
--
--   bin/nslab lua bench/matrix.lua          -- N = 32: 32 × 32 (992 cells)
--
-- N namespaces on one bridge (IPv6 address generation off), permanent
-- neighbour entries between the pairs probed and static FDB entries (the
-- machine-wide neighbour table would not hold a thousand dynamic ones);
-- then, each REPS times (default 3), the median taken: check.matrix over
-- N × N with icmp, tcp:80 and udp:53 (every cell expected reachable), and
-- 10 × 10N/3 icmp (10 sources, the others as targets). Each time is the
-- whole check.matrix call: its checks, the listeners it makes, every probe,
-- the picture. Prints one line per case and "bench {...}" for bench/run.py.
local core = require("nslab.core")
local netns = require("nslab.netns")
local check_mod = require("nslab.check")

local n = tonumber(arg[1] or 32)
local reps = tonumber(arg[2] or 3)
local failed = 0
local check = check_mod.bind{
  record = function(ok, description, detail)
    if not ok then
      failed = failed + 1
      if failed <= 5 then io.stderr:write("FAIL ", description, " ", tostring(detail), "\n") end
    end
    return ok
  end,
  show = function() end, -- the picture is made, not printed
  host = function() return netns.host() end,
}

local lan = dofile((arg[0]:match("^(.*/)") or "./") .. "lan.lua")
local ip, mac = lan.ip, lan.mac

local wide = math.max(n, 10 + 10 * n // 3) -- nodes: the N × N case and the 10 × many one
local nss = lan.build(netns, wide)
local static = {}
local function pair(i, j)
  local key = i < j and i .. ":" .. j or j .. ":" .. i
  if i == j or static[key] then return end
  static[key] = true
  nss[i].handle:neigh_add("eth0", { dst = ip(j), lladdr = mac(j), state = "permanent" })
  nss[j].handle:neigh_add("eth0", { dst = ip(i), lladdr = mac(i), state = "permanent" })
end
for i = 1, n do for j = 1, n do pair(i, j) end end
local few, many = {}, {}
for i = 1, 10 do few[i] = nss[i] end
for j = 11, wide do many[#many + 1] = { nss[j], ip(j) } end
for i = 1, 10 do for j = 11, wide do pair(i, j) end end
local square = {}
for i = 1, n do square[i] = { nss[i], ip(i) } end
local rows = {}
for i = 1, n do rows[i] = nss[i] end

-- every link has carrier before anything is timed
for i = 1, wide do
  for _ = 1, 200 do
    local l = nss[i].handle:link_get("eth0")
    if l.operstate == "UP" or l.carrier == true or l.carrier == 1 then break end
    core.sleep(0.005)
  end
end

local function median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

local cases = {
  { "icmp", string.format("icmp %d × %d", n, n), rows, square },
  { "tcp", string.format("tcp:80 %d × %d", n, n), rows, square, "tcp:80" },
  { "udp", string.format("udp:53 %d × %d", n, n), rows, square, "udp:53" },
  { "icmp_wide", string.format("icmp 10 × %d", #many), few, many },
}
local out = { n = n, reps = reps }
check.matrix{ from = rows, to = square, proto = "icmp" } -- warm: caches, first packets
for _, c in ipairs(cases) do
  local key, label, from, to, proto = c[1], c[2], c[3], c[4], c[5] or "icmp"
  local times, cells = {}, 0
  for r = 1, reps do
    local s = core.clock()
    local _, res = check.matrix{ from = from, to = to, proto = proto, timeout = 2 }
    times[r] = core.clock() - s
    cells = #res.cells
  end
  out[key] = median(times)
  out[key .. "_cells"] = cells
  print(string.format("check.matrix %s: %d cells, median %.3f s of %d (max %.3f s)", label, cells, out[key], reps,
                      times[#times]))
end
out.failed = failed
local parts = {}
for k, v in pairs(out) do parts[#parts + 1] = string.format("%q: %s", k, v) end
table.sort(parts)
print("bench {" .. table.concat(parts, ", ") .. "}")
