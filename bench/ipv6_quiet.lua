-- bench/ipv6_quiet.lua: what IPv6 quiet (nslab.ipv6) saves on the paths a
-- lab takes, measured side by side in one run.
--
--   bin/nslab lua bench/ipv6_quiet.lua                -- N = 100 and 500, 3 repetitions
--   REPS=5 bin/nslab lua bench/ipv6_quiet.lua 100 500 1000   -- other Ns, 5 repetitions
--   bin/nslab lua bench/ipv6_quiet.lua one N PATH MODE   -- one case (what the driver runs)
--
-- PATH: "docker" (docker.run{} x N) or "veth" (the friendly netns/veth
-- path: netns.new, ns:veth with peer_netns, addr_add, up, a default
-- route, br:attach, up). MODE: "on" (nslab.ipv6(true): links keep IPv6
-- address generation, as before) or "quiet" (the default). Each case runs
-- in a fresh world of its own (one nslab process each), the order rotated
-- per repetition; the table shows medians and the quiet/on ratio, and
-- the packets the host's links sent (setup and 3 s after; last run).
local core = require("nslab.core")

local kept = {}

local function one(n, path, mode)
  local nslab = require("nslab")
  nslab.ipv6(mode == "on")
  local host = nslab.netns.host()
  local t0 = core.clock()
  if path == "docker" then
    for i = 1, n do nslab.docker.run{ name = "c" .. i } end
  else
    local br = host:bridge("br0", { stp = false })
    br:addr_add("172.17.0.1/16")
    br:up()
    for i = 1, n do
      local ns = nslab.netns.new()
      kept[i] = ns -- an anonymous namespace lives as long as its handle
      local port, eth0 = host:veth("v" .. i, "eth0", { peer_netns = ns })
      eth0:addr_add(string.format("172.17.%d.%d/16", (i + 1) // 256, (i + 1) % 256))
      ns:link("lo"):up()
      eth0:up()
      ns:route_add{ dst = "default", via = "172.17.0.1" }
      br:attach(port)
      port:up()
    end
  end
  local took = core.clock() - t0
  -- packets the host's links sent during the setup and 3 s after
  -- it (the bridge floods each multicast to every port): the kernel's
  -- IPv6 chatter, counted, where the times vary with the machine's load
  core.sleep(3)
  local out = host:exec({ "ip", "-s", "-j", "link" }).stdout
  local packets = 0
  for k in out:gmatch('"tx":{"bytes":%d+,"packets":(%d+)') do packets = packets + tonumber(k) end
  assert(path == "docker" or #kept == n)
  io.write(string.format("%.4f %d\n", took, packets))
end

if arg[1] == "one" then
  one(tonumber(arg[2]), arg[3], arg[4])
  os.exit(0)
end

local ns_list = {}
for i = 1, #arg do ns_list[#ns_list + 1] = math.tointeger(tonumber(arg[i])) end
if #ns_list == 0 then ns_list = { 100, 500 } end
local REPS = tonumber(os.getenv("REPS") or "") or 3
local cases = {}
for _, n in ipairs(ns_list) do
  for _, path in ipairs{ "docker", "veth" } do
    for _, mode in ipairs{ "on", "quiet" } do cases[#cases + 1] = { n = n, path = path, mode = mode } end
  end
end

local nslab_bin = (arg[0]:match("^(.*)/bench/") or ".") .. "/bin/nslab"
local times, packets = {}, {}
for rep = 1, REPS do
  for k = 1, #cases do
    local c = cases[(k + rep - 2) % #cases + 1] -- rotated: each case leads once
    local cmd = string.format("%s lua %s one %d %s %s", nslab_bin, arg[0], c.n, c.path, c.mode)
    local p = assert(io.popen(cmd))
    local t, sent = p:read("n", "n")
    p:close()
    local key = c.n .. " " .. c.path .. " " .. c.mode
    times[key] = times[key] or {}
    table.insert(times[key], t or 0 / 0)
    packets[key] = sent or 0 / 0
  end
end

local function median(list)
  local s = { table.unpack(list) }
  table.sort(s)
  return s[(#s + 1) // 2]
end

-- min..max of a case's runs: on a loaded machine the spread says how far
-- to trust the medians
local function range(list)
  local s = { table.unpack(list) }
  table.sort(s)
  return string.format("%.2f..%.2f", s[1], s[#s])
end

print(string.format("%-6s %-8s %12s %12s %8s   %-12s %-12s %10s %10s", "N", "path", "IPv6 on (s)", "quiet (s)",
                    "quiet/on", "on range", "quiet range", "pkts on", "pkts quiet"))
for _, n in ipairs(ns_list) do
  for _, path in ipairs{ "docker", "veth" } do
    local on_t, quiet_t = times[n .. " " .. path .. " on"], times[n .. " " .. path .. " quiet"]
    local on, quiet = median(on_t), median(quiet_t)
    print(string.format("%-6d %-8s %12.3f %12.3f %8.2f   %-12s %-12s %10d %10d", n, path, on, quiet, quiet / on,
                        range(on_t), range(quiet_t), packets[n .. " " .. path .. " on"],
                        packets[n .. " " .. path .. " quiet"]))
  end
end
