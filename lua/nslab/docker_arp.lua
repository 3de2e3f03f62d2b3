-- nslab.docker_arp: the Docker model's bridge networks past what the
-- neighbour table holds (what Mininet's --arp amounts to).
--
-- The kernel's neighbour table limit (gc_thresh3 = 1024 entries) is one
-- for the whole machine: every namespace of every world shares it, a
-- private world cannot raise it, and past it new entries are refused, so
-- dynamic ARP answers about 512 of 999 pings from one container to the
-- others (../shared/PERFORMANCE.md). Permanent entries are exempt. On a
-- static network the model therefore adds, with the same primitives a
-- lab would use (traced as `ip neigh replace` / `bridge fdb replace`):
--
--   * at connect, per container: a static FDB entry for its MAC on its
--     bridge port, a permanent entry for the gateway in the container and
--     one for the container on the bridge (three requests: flat cost);
--   * just before a probe nslab makes (check.reachable, check.unreachable,
--     check.mesh, ns:ping from a container), permanent entries on both
--     sides for exactly the container pairs probed that have none yet,
--     all in one call (core.neigh_add_each), all or nothing.
--
-- All pairs at connect would be O(N^2): measured (bench/docker_arp.lua
-- pairs 200) 36 us and 559 bytes of kernel memory per entry, so 999,000
-- entries at N = 1000 would take ~36 s and ~530 MB. The flat design costs
-- 0.3-0.4 ms per container at connect (bench/docker_arp.lua cost), and c1
-- -> 999 adds 1,998 entries just before the probe (0.02 s, in one core
-- call: c1's 999 in 16 sends, then one per target; all or nothing).
-- The entries go with the container (disconnect): its own with its
-- namespace, its port's FDB entry with the port, and the ones about it on
-- the bridge and in its peers explicitly. The bridge's MAC is pinned to
-- what it is when a network turns static (a bridge's MAC otherwise follows
-- its ports', and the gateway entries would go stale).
--
-- The mode of a network: "dynamic" (Docker's own: ARP), "static" (from
-- the start), "auto" (the default: static once the networks still on
-- ARP could need more dynamic entries than M.BUDGET together, counting
-- two per container for the gateway, or nslab's probes between their
-- containers would, two per pair probed so far: the table is one for
-- all networks, so ten of 120 containers overflow it as one of 1200).
-- Turning static prints one line in the lab output (a comment in the
-- trace) saying what and why.
--
-- docker.lua calls M.network, M.connect and M.disconnect; check.lua calls
-- M.before_probe and Netns:ping M.before_ping, when this module is loaded.
local trace = require("nslab.trace")
local neigh = require("nslab.neigh")

local M = {}

-- The machine-wide limit, and the share of it a network or a probe batch
-- may count on: every world on the machine draws on the same table, and
-- the kernel starts evicting at gc_thresh2 (512).
M.TABLE = 1024
M.BUDGET = 256

-- network_create's option (arp =).
M.OPTION = { type = "choice", choices = { "auto", "static", "dynamic" },
             doc = "ARP on the network: auto (default: static past what the neighbour table holds), "
               .. "static (permanent entries, static FDB) or dynamic" }

-- The container whose namespace a probe leaves from, by Netns; and by
-- the namespace's inode, for the other handles of that namespace (a
-- container: joiner's, a lab's own).
local member_of = setmetatable({}, { __mode = "k" })
local member_by_inode = setmetatable({}, { __mode = "v" })

-- The networks' states, to add up what those on ARP need (a network
-- removed, or a daemon reset, leaves at once, not when collected).
local states = setmetatable({}, { __mode = "k" })

function M.forget(net)
  if net.arp then states[net.arp] = nil end
end

-- docker.reset: the default daemon's networks are gone with it.
function M.forget_daemon(daemon)
  for st in pairs(states) do
    if st.daemon == daemon then states[st] = nil end
  end
end

-- The member a probe from ns leaves from; cache: {[ns] = member or
-- false} for one batch of probes (an inode costs a system call).
local function member(ns, cache)
  local c = member_of[ns]
  if c or type(ns) ~= "table" or type(ns.inode) ~= "function" then return c end
  if cache and cache[ns] ~= nil then return cache[ns] or nil end
  local ok, inode = pcall(ns.inode, ns)
  c = ok and member_by_inode[inode] or nil
  if cache then cache[ns] = c or false end
  return c
end

-- The dynamic neighbour entries the networks still on ARP may need, by
-- what (the states' "count" of containers, or "probed" pairs): two each.
local function dynamic_need(what)
  local need = 0
  for st in pairs(states) do
    if not st.static then need = need + 2 * st[what] end
  end
  return need
end

local function st_of(c) return c and c.network and c.network.arp end

-- A network's state: mode, static, members (ip -> container), order (the
-- containers in the order they came, for a stable trace) and the bridge's
-- MAC once pinned.
function M.network(daemon, net, mode)
  net.arp = { daemon = daemon, mode = mode or "auto", static = false, members = {}, order = {}, slot = {},
              count = 0, probed = 0 }
  states[net.arp] = true
  if mode == "static" then M.enable(daemon, net, 'the network was created with arp = "static"') end
end

-- The three entries of one container on a static network; the bridge's
-- is added to host_entries (one call for many at the switch).
local function install(daemon, net, c, host_entries)
  daemon.host:fdb_add(c.veth, { mac = c.mac })
  c.netns:neigh_add("eth0", { dst = net.gateway, lladdr = net.arp.mac })
  host_entries[#host_entries + 1] = { dst = c.ip, lladdr = c.mac }
end

-- Turn net static: pin the bridge's MAC, install the entries of every
-- container there, and say so once.
function M.enable(daemon, net, why)
  local st = net.arp
  if st.static then return end
  st.mac = daemon.host.handle:link_get(net.bridge_name).address
  net.bridge:set_address(st.mac)
  local host_entries = {}
  for _, c in ipairs(st.order) do install(daemon, net, c, host_entries) end
  if #host_entries > 0 then daemon.host:neigh_add(net.bridge_name, host_entries) end
  st.static = true
  trace.note(string.format("docker network %s: static ARP (permanent neighbour entries, static FDB entries on %s): %s; "
                     .. "the kernel's neighbour table holds %d dynamic entries for the whole machine "
                     .. "(gc_thresh3, not raisable in a world), permanent ones are exempt",
                     net.name, net.bridge_name, why, M.TABLE))
end

local function add_member(st, c)
  st.members[c.ip] = c
  st.order[#st.order + 1] = c
  st.slot[c] = #st.order
  st.count = st.count + 1
  member_of[c.netns] = c
  local ok, inode = pcall(c.netns.inode, c.netns)
  if ok then member_by_inode[inode], c.arp_inode = c, inode end
  c.arp_peers = {}
  c.arp_seen = setmetatable({}, { __mode = "k" }) -- peers probed while dynamic
end

local function remove_member(st, c)
  local i, last = st.slot[c], st.order[#st.order]
  st.order[i], st.slot[last] = last, i
  st.order[#st.order] = nil
  st.slot[c], st.members[c.ip] = nil, nil
  st.count = st.count - 1
  member_of[c.netns] = nil
  if c.arp_inode and member_by_inode[c.arp_inode] == c then member_by_inode[c.arp_inode] = nil end
  c.arp_peers, c.arp_seen, c.arp_entry = nil, nil, nil
end

-- A container wired into its bridge network (the end of docker.lua's
-- connect).
function M.connect(daemon, c)
  local net, st = c.network, st_of(c)
  if not st or not c.ip then return end
  if st.static then
    local host_entries = {}
    install(daemon, net, c, host_entries)
    daemon.host:neigh_add(net.bridge_name, host_entries)
  end
  add_member(st, c)
  local need = not st.static and st.mode == "auto" and dynamic_need("count")
  if need and need > M.BUDGET then
    M.enable(daemon, net, need == 2 * st.count
      and string.format("%d containers could need %d entries with the gateway alone", st.count, need)
      or string.format("its %d containers and the other networks on ARP could need %d entries together",
                       st.count, need))
  end
end

-- Delete an entry that should be there; one already gone is as good.
local function del(ns, dev, entry)
  local ok, err = pcall(ns.neigh_del, ns, dev, entry)
  if not ok and not tostring(err):find("No such file or directory", 1, true) then error(err, 0) end
end

-- A container leaving its network (the start of docker.lua's
-- disconnect): the entries about it go, except in the namespaces of
-- containers leaving with it (leaving[container], a `docker rm` of
-- several: those entries go with their namespaces).
function M.disconnect(daemon, c, leaving)
  local st = st_of(c)
  if not st or not c.ip or st.members[c.ip] ~= c then return end
  if st.static then
    del(daemon.host, c.network.bridge_name, { dst = c.ip })
    for _, p in ipairs(c.arp_order or {}) do
      if p.arp_peers and p.arp_peers[c] then
        if not (leaving and leaving[p]) then del(p.netns, "eth0", { dst = c.ip }) end
        p.arp_peers[c] = nil
      end
    end
  end
  c.arp_order = nil
  remove_member(st, c)
end

-- The pairs of probes (each {ns =, target =}) between two containers of
-- one network that have no entries yet, by network, each pair once.
local function new_pairs(probes)
  local by_net, nets, seen, cache = {}, {}, {}, {}
  for _, p in ipairs(probes) do
    local c = member(p.ns, cache)
    local st = st_of(c)
    local d = st and type(p.target) == "string" and st.members[p.target]
    if d and d ~= c and not c.arp_peers[d] and not (seen[c] and seen[c][d] or seen[d] and seen[d][c]) then
      -- (one table per source, not per target: c1 -> 999 makes one)
      local mine = seen[c] or {}
      seen[c], mine[d] = mine, true
      local net = c.network
      if not by_net[net] then
        by_net[net] = {}
        nets[#nets + 1] = net
      end
      by_net[net][#by_net[net] + 1] = { c, d }
    end
  end
  return nets, by_net
end

-- Before nslab probes: permanent entries for the pairs probed on static
-- networks (an auto one turns static first when the batch would need
-- more than M.BUDGET dynamic entries). probes: a list of {ns =, target =}.
function M.before_probe(probes)
  if next(member_of) == nil then return end
  local nets, by_net = new_pairs(probes)
  local holders, lists, peers = {}, {}, {} -- peers[holder]: the others, as in its list
  local function add(holder, other)
    local list = lists[holder]
    if not list then
      list = {}
      lists[holder], peers[holder], holders[#holders + 1] = list, {}, holder
    end
    -- one entry table per container, shared by every list it is in
    local entry = other.arp_entry or { dst = other.ip, lladdr = other.mac }
    other.arp_entry, list[#list + 1] = entry, entry
    peers[holder][#list] = other
  end
  for _, net in ipairs(nets) do
    local pairs_here, st = by_net[net], net.arp
    if not st.static and st.mode == "auto" then
      -- the pairs probed so far, each once: probes one after the other
      -- fill the table as surely as one batch does
      local fresh = {}
      for _, pair in ipairs(pairs_here) do
        if not pair[1].arp_seen[pair[2]] then fresh[#fresh + 1] = pair end
      end
      local need = dynamic_need("probed") + 2 * #fresh
      if need > M.BUDGET then
        local others = need - 2 * (st.probed + #fresh)
        M.enable(st.daemon, net, string.format("probes of %d container pairs would need %d entries%s",
                                               st.probed + #fresh, 2 * (st.probed + #fresh),
                                               others > 0 and string.format(" (%d with the other networks on ARP)",
                                                                            need) or ""))
      else
        for _, pair in ipairs(fresh) do
          pair[1].arp_seen[pair[2]], pair[2].arp_seen[pair[1]] = true, true
        end
        st.probed = st.probed + #fresh
      end
    end
    if net.arp.static then
      for _, pair in ipairs(pairs_here) do
        add(pair[1], pair[2])
        add(pair[2], pair[1])
      end
    end
  end
  if holders[1] == nil then return end
  local items = {}
  for i, holder in ipairs(holders) do items[i] = { holder.netns, "eth0", lists[holder] } end
  neigh.add_each(items) -- every namespace's entries in one call, all or nothing
  -- what is there now (a refused entry has left none: nothing to record)
  for _, holder in ipairs(holders) do
    local order = holder.arp_order or {}
    holder.arp_order = order
    for _, other in ipairs(peers[holder]) do
      holder.arp_peers[other] = true
      order[#order + 1] = other
    end
  end
end

-- Netns:ping's hook: a target or a list of them from ns.
function M.before_ping(ns, target)
  if next(member_of) == nil or member(ns) == nil then return end
  local probes = {}
  if type(target) == "table" and getmetatable(target) == nil then
    for i, t in ipairs(target) do probes[i] = { ns = ns, target = t } end
  else
    probes[1] = { ns = ns, target = target }
  end
  M.before_probe(probes)
end

return M
