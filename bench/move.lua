-- bench/move.lua [WHAT] [N] [REPS]: what moving a veth end costs, and the
-- tutorials' order (veth in the host, then set_netns) against the direct
-- path (peer born in its namespace), side by side in one run.
--
--   bin/nslab lua bench/move.lua paths 100 3    -- the friendly API, three ways
--   bin/nslab lua bench/move.lua bare 100 3     -- the same, the pairs only
--   bin/nslab lua bench/move.lua kernel 100     -- one move, in several states
--
-- paths: N namespaces, each joined to the host by a veth with an address
-- on each end and both ends up, built (a) the tutorials' way made at once
-- (eager: the pair is made in the host, then the end is moved), (b) the
-- tutorials' way as nslab runs it (nslab.pending: the pair is made when
-- first used, the end born where it was moved), (c) the direct path
-- (ns:veth(..., {peer_netns = ns})). Each build in a fresh world, the
-- order rotated per repetition; medians and the ratios within each
-- repetition.
--
-- kernel: N moves through the raw core (link_set{netns}), the device down
-- with IPv6 address generation on, off (addrgenmode none on both ends
-- first), up with carrier, and its peer a bridge port; the median move.
-- Where the kernel spends it, seen from the scheduler (off-CPU stacks):
--   perf record -a -e sched:sched_switch -g -- bin/nslab lua bench/move.lua kernel 100
--   perf script | grep -A12 'prev_comm=nslab'
-- shows the moving thread asleep in __dev_change_net_namespace: in
-- rcu_barrier() (~15 ms a move, every state alike) and twice, briefly, in
-- synchronize_rcu_expedited() (synchronize_net under RTNL).
local core = require("nslab.core")
local netns = require("nslab.netns")
local pending = require("nslab.pending")

local what = arg[1] or "paths"
local n = tonumber(arg[2] or 100)
local reps = tonumber(arg[3] or 3)

local function median(t)
  local s = table.move(t, 1, #t, 1, {})
  table.sort(s)
  return s[(#s + 1) // 2]
end

local function fresh()
  netns.reset()
  collectgarbage()
  core.world_fresh()
end

local function addr(i, side) return string.format("10.%d.%d.%d/30", i // 64, i % 64 * 4, side) end

-- N namespaces joined to the host the way `how` says; bare: the pairs
-- only (then one look at the host's devices, which makes what is pending).
local function build(how, bare)
  local host = netns.host()
  for i = 1, n do
    local ns = netns.add("n" .. i)
    local h, e = "h" .. i, "e" .. i
    local a, b
    if how == "direct" then
      a, b = host:veth(h, e, { peer_netns = ns })
    else
      a = host:veth(h, e)
      b = host:link(e):set_netns(ns)
    end
    if not bare then
      b:addr_add(addr(i, 2))
      a:addr_add(addr(i, 1))
      b:up()
      a:up()
    end
  end
  host:link_names()
end

local function paths(bare)
  local ways = { "eager", "lazy", "direct" }
  local times = { eager = {}, lazy = {}, direct = {} }
  local ratios = { eager = {}, lazy = {} }
  for r = 1, reps do
    local got = {}
    for k = 0, #ways - 1 do
      local how = ways[(r - 1 + k) % #ways + 1]
      fresh()
      pending.set_eager(how == "eager")
      local t0 = core.clock()
      build(how, bare)
      got[how] = core.clock() - t0
      times[how][#times[how] + 1] = got[how]
    end
    pending.set_eager(false)
    ratios.eager[r] = got.eager / got.direct
    ratios.lazy[r] = got.lazy / got.direct
    print(string.format("rep %d: eager %.3f s, lazy %.3f s, direct %.3f s "
                        .. "(eager/direct %.1fx, lazy/direct %.2fx)", r, got.eager, got.lazy, got.direct,
                        ratios.eager[r], ratios.lazy[r]))
  end
  print(string.format("%s, N=%d medians of %d: tutorials' order made at once %.3f s, as nslab makes it %.3f s, "
                      .. "direct path %.3f s; ratio to direct: %.1fx before, %.2fx after",
                      bare and "pairs only" or "pairs, addresses, up", n, reps, median(times.eager),
                      median(times.lazy), median(times.direct), median(ratios.eager), median(ratios.lazy)))
end

local function kernel()
  local states = { "down", "addrgenmode-none", "up", "bridge-port" }
  for _, state in ipairs(states) do
    fresh()
    local host = netns.host().handle
    if state == "bridge-port" then
      host:link_add{ name = "br0", kind = "bridge" }
      host:link_set("br0", { up = true })
    end
    local moves, held = {}, {} -- held: the namespaces stay open
    for i = 1, n do
      local ns = core.netns_create()
      held[#held + 1] = ns
      local a, b = "h" .. i, "e" .. i
      host:link_add{ name = a, kind = "veth", peer = b }
      if state == "addrgenmode-none" then
        host:link_set(a, { addrgenmode = "none" })
        host:link_set(b, { addrgenmode = "none" })
      elseif state == "up" then
        host:link_set(b, { up = true })
        host:link_set(a, { up = true })
      elseif state == "bridge-port" then
        host:link_set(a, { master = "br0" })
      end
      local t0 = core.clock()
      host:link_set(b, { netns = ns })
      moves[i] = core.clock() - t0
    end
    table.sort(moves)
    assert(#held == n)
    print(string.format("move, %-16s N=%d: median %.2f ms, fastest %.2f ms, slowest %.2f ms", state, n,
                        median(moves) * 1000, moves[1] * 1000, moves[#moves] * 1000))
  end
end

if what == "paths" then paths(false)
elseif what == "bare" then paths(true)
elseif what == "kernel" then kernel()
else error("bench/move.lua: WHAT is paths, bare or kernel", 0) end
